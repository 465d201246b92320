// Lifecycle and pull --add edits of migrations.yaml keep the file as the user wrote it, or refuse and change nothing.
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../lib/cli/main.ts';
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
