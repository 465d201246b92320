// The README's quick start, followed as a new user would on a fresh repository: every shell line of the section runs
// as written, in bash, with `npx kvmigrate` answered by this checkout's bin/kvmigrate.js and `git push` going to a
// local bare repository (the remote `origin` that `init --engine argocd` names in migrations.yaml). The world around
// it is the project's test API server with the replays of Argo CD (syncing what was pushed, as its Application says)
// and KubeVirt, and the bundled hook as its own process. A step that stops working, or output the section quotes
// that no longer appears, fails here.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { csiDriver, kubevirt, lease, namespace, node, pod, storageClass, storageProfile, vmi } from './support/cluster-objects.ts';
import { ArgoApplication, KubeVirtModel } from './support/controllers.ts';
import { KubeApiServer, type KubeObject } from './support/kube-api-server.ts';
import { root } from './support/processes.ts';

type Json = Record<string, any>;

const README = readFileSync(join(root, 'README.md'), 'utf8');
const start = README.indexOf('## Quick start');
const QUICK_START = README.slice(start, README.indexOf('\n## ', start + 1));

/** The section in order: its shell blocks (one command line each), its YAML blocks, and the prose between them. */
const parts = [...QUICK_START.matchAll(/```(sh|yaml)\n([\s\S]*?)```|([^`]+|`[^`]*`)/g)].map(([, language, body, prose]) =>
  language ? { language, body: body! } : { language: 'prose', body: prose! },
);
const shellBlocks = parts.filter((p) => p.language === 'sh').map((p) => p.body.split('\n').filter((line) => line.trim() !== ''));

/** A line without its trailing comment (the section's commands quote no `#`). */
const command = (line: string) => line.replace(/\s+#.*$/, '').trim();

/**
 * What the prose promises a command prints: "`pull` prints `A` and `B`; `synth` prints `C`", as patterns where `<n>`
 * stands for a number.
 */
function promisedOutput(): { command: string; pattern: RegExp }[] {
  const prose = parts.filter((p) => p.language === 'prose').map((p) => p.body).join('');
  return [...prose.matchAll(/`(\w+)` prints ((?:`[^`]+`(?:,? and |, )?)+)/g)].flatMap(([, name, quoted]) =>
    [...quoted!.matchAll(/`([^`]+)`/g)].map(([, text]) => ({
      command: name!,
      pattern: new RegExp(text!.replace(/\s+/g, ' ').replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<n>/g, '\\d+').replace(/ /g, '\\s+')),
    })),
  );
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface LineRun {
  readonly line: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A cluster where VM shop/web runs on a 10Gi disk, KubeVirt has the feature gate and a published sync controller. */
function cluster(api: KubeApiServer): void {
  api.put(kubevirt('kubevirt', { addresses: ['10.128.0.9:9185'] }));
  api.put(lease('sync-a'));
  api.put(pod('sync-a', { ip: '10.128.0.9' }));
  api.put({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'CDIConfig', metadata: { name: 'config' }, spec: {}, status: { filesystemOverhead: { global: '0.06' } } } as KubeObject);
  for (const name of ['shop', 'shop-new']) api.put(namespace(name));
  api.put(storageClass('fast'));
  api.put(storageProfile('fast', [{ accessModes: ['ReadWriteMany'], volumeMode: 'Filesystem' }]));
  api.put(csiDriver());
  api.put(node('worker-1'));
  api.put(node('worker-2'));
  const storage = { storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } };
  api.put({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      runStrategy: 'Always',
      dataVolumeTemplates: [{ metadata: { name: 'web-root' }, spec: { source: { blank: {} }, storage } }],
      template: {
        metadata: { labels: { 'kubevirt.io/domain': 'web' } },
        spec: {
          domain: {
            devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {}, macAddress: '02:00:00:00:00:01' }] },
            firmware: { uuid: '6a1c3f0e-5b7d-4e2a-9c41-0d2e8f7b3a15' },
            memory: { guest: '1Gi' },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [{ name: 'root', dataVolume: { name: 'web-root' } }],
        },
      },
    },
  } as KubeObject);
  api.put({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'web-root', namespace: 'shop' }, spec: { source: { blank: {} }, storage }, status: { phase: 'Succeeded' } } as KubeObject);
  api.put({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'web-root', namespace: 'shop' },
    spec: { storageClassName: 'fast', volumeMode: 'Filesystem', accessModes: ['ReadWriteMany'], resources: { requests: { storage: '10Gi' } } },
    status: { phase: 'Bound', capacity: { storage: '10Gi' } },
  } as KubeObject);
  api.put(vmi('web', 'shop', 'Running', [{ type: 'LiveMigratable', status: 'True' }, { type: 'StorageLiveMigratable', status: 'True' }]));
}

/** A fresh GitOps repository with a remote, a shell whose `npx kvmigrate` is this checkout, and the cluster. */
async function newUser() {
  const dir = mkdtempSync(join(tmpdir(), 'kvmigrate-quick-start-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const repo = join(dir, 'vm-moves');
  const remote = join(dir, 'remote.git');
  const bin = join(dir, 'bin');
  mkdirSync(repo);
  mkdirSync(bin);
  // `npx kvmigrate` is this checkout's command line, as `npm i -D kvmigrate` would make it; nothing else is answered.
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\n[ "$1" = kvmigrate ] || { echo "npx: only kvmigrate here" >&2; exit 127; }\nshift\nexec "${process.execPath}" "${join(root, 'bin/kvmigrate.js')}" "$@"\n`);
  chmodSync(join(bin, 'npx'), 0o755);
  const api = await KubeApiServer.start();
  cleanups.push(() => api.stop());
  cluster(api);
  const kubevirtModel = new KubeVirtModel(api);
  kubevirtModel.settle();
  const kubeconfig = api.writeKubeconfig(dir, 'user');
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    KUBECONFIG: kubeconfig,
    NO_COLOR: '1',
    GIT_AUTHOR_NAME: 'Platform Engineer',
    GIT_AUTHOR_EMAIL: 'platform@example.com',
    GIT_COMMITTER_NAME: 'Platform Engineer',
    GIT_COMMITTER_EMAIL: 'platform@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: dir,
  };
  const git = (cwd: string, ...args: string[]) => {
    const result = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'remote', 'add', 'origin', remote);
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'An empty GitOps repository');
  git(repo, 'push', '-q', '-u', 'origin', 'main');

  /** Runs one line in bash in the repository; `whenWatching` runs once the line printed its first output. */
  const runLine = (line: string, whenWatching?: () => Promise<unknown>): Promise<LineRun> =>
    new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', line], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let watched: Promise<unknown> | undefined;
      const timer = setTimeout(() => child.kill(), 60_000);
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (whenWatching && !watched) watched = whenWatching().catch(reject);
      });
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', async (code) => {
        clearTimeout(timer);
        await watched;
        resolve({ line, code, stdout, stderr });
      });
    });

  /** Argo CD: each Application of the pushed commit syncs its folder of that commit (replay, bundled hook). */
  const argoSync = async () => {
    const checkout = join(dir, 'argocd-checkout');
    rmSync(checkout, { recursive: true, force: true });
    git(dir, 'clone', '-q', remote, checkout);
    const results = [];
    const applications = parseAllDocuments(readFileSync(join(checkout, 'dist/_argocd/applications.k8s.yaml'), 'utf8')).map((d) => d.toJS() as Json);
    for (const application of applications) {
      const folder = join(checkout, application.spec.source.path);
      const objects = readdirSync(folder)
        .filter((file) => file.endsWith('.yaml'))
        .sort()
        .flatMap((file) => parseAllDocuments(readFileSync(join(folder, file), 'utf8')).map((d) => d.toJS() as Json));
      const app = new ArgoApplication(api, kubevirtModel, { name: application.metadata.name, kubeconfig, ignoreDifferences: application.spec.ignoreDifferences ?? [] });
      const result = await app.sync(objects);
      kubevirtModel.settle();
      results.push({ ...result, health: app.appHealth(objects), synced: app.synced(objects) });
    }
    syncs.push(results);
    return results;
  };
  const syncs: Json[][] = [];

  /**
   * Follows one shell block line by line: each must exit 0 (`diff` 1, as kubectl diff: changes to show); after a `git push` Argo CD syncs, while a `--watch`
   * line watches (once it printed its first line), else before the next line or at the end of the block.
   */
  const follow = async (block: readonly string[]): Promise<LineRun[]> => {
    const runs: LineRun[] = [];
    let pushed = false;
    for (const raw of block) {
      const line = command(raw);
      const watching = /--watch\b/.test(line);
      if (pushed && !watching) await argoSync();
      const run = await runLine(line, pushed && watching ? argoSync : undefined);
      pushed = /\bgit push\b/.test(line) ? true : pushed && !watching;
      expect(run.code, `${line}\n${run.stdout}${run.stderr}`).toBe(/^npx kvmigrate diff\b/.test(line) ? 1 : 0);
      runs.push(run);
    }
    if (pushed) await argoSync();
    return runs;
  };

  return { api, kubevirt: kubevirtModel, repo, follow, runLine, syncs, git: (...args: string[]) => git(repo, ...args), read: (path: string) => readFileSync(join(repo, path), 'utf8') };
}

const byCommand = (runs: readonly LineRun[], name: string) => runs.filter((r) => new RegExp(`^npx kvmigrate ${name}\\b`).test(r.line));

describe('the README quick start, followed on the test API server with the Argo CD and KubeVirt replays', () => {
  it('the section has the blocks this test follows: setup, move, cutover, abort/retry', () => {
    expect(shellBlocks).toHaveLength(4);
    expect(shellBlocks[0]!.map(command)).toEqual(['npx kvmigrate init --engine argocd']);
    expect(promisedOutput().map((p) => p.command)).toEqual(['pull', 'pull', 'synth']);
  });

  it('init, pull, preflight, synth, commit, status --watch, then cutover: the VM moves once and ends a plain VM at the destination', async () => {
    const user = await newUser();
    const [setup, move, cutover] = shellBlocks as [string[], string[], string[], string[]];
    await user.follow(setup);
    expect(parseAllDocuments(user.read('migrations.yaml'))[0]!.toJS().argocd).toEqual({ repoURL: user.git('remote', 'get-url', 'origin').trim() });
    const moved = await user.follow(move);

    // What the prose says these commands print, they print.
    for (const { command: name, pattern } of promisedOutput()) expect(byCommand(moved, name).map((r) => r.stdout).join('')).toMatch(pattern);
    // The pull wrote the live VM and its disk, and the entry; preflight passed (a warning at most).
    expect(user.read('vms/web.yaml')).toContain('storage: 10Gi');
    expect(user.read('migrations.yaml')).toMatch(/- vm: web\n\s+source:\n\s+namespace: shop\n/);
    expect(byCommand(moved, 'preflight')[0]!.stdout).toMatch(/\n\d+ checks: \d+ pass, \d+ warn, 0 fail\n$/);
    // Before the first sync, diff shows every object of the folder as one to create, and the hook as the hook.
    const [diff] = byCommand(moved, 'diff');
    expect(diff!.stdout).toMatch(/^create\s+default\s+VirtualMachine\s+shop-new\/web$/m);
    expect(diff!.stdout).toMatch(/^create\s+default\s+DataVolume\s+shop-new\/web-root$/m);
    expect(diff!.stdout).toMatch(/^hook\s+default\s+Job\s+shop\//m);
    // The commit holds what Argo CD needs: the Application and the cluster folder.
    expect(user.git('ls-tree', '-r', '--name-only', 'origin/main')).toMatch(/dist\/_argocd\/applications\.k8s\.yaml[\s\S]*dist\/default\/web\.k8s\.yaml/);
    // status --watch saw the repository before the sync, then followed the migration to its end.
    const [watch] = byCommand(moved, 'status');
    expect(watch!.stdout).toMatch(/not synced yet[\s\S]*Succeeded/);
    expect(watch!.stdout.indexOf('not synced yet')).toBeLessThan(watch!.stdout.lastIndexOf('Succeeded'));
    expect(user.syncs[0]).toEqual([expect.objectContaining({ phase: 'Succeeded', health: 'Healthy', synced: true })]);
    expect(user.kubevirt.runningCopies('web')).toBe(1);
    expect(user.api.get('VirtualMachineInstance', 'shop-new', 'web')?.status.phase).toBe('Running');

    const config = user.read('migrations.yaml');
    const [dryRun, cut] = await user.follow(cutover);
    // --dry-run printed the change and wrote nothing; the cutover itself changed the config, and Argo CD synced it.
    expect(dryRun!.stdout).toMatch(/\n--- migrations\.yaml\n\+\+\+ [^\n]*\n@@ [^\n]*\n[\s\S]*\n\+\s+phase: cutover\n/);
    expect(cut!.stdout).not.toBe('');
    expect(user.git('show', 'HEAD~1:migrations.yaml')).toBe(config);
    expect(user.read('migrations.yaml')).not.toBe(config);
    expect(user.syncs.at(-1)).toEqual([expect.objectContaining({ phase: 'Succeeded', health: 'Healthy', synced: true })]);
    const destination = user.api.get('VirtualMachine', 'shop-new', 'web')!;
    expect(destination.spec.runStrategy).toBe('Always');
    // A plain VM: Git holds its final run strategy and the Application no longer ignores it.
    const [application] = parseAllDocuments(user.read('dist/_argocd/applications.k8s.yaml')).map((d) => d.toJS() as Json);
    expect(application!.spec.ignoreDifferences ?? []).not.toContainEqual(expect.objectContaining({ kind: 'VirtualMachine', name: 'web' }));
    expect(user.read('dist/default/web.k8s.yaml')).toMatch(/kind: VirtualMachine\n[\s\S]*\n {2}runStrategy: Always\n/);
    expect(user.api.get('VirtualMachine', 'shop', 'web')!.spec.runStrategy).toBe('Halted');
    expect(user.api.list('Job')).toEqual([]);
    expect(user.kubevirt.runningCopies('web')).toBe(1);
  });

  it('a failed migration, then abort and retry as the section says: the next attempt moves the VM', async () => {
    const user = await newUser();
    const [setup, move, , stop] = shellBlocks as [string[], string[], string[], string[]];
    await user.follow(setup);
    user.kubevirt.failNext = true;
    // The move's lines up to the push and Argo CD's sync; then status --watch ends with the failure (exit 1, as its
    // help says).
    const watchAt = move.findIndex((line) => /--watch\b/.test(line));
    await user.follow(move.slice(0, watchAt));
    expect(user.api.list('VirtualMachineInstanceMigration').map((m) => m.status.phase)).toEqual(['Failed', 'Failed']);
    const watch = await user.runLine(command(move[watchAt]!));
    expect(watch.code).toBe(1);
    expect(watch.stdout).toContain('Failed');
    expect(user.api.get('VirtualMachineInstance', 'shop', 'web')?.status.phase).toBe('Running');

    const firstIds = user.api.list('VirtualMachineInstanceMigration').map((m) => m.spec.receive?.migrationID ?? m.spec.sendTo.migrationID);
    const [abort, retry] = await user.follow(stop);
    expect(abort!.stdout).toContain('kubectl delete vmim -n shop-new');
    expect(retry!.stdout).toContain(': Failed');
    expect(user.syncs.at(-1)).toEqual([expect.objectContaining({ phase: 'Succeeded', health: 'Healthy', synced: true })]);
    expect(user.api.get('VirtualMachineInstance', 'shop-new', 'web')?.status.phase).toBe('Running');
    const succeeded = user.api.list('VirtualMachineInstanceMigration').filter((m) => m.status.phase === 'Succeeded');
    expect(succeeded.map((m) => m.spec.receive?.migrationID)).toEqual([expect.not.stringMatching(new RegExp(`^(${firstIds.join('|')})$`))]);
    expect(user.kubevirt.runningCopies('web')).toBe(1);
  });
});
