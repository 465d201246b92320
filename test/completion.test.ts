import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from './support/builders.ts';
import { kvmigrate, root, run } from './support/processes.ts';

/** What bash completes after `line` (the last word is the one being completed), with kvmigrate on the PATH. */
function bashComplete(workspace: Workspace, line: string): string[] {
  const script = kvmigrate(['completion', 'bash']).stdout;
  workspace.write('bin/kvmigrate', `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin/kvmigrate.js')}" "$@"\n`);
  chmodSync(workspace.path('bin/kvmigrate'), 0o755);
  workspace.write('completion.bash', script);
  const words = line.split(' ');
  const program = `source completion.bash\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})\nCOMP_CWORD=${words.length - 1}\n_kvmigrate\nprintf '%s\\n' "\${COMPREPLY[@]}"\n`;
  const result = run('bash', ['-c', program], { cwd: workspace.dir, env: { PATH: `${workspace.path('bin')}:${process.env.PATH}` } });
  return result.stdout.split('\n').filter(Boolean);
}

describe('kvmigrate completion', () => {
  it('bash completes commands, a command\'s flags, and the config\'s migration names', () => {
    const workspace = new Workspace();
    workspace.write('migrations.yaml', run('cat', [join(root, 'migrations.yaml')]).stdout);
    workspace.write('vms/vm-migration-ns-ns-live.yaml', run('cat', [join(root, 'vms/vm-migration-ns-ns-live.yaml')]).stdout);
    expect(bashComplete(workspace, 'kvmigrate syn')).toEqual(['synth']);
    expect(bashComplete(workspace, 'kvmigrate synth --ch')).toEqual(['--check']);
    expect(bashComplete(workspace, 'kvmigrate status --na')).toEqual(['--namespace']);
    expect(bashComplete(workspace, 'kvmigrate cutover vm-')).toEqual(['vm-migration-ns-ns-live']);
    expect(bashComplete(workspace, 'kvmigrate di')).toEqual(['diff']);
    expect(bashComplete(workspace, 'kvmigrate diff --clu')).toEqual(['--cluster']);
    expect(bashComplete(workspace, 'kvmigrate diff vm-')).toEqual(['vm-migration-ns-ns-live']);
  });

  it('zsh and fish scripts; an unknown shell is a usage error', () => {
    expect(kvmigrate(['completion', 'zsh']).stdout).toContain('bashcompinit');
    const fish = kvmigrate(['completion', 'fish']).stdout;
    expect(fish).toContain('complete -c kvmigrate -n "__fish_seen_subcommand_from synth" -l check');
    expect(fish).toContain('(kvmigrate completion migrations 2>/dev/null)');
    expect(kvmigrate(['completion', 'tcsh']).code).toBe(2);
  });
});
