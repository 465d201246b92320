// Files synthesis cannot read or write: each is an error naming the file and why (exit 1, the out dir as it was), never
// a stack trace. Run as the CLI runs, in a process. As root, permissions do not apply: the process then runs as the
// unprivileged user `nobody` (setpriv), and an immutable file (chattr +i) stands for one no one may remove.
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { root, type ProcessResult } from './support/processes.ts';

const asRoot = process.getuid?.() === 0;
const hasChattr = asRoot && spawnSync('chattr', ['--help']).error === undefined;

/** `kvmigrate synth` in `w`, unprivileged, with a shell prefix such as `ulimit -f 1;`. */
function synth(w: Workspace, shellPrefix = ''): ProcessResult {
  const command = `${shellPrefix} exec "${process.execPath}" "${resolve(root, 'bin/kvmigrate.js')}" synth`;
  const argv = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', command] : ['sh', '-c', command];
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd: w.dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', HOME: w.dir } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function workspace(): Workspace {
  const w = new Workspace();
  w.setup({ migrations: [migration('a')] }, { a: [vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }))] });
  // Anyone may enter, read and write: each test takes away what it is about.
  for (const path of [w.dir, w.path('vms')]) chmodSync(path, 0o777);
  return w;
}

const leftovers = (w: Workspace) => readdirSync(w.dir).filter((n) => n.includes('.kvmigrate-'));

describe('files synthesis cannot read or write', () => {
  it('an unreadable config: its name, permission denied, exit 1', () => {
    const w = workspace();
    chmodSync(w.path('migrations.yaml'), 0o000);
    const result = synth(w);
    expect(result.stderr).toBe('migrations.yaml: error: cannot read the config: permission denied (EACCES)\n1 error; nothing was written\n');
    expect(result.code).toBe(1);
  });

  it('an unreadable source manifest: at the config line naming it', () => {
    const w = workspace();
    chmodSync(w.path('vms/a.yaml'), 0o000);
    const result = synth(w);
    expect(result.stderr).toMatch(/^migrations\.yaml:\d+:\d+: error: cannot read source manifest "vms\/a\.yaml" \(vms\/a\.yaml\): permission denied \(EACCES\)\n/);
    expect(result.code).toBe(1);
  });

  it('a folder where the out dir cannot be written: the path, exit 1, nothing left behind', () => {
    const w = workspace();
    chmodSync(w.dir, 0o555);
    const result = synth(w);
    expect(result.stderr).toMatch(/^dist\.kvmigrate-new-\d+: error: cannot write dist\.kvmigrate-new-\d+: permission denied \(EACCES\)\n  hint: the out dir dist is as it was\n/);
    expect(result.code).toBe(1);
    chmodSync(w.dir, 0o777);
    expect(readdirSync(w.dir).sort()).toEqual(['migrations.yaml', 'vms']);
  });

  it('the file size limit (ulimit -f): the file, EFBIG, exit 1, the previous output kept whole', () => {
    const w = workspace();
    expect(synth(w).code).toBe(0);
    const before = w.files('dist');
    const result = synth(w, 'ulimit -f 1;');
    expect(result.stderr).toMatch(/error: cannot write dist\.kvmigrate-new-\d+\/default\/a\.k8s\.yaml: the file is larger than the file size limit \(ulimit -f\) \(EFBIG\)\n/);
    expect(result.code).toBe(1);
    expect(w.files('dist')).toEqual(before);
    expect(leftovers(w)).toEqual([]);
  });

  it.skipIf(!hasChattr)('an immutable file in the out dir: the new output is written, the previous one stays with a warning naming the file', () => {
    const w = workspace();
    expect(synth(w).code).toBe(0);
    const file = w.path('dist/default/a.k8s.yaml');
    const text = readFileSync(file, 'utf8');
    spawnSync('chattr', ['+i', file]);
    try {
      const result = synth(w);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/warning: could not remove the previous output .*dist\.kvmigrate-old-\d+: operation not permitted \(an immutable or protected file\) \(EPERM\) at .*dist\.kvmigrate-old-\d+\/default\/a\.k8s\.yaml; remove it by hand/);
      expect(w.files('dist')).toEqual({ 'default/a.k8s.yaml': text });
    } finally {
      for (const name of leftovers(w)) spawnSync('chattr', ['-i', w.path(`${name}/default/a.k8s.yaml`)]);
    }
  });
});
