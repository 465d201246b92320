// Lifecycle and pull --add edits of migrations.yaml keep the file as the user wrote it, or refuse and change nothing.
import { spawn } from 'node:child_process';
import { chmodSync, linkSync, lstatSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../lib/cli/main.ts';
import { withFileLock } from '../lib/cli/write-file.ts';
import { InputError } from '../lib/diagnostics.ts';
import { vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { root } from './support/processes.ts';

const entry = (name: string, extra = '') => `  - vm: ${name}\n    source: { namespace: src, manifest: vms/${name}.yaml }\n    destination:\n      namespace: dst\n${extra}`;

function workspaceWith(config: string, vms = ['a', 'b']): Workspace {
  const workspace = new Workspace();
  for (const name of vms) workspace.write(`vms/${name}.yaml`, [vm(name, withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size: '1Gi' }))]);
  writeFileSync(workspace.path('migrations.yaml'), config);
  return workspace;
}

async function step(workspace: Workspace, ...args: string[]) {
  let stderr = '';
  const code = await main([...args, '--config', workspace.path('migrations.yaml')], { stdout: () => {}, stderr: (t) => (stderr += t) });
  return { code, stderr, text: readFileSync(workspace.path('migrations.yaml'), 'utf8') };
}

describe('config edits keep the file as written', () => {
  it('CRLF stays CRLF, a BOM stays, comments and quoting stay', async () => {
    const lf = `# moves\nmigrations:\n${entry('a', '    migrationID: "id-1"   # from the lab\n')}`;
    const crlf = `\uFEFF${lf.replace(/\n/g, '\r\n')}`;
    const workspace = workspaceWith(crlf);
    const result = await step(workspace, 'cutover', 'a', '--force');
    expect(result.code, result.stderr).toBe(0);
    expect(result.text).toBe(crlf.replace('# from the lab\r\n', '# from the lab\r\n    phase: cutover\r\n'));
    expect(result.text.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('keeps the file mode, and edits the target of a symlink (the link stays a link)', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    writeFileSync(workspace.path('real.yaml'), readFileSync(workspace.path('migrations.yaml')));
    chmodSync(workspace.path('real.yaml'), 0o640);
    const link = workspace.path('migrations.yaml');
    (await import('node:fs')).rmSync(link);
    symlinkSync(workspace.path('real.yaml'), link);
    expect((await step(workspace, 'abort', 'a')).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(workspace.path('real.yaml'), 'utf8')).toContain('phase: abort');
    expect(statSync(workspace.path('real.yaml')).mode & 0o777).toBe(0o640);
  });

  it('a flow-style entry is refused clearly, never deleted', async () => {
    const config = 'migrations:\n  - { vm: a, source: { namespace: src, manifest: vms/a.yaml }, destination: { namespace: dst }, abort: { removeReceiver: true } }\n';
    const workspace = workspaceWith(config);
    const result = await step(workspace, 'cutover', 'a', '--force');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is written as a flow map ({ ... }), which kvmigrate does not edit in place');
    expect(result.text).toBe(config);
  });

  it('two edits racing (cutover a & abort b) both land', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}${entry('b')}`);
    const runProcess = (args: string[]) =>
      new Promise<number | null>((done) => {
        const child = spawn(process.execPath, [resolve(root, 'bin/kvmigrate.js'), ...args, '--config', workspace.path('migrations.yaml')], { stdio: 'ignore' });
        child.on('close', done);
      });
    const codes = await Promise.all([runProcess(['cutover', 'a', '--force']), runProcess(['abort', 'b', '--kubeconfig', workspace.path('none')])]);
    expect(codes).toEqual([0, 0]);
    const text = readFileSync(workspace.path('migrations.yaml'), 'utf8');
    expect(text).toBe(`migrations:\n${entry('a', '    phase: cutover\n')}${entry('b', '    phase: abort\n')}`);
  }, 60_000);
});

describe('pull --add validates what it writes into the config', () => {
  it.each([
    ['--destination-cluster', 'west\n    connectURL: 6.6.6.6:9185'],
    ['--to', 'dst: evil'],
    ['--to', 'Dst_1'],
  ])('%s %j is refused before anything is written', async (flag, value) => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    const before = workspace.files('.');
    let stderr = '';
    const args = ['pull', 'src/web', '--add', '--to', 'dst', '--out', workspace.path('vms'), '--config', workspace.path('migrations.yaml')];
    args[args.indexOf(flag === '--to' ? '--to' : '--add') + (flag === '--to' ? 1 : 0)] = flag === '--to' ? value : '--add';
    if (flag !== '--to') args.push(flag, value);
    const code = await main(args, { stdout: () => {}, stderr: (t) => (stderr += t) });
    expect(code).toBe(2);
    expect(stderr).toContain(`${flag} must be a DNS label`);
    expect(workspace.files('.')).toEqual(before);
  });
});

describe('concurrent edits: every one lands', () => {
  it('10 writer processes retrying one migration 50 times each, all at once: every retry reported done is in the file', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`, ['a']);
    const config = workspace.path('migrations.yaml');
    // Each writer is one process running \`kvmigrate retry a\` 50 times in a row through the bundled CLI (a process
    // per edit would take minutes); the clusters are not reachable, which retry reports and goes on. It prints how
    // many retries exited 0. On a machine this busy, a writer may wait past the lock's timeout: that is a clean error
    // (exit 1, nothing changed), never a lost edit.
    const script = `const { main } = await import(${JSON.stringify(resolve(root, 'build/cli/kvmigrate.js'))});
      const [config, kubeconfig] = process.argv.slice(-2);
      let done = 0;
      for (let round = 0; round < 50; round++) {
        let stderr = '';
        const code = await main(['retry', 'a', '--config', config, '--kubeconfig', kubeconfig], { stdout: () => {}, stderr: (t) => (stderr += t) });
        if (code === 0) done++;
        else if (code !== 1 || !stderr.includes('has been editing this file for over')) process.stderr.write(stderr);
      }
      process.stdout.write(String(done));`;
    const writer = () =>
      new Promise<{ done: number; stderr: string }>((finish) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, config, workspace.path('none')], { stdio: ['ignore', 'pipe', 'pipe'] });
        let [stdout, stderr] = ['', ''];
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', () => finish({ done: Number(stdout), stderr }));
      });
    const results = await Promise.all(Array.from({ length: 10 }, writer));
    expect(results.map((r) => r.stderr).join('')).toBe('');
    const done = results.reduce((sum, r) => sum + r.done, 0);
    expect(done).toBeGreaterThan(0);
    expect(readFileSync(config, 'utf8')).toBe(`migrations:\n${entry('a', `    attempt: ${1 + done}\n`)}`);
    expect(Object.keys(workspace.files('.')).filter((f) => f.includes('kvmigrate-lock'))).toEqual([]);
  }, 300_000);

  it('a lock held by a live process past the timeout is a clean error naming the file, and nothing runs', () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    const config = workspace.path('migrations.yaml');
    writeFileSync(`${config}.kvmigrate-lock`, String(process.pid));
    let ran = false;
    const attempt = () => withFileLock(config, () => (ran = true), 100);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(/another kvmigrate \(process \d+\) has been editing this file/);
    expect(ran).toBe(false);
  });

  it('a lock left by a process that is gone is taken over', () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    const config = workspace.path('migrations.yaml');
    writeFileSync(`${config}.kvmigrate-lock`, '999999999');
    expect(withFileLock(config, () => 'ran', 100)).toBe('ran');
  });
});

describe('an edit changes exactly the entry it names, read as synth reads it', () => {
  it('a value shared through an anchor is refused (abort a would abort b too); the alias side gets a literal', async () => {
    const config = `migrations:\n${entry('a', '    phase: &p migrate\n')}${entry('b', '    phase: *p\n')}`;
    const workspace = workspaceWith(config);
    const refused = await step(workspace, 'abort', 'a');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('migration "a" shares an anchor (&name) with other entries');
    expect(refused.text).toBe(config);
    const aliasSide = await step(workspace, 'abort', 'b');
    expect(aliasSide.code, aliasSide.stderr).toBe(0);
    expect(aliasSide.text).toBe(config.replace('phase: *p', 'phase: abort'));
  });

  it('a shared attempt is refused: retry a would change b\'s migrationID', async () => {
    const config = `migrations:\n${entry('a', '    attempt: &n 1\n')}${entry('b', '    attempt: *n\n')}`;
    const workspace = workspaceWith(config);
    const refused = await step(workspace, 'retry', 'a');
    expect(refused.code).toBe(1);
    expect(refused.text).toBe(config);
  });

  it('merge keys count: retry after a merged attempt 3 writes 4; a merged cutover is final', async () => {
    const config = `x-defaults: &d\n  attempt: 3\nx-done: &done\n  phase: cutover\nmigrations:\n${entry('a', '    <<: *d\n')}${entry('b', '    <<: *done\n')}`;
    const workspace = workspaceWith(config);
    const retried = await step(workspace, 'retry', 'a');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.text).toBe(config.replace('    <<: *d\n', '    <<: *d\n    attempt: 4\n'));
    const aborted = await step(workspace, 'abort', 'b');
    expect(aborted.code).toBe(1);
    expect(aborted.stderr).toContain('migration "b" is in phase cutover: the VM has moved and cutover is final');
  });

  it('retry of an entry whose merged phase is abort writes phase: migrate (removing nothing would keep abort)', async () => {
    const config = `x-stop: &stop\n  phase: abort\nmigrations:\n${entry('a', '    <<: *stop\n')}`;
    const workspace = workspaceWith(config, ['a']);
    const retried = await step(workspace, 'retry', 'a');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.text).toBe(config.replace('    <<: *stop\n', '    <<: *stop\n    phase: migrate\n    attempt: 2\n'));
  });
});

describe('edits of layouts a user writes', () => {
  it('abort --remove-receiver over a block-style abort map of an entry that is not the last', async () => {
    const config = `migrations:\n${entry('a', '    phase: abort\n    abort:\n      removeReceiver: false\n')}${entry('b')}`;
    const workspace = workspaceWith(config);
    const result = await step(workspace, 'abort', 'a', '--remove-receiver');
    expect(result.code, result.stderr).toBe(0);
    expect(result.text).toBe(config.replace('    abort:\n      removeReceiver: false\n', '    abort: { removeReceiver: true }\n'));
  });

  it('retry when phase is the first key, on the "- " line', async () => {
    const config = `migrations:\n  - phase: abort\n    vm: a\n    source: { namespace: src, manifest: vms/a.yaml }\n    destination:\n      namespace: dst\n${entry('b')}`;
    const workspace = workspaceWith(config);
    const result = await step(workspace, 'retry', 'a');
    expect(result.code, result.stderr).toBe(0);
    expect(result.text).toBe(`migrations:\n${entry('a', '    attempt: 2\n')}${entry('b')}`);
  });
});

describe('the config file as the user keeps it', () => {
  it('a read-only config is refused, unchanged', async () => {
    const config = `migrations:\n${entry('a')}`;
    const workspace = workspaceWith(config);
    chmodSync(workspace.path('migrations.yaml'), 0o444);
    const result = await step(workspace, 'abort', 'a');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the config is read-only; nothing was changed');
    expect(result.text).toBe(config);
    expect(statSync(workspace.path('migrations.yaml')).mode & 0o777).toBe(0o444);
  });

  it('a hard-linked config stays one file under both names', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    linkSync(workspace.path('migrations.yaml'), workspace.path('other-name.yaml'));
    const before = statSync(workspace.path('migrations.yaml')).ino;
    const result = await step(workspace, 'abort', 'a');
    expect(result.code, result.stderr).toBe(0);
    expect(statSync(workspace.path('migrations.yaml')).ino).toBe(before);
    expect(readFileSync(workspace.path('other-name.yaml'), 'utf8')).toContain('phase: abort');
    expect(Object.keys(workspace.files('.')).filter((f) => f.includes('.kvmigrate-'))).toEqual([]);
  });

  it.each([
    ['missing', (path: string) => rmSync(path), 'config file not found'],
    ['a dangling symlink', (path: string) => (rmSync(path), symlinkSync(`${path}.gone`, path)), 'the config is a symlink to nothing'],
  ])('a %s config is a clean error', async (_, breakIt, message) => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    breakIt(workspace.path('migrations.yaml'));
    let stderr = '';
    const code = await main(['abort', 'a', '--config', workspace.path('migrations.yaml')], { stdout: () => {}, stderr: (t) => (stderr += t) });
    expect(code).toBe(1);
    expect(stderr).toContain(message);
    expect(stderr).not.toContain('internal error');
  });
});
