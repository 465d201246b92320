import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Workspace } from './support/builders.ts';
import { kvmigrate, root, run } from './support/processes.ts';
import { USAGE } from '../lib/cli/usage.ts';

function exampleWorkspace(): Workspace {
  const workspace = new Workspace();
  workspace.write('migrations.yaml', run('cat', [join(root, 'migrations.yaml')]).stdout);
  workspace.write('vms/vm-migration-ns-ns-live.yaml', run('cat', [join(root, 'vms/vm-migration-ns-ns-live.yaml')]).stdout);
  return workspace;
}

/** `cdk8s synth` in `workspace` with the project's cdk8s.yaml (the app named by full path), offline. */
function cdk8sSynth(workspace: Workspace, ...extra: string[]) {
  const config = run('cat', [join(root, 'cdk8s.yaml')]).stdout.replace('node build/cli/cdk8s-app.js', `${process.execPath} ${join(root, 'build/cli/cdk8s-app.js')}`);
  workspace.write('cdk8s.yaml', config);
  // As `npm run cdk8s synth` runs it: the script's flag, not an environment variable, keeps it quiet offline.
  const script = JSON.parse(run('cat', [join(root, 'package.json')]).stdout).scripts.cdk8s.split(' ').slice(1);
  return run(join(root, 'node_modules/.bin/cdk8s'), [...script, 'synth', ...extra], { cwd: workspace.dir });
}

describe('kvmigrate synth as a process', () => {
  it('two runs give byte-identical output, equal to `cdk8s synth` of the same config', () => {
    const workspace = exampleWorkspace();
    const first = kvmigrate(['synth', '--out', 'out-1'], { cwd: workspace.dir });
    const second = kvmigrate(['synth', '--out', 'out-2'], { cwd: workspace.dir });
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(workspace.files('out-1')).toEqual(workspace.files('out-2'));

    // The project's cdk8s.yaml, with the app named by full path from a workspace.
    const cdk8s = cdk8sSynth(workspace);
    expect(cdk8s.code, cdk8s.stderr).toBe(0);
    expect(workspace.files('dist')).toEqual(workspace.files('out-1'));
    expect(cdk8s.stdout).toContain('.tmp/cdk8s/default/vm-migration-ns-ns-live.k8s.yaml');
  });

  it('`cdk8s synth` of a broken config leaves dist/ as it was and says what `kvmigrate synth` says, without a stack trace', () => {
    const workspace = exampleWorkspace();
    expect(cdk8sSynth(workspace).code).toBe(0);
    const before = workspace.files('dist');
    workspace.write('migrations.yaml', `${run('cat', [workspace.path('migrations.yaml')]).stdout}  - broken: [\n`);
    const cdk8s = cdk8sSynth(workspace);
    const own = kvmigrate(['synth'], { cwd: workspace.dir });
    expect(cdk8s.code).toBe(1);
    expect(workspace.files('dist')).toEqual(before);
    const diagnostics = own.stderr.trim();
    expect(diagnostics).toMatch(/^migrations\.yaml:\d+:\d+: error: /);
    expect(cdk8s.stderr).toContain(diagnostics);
    expect(cdk8s.stderr + cdk8s.stdout).not.toMatch(/\n\s+at /);
    expect(cdk8s.stderr + cdk8s.stdout).not.toContain('new version');
  });

  it('`cdk8s synth -o dist/sub` (an output folder not kvmigrate\'s) is refused in one message, no stack trace, dist/ as it was', () => {
    const workspace = exampleWorkspace();
    expect(cdk8sSynth(workspace).code).toBe(0);
    const before = workspace.files('dist');
    const cdk8s = cdk8sSynth(workspace, '-o', 'dist/sub');
    expect(cdk8s.code).not.toBe(0);
    expect(cdk8s.stderr).toContain("cdk8s-cli's output folder is dist/sub, not .tmp/cdk8s (cdk8s.yaml): cdk8s-cli has emptied it before running kvmigrate");
    expect(cdk8s.stderr + cdk8s.stdout).not.toMatch(/\n\s+at /);
    expect(workspace.files('dist')).toEqual(before);
  });

  it('prints the summary on stdout and warnings on stderr', () => {
    const result = kvmigrate(['synth'], { cwd: exampleWorkspace().dir });
    expect(result.stdout).toBe(
      'synthesized 1 migration into dist/\n  default: 1 migration(s), 11 object(s) in 1 file(s)\n3 warning(s) on stderr: check them before the first sync\n',
    );
    expect(result.stderr).toMatch(/^vms\/vm-migration-ns-ns-live\.yaml:79:11: warning: .*plaintext password/m);
    expect(result.stderr).toMatch(/^migrations\.yaml: warning: hook\.image is not set/m);
    expect(result.stderr).toMatch(/^migrations\.yaml:\d+:\d+: warning: no argocd: or flux: section/m);
  });

  it('-o json prints a machine-readable summary, its warnings in it and nothing on stderr', () => {
    const result = kvmigrate(['synth', '-o', 'json'], { cwd: exampleWorkspace().dir });
    const summary = JSON.parse(result.stdout);
    expect(summary.clusters).toEqual([{ cluster: 'default', migrations: 1, objects: 11, files: 1 }]);
    expect(summary.migrations[0]).toMatchObject({
      name: 'vm-migration-ns-ns-live',
      migrationID: '52e4398d-bdbf-42b5-b0f4-1e7c6c0a08f5-38cec1f6-43bb-412d-8477-b3d635fd7123',
      address: 'discovered',
    });
    expect(summary.warnings).toEqual([
      expect.objectContaining({ severity: 'warning', location: { file: 'migrations.yaml', line: 9, column: 1 }, message: expect.stringContaining('no argocd: or flux: section') }),
      expect.objectContaining({ severity: 'warning', location: { file: 'vms/vm-migration-ns-ns-live.yaml', line: 79, column: 11 }, message: expect.stringContaining('plaintext password'), hint: expect.any(String) }),
      expect.objectContaining({ severity: 'warning', location: { file: 'migrations.yaml' }, message: expect.stringContaining('hook.image is not set') }),
    ]);
    expect(result.stderr).toBe('');
  });

  it('--check writes nothing and exits 0 when the out dir is current, 1 with a unified diff when it is not', () => {
    const workspace = exampleWorkspace();
    expect(kvmigrate(['synth'], { cwd: workspace.dir }).code).toBe(0);
    const current = kvmigrate(['synth', '--check'], { cwd: workspace.dir });
    expect(current.code).toBe(0);
    expect(current.stdout).toBe('');
    expect(current.stderr).toContain('dist/ is what migrations.yaml compiles to\n');

    const written = workspace.files('dist');
    workspace.write('migrations.yaml', run('cat', [workspace.path('migrations.yaml')]).stdout.replaceAll('vm-live-migration-destination', 'elsewhere'));
    workspace.write('dist/default/stale.k8s.yaml', `${written['default/vm-migration-ns-ns-live.k8s.yaml']!.split('\n')[0]}\nkind: Stale\n`);
    const before = workspace.files('dist');
    const stale = kvmigrate(['synth', '--check'], { cwd: workspace.dir });
    expect(stale.code).toBe(1);
    expect(workspace.files('dist')).toEqual(before);
    expect(stale.stderr).toContain('dist/ is not what migrations.yaml compiles to (2 files): run `kvmigrate synth` and commit dist/\n');
    // The diff is the one `diff -u` prints (its header lines aside).
    expect(kvmigrate(['synth', '--out', 'fresh'], { cwd: workspace.dir }).code).toBe(0);
    const reference = run('diff', ['-u', 'dist/default/vm-migration-ns-ns-live.k8s.yaml', 'fresh/default/vm-migration-ns-ns-live.k8s.yaml'], { cwd: workspace.dir }).stdout;
    const at = stale.stdout.indexOf('--- dist/default/vm-migration-ns-ns-live.k8s.yaml\n');
    const [staleFile, ours] = [stale.stdout.slice(0, at), stale.stdout.slice(at)];
    expect(ours!.split('\n').slice(2)).toEqual(reference.split('\n').slice(2));
    expect(ours).toMatch(/^--- dist\/default\/vm-migration-ns-ns-live\.k8s\.yaml\n\+\+\+ dist\/default\/vm-migration-ns-ns-live\.k8s\.yaml \(compiled\)\n@@ /);
    expect(staleFile).toBe('--- dist/default/stale.k8s.yaml\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-' + before['default/stale.k8s.yaml']!.split('\n')[0] + '\n-kind: Stale\n');
    const json = JSON.parse(kvmigrate(['synth', '--check', '-o', 'json'], { cwd: workspace.dir }).stdout);
    expect(json).toMatchObject({ current: false, files: [{ path: 'default/stale.k8s.yaml', state: 'extra' }, { path: 'default/vm-migration-ns-ns-live.k8s.yaml', state: 'changed' }] });
  });

  it('--out - prints every file as one YAML stream, the documents `synth` writes, and writes nothing', () => {
    const workspace = exampleWorkspace();
    const result = kvmigrate(['synth', '--out', '-'], { cwd: workspace.dir });
    expect(result.code).toBe(0);
    expect(existsSync(workspace.path('dist'))).toBe(false);
    expect(result.stdout).toMatch(/^---\n# Source: default\/vm-migration-ns-ns-live\.k8s\.yaml\napiVersion: v1\n/);
    kvmigrate(['synth'], { cwd: workspace.dir });
    const documents = (text: string) => parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d !== null);
    expect(documents(result.stdout)).toEqual(documents(workspace.files('dist')['default/vm-migration-ns-ns-live.k8s.yaml']!));
    expect(documents(result.stdout)).toHaveLength(11);
  });

  it('reads the config named by KVMIGRATE_CONFIG', () => {
    const workspace = exampleWorkspace();
    workspace.write('elsewhere/m.yaml', run('cat', [workspace.path('migrations.yaml')]).stdout.replace('vms/', '../vms/'));
    const result = kvmigrate(['synth', '--out', 'x'], { cwd: workspace.dir, env: { KVMIGRATE_CONFIG: 'elsewhere/m.yaml' } });
    expect(result.code).toBe(0);
    expect(Object.keys(workspace.files('x'))).toEqual(['default/vm-migration-ns-ns-live.k8s.yaml']);
  });
});

describe('cluster commands without a cluster', () => {
  it('say there is no Kubernetes configuration, exit 1', () => {
    const workspace = exampleWorkspace();
    const result = kvmigrate(['status'], { cwd: workspace.dir, env: { KUBECONFIG: '', HOME: workspace.dir, KUBERNETES_SERVICE_HOST: '' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: no Kubernetes configuration: set KUBECONFIG, pass --kubeconfig, create ~/.kube/config, or run in a pod\n');
  });
});

describe('usage', () => {
  it('--help lists the commands; synth --help its options', () => {
    expect(kvmigrate(['--help']).stdout).toMatch(/^  synth +compile migrations\.yaml/m);
    expect(kvmigrate(['synth', '--help']).stdout).toContain('--config FILE');
  });

  it('--version prints the package version', () => {
    expect(kvmigrate(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['synth', '--bogus'], 'unknown flag: --bogus'],
    [['synth', '-o', 'xml'], 'unknown output format "xml"'],
    [['synth', 'extra'], 'synth takes no arguments'],
  ])('%j exits 2 with a usage error', (args, message) => {
    const result = kvmigrate(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('usage errors in kubectl\'s words', () => {
  it('an unknown flag: the flag, the nearest flags, the command\'s usage line; no advice about "--"', () => {
    const result = kvmigrate(['synth', '--ouput', 'json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error: unknown flag: --ouput; did you mean --output or --out?\nUsage: kvmigrate synth [--config FILE] [--out DIR|-] [--check] [-o text|json]\nRun 'kvmigrate synth --help' for usage.\n",
    );
  });

  it('a flag without its value, and a value for a flag that takes none', () => {
    expect(kvmigrate(['synth', '--out']).stderr).toMatch(/^error: flag needs an argument: --out\nUsage: kvmigrate synth /);
    expect(kvmigrate(['cutover', 'web', '--force=yes']).stderr).toMatch(/^error: flag --force takes no value\n/);
  });

  it('an unknown command suggests the nearest', () => {
    const result = kvmigrate(['synt']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: unknown command "synt"; did you mean synth?\nRun \'kvmigrate --help\' for usage.\n');
  });

  it('`kvmigrate help synth` is `kvmigrate synth --help`', () => {
    const help = kvmigrate(['help', 'synth']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(kvmigrate(['synth', '--help']).stdout);
    expect(kvmigrate(['help', 'synht']).stderr).toContain('did you mean synth?');
  });

  it('every help\'s option descriptions start in one column, and the command list aligns', async () => {
    for (const [name, { help }] of Object.entries(USAGE)) {
      const options = help.slice(help.indexOf('\nOptions:\n')).split('\n').filter((line) => /^ +(-\w, )?--/.test(line));
      // The flag and its value, two spaces or more, the description; or the flag alone, its description below.
      const columns = new Set(options.filter((line) => !/^ +(-\w, )?--[\w-]+( \S+)?$/.test(line)).map((line) => /^ +(-\w, )?--[\w-]+( \S+)? {2,}/.exec(line)?.[0].length));
      expect([name, [...columns]]).toEqual([name, [expect.any(Number)]]);
    }
    const help = kvmigrate(['--help']).stdout;
    const commands = help.slice(0, help.indexOf('\nOptions:')).split('\n').filter((line) => line.startsWith('  '));
    expect(commands.length).toBeGreaterThan(10);
    expect(new Set(commands.map((line) => /^  \S+ +/.exec(line)![0].length)).size).toBe(1);
  });

  it('--help lists every command once, grouped, the move first in the order a user runs it', () => {
    const help = kvmigrate(['--help']).stdout;
    const groups = help.split('\n\n').filter((part) => /^[A-Z][^\n]*:\n {2}[a-z]/.test(part));
    expect(groups.map((group) => group.split(':\n')[0])).toEqual(['Move a VM, in this order', 'Set up the clusters', 'Other']);
    const names = (group: string) => [...group.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
    expect(names(groups[0]!)).toEqual(['init', 'pull', 'preflight', 'synth', 'diff', 'status', 'cutover', 'abort', 'retry']);
    expect(groups.flatMap(names).sort()).toEqual([...Object.keys(USAGE), 'help'].sort());
  });
});
