// kvmigrate diff against the API server emulation, with the real client: what the next sync would change, object by
// object, decided by a server-side apply dry run (kubectl diff `InfoObject.Merged` with --server-side; gitops-engine
// `diff.ServerSideDiff`), hooks not compared (gitops-engine `hook.IsHook`), kubectl diff's exit codes (`CheckDiffErr`).
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { kvmigrateInProcess } from './support/cli.ts';
import { KubeApiServer, twoClusterKubeconfig, type KubeObject } from './support/kube-api-server.ts';
import { synth } from './support/synth.ts';

const servers: KubeApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const machine = (name: string, size = '1Gi') => vm(name, withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size }));

/** A same-cluster migration of `web` (src -> dst), its disk `size`, with more entries when given. */
async function lab(size = '1Gi', config: Record<string, unknown> = {}) {
  const api = await KubeApiServer.start();
  servers.push(api);
  const workspace = new Workspace();
  workspace.setup({ migrations: [migration('web')], ...config }, { web: [machine('web', size)] });
  return { api, workspace };
}

const diff = (workspace: Workspace, kubeconfig: string, args: string[] = []) => kvmigrateInProcess(['diff', '--config', workspace.path('migrations.yaml'), '--kubeconfig', kubeconfig, ...args]);

/** The first column and the object of each line that names one (diff bodies left out). */
const lines = (stdout: string) => stdout.split('\n').filter((line) => /^(create|update|unchanged|hook) /.test(line));

/** Every object the config compiles to, stored as a sync would have created it. */
function applyAll(api: KubeApiServer, workspace: Workspace): void {
  const { objects } = synth(workspace);
  for (const object of objects) api.put(object as KubeObject);
}

describe('kvmigrate diff', () => {
  it('with nothing live: every object is created, the hook Job runs on sync, exit 1, nothing written', async () => {
    const { api, workspace } = await lab();
    const run = await diff(workspace, api.writeKubeconfig(workspace.dir));
    expect(run.code, run.stderr).toBe(1);
    expect(lines(run.stdout)).toEqual([
      'create     default ConfigMap dst/web-kvmigrate',
      expect.stringMatching(/^create     default ServiceAccount src\/web-send-hook-\w+$/),
      expect.stringMatching(/^create     default Role src\/web-send-hook-\w+$/),
      expect.stringMatching(/^create     default RoleBinding src\/web-send-hook-\w+$/),
      expect.stringMatching(/^create     default Role dst\/web-send-hook-\w+$/),
      expect.stringMatching(/^create     default RoleBinding dst\/web-send-hook-\w+$/),
      'create     default DataVolume dst/web-root',
      'create     default VirtualMachine dst/web',
      expect.stringMatching(/^hook       default Job src\/web-send-hook-\w+  \(runs on sync, not compared\)$/),
    ]);
    expect(run.stderr).toContain('8 to create, 0 to update, 0 unchanged, 1 hook(s) run on sync (field manager argocd-controller)\n');
    // Compiled in memory only; a hook is never read (each sync creates it anew); nothing was written to the cluster.
    expect(existsSync(workspace.path('dist'))).toBe(false);
    expect(api.requests.filter((r) => r.path.includes('/jobs/'))).toEqual([]);
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('after the synthesized objects were applied: all unchanged, exit 0, each decided by a dry-run apply as the engine', async () => {
    const { api, workspace } = await lab();
    applyAll(api, workspace);
    const run = await diff(workspace, api.writeKubeconfig(workspace.dir));
    expect(run.code, run.stdout).toBe(0);
    expect(lines(run.stdout).map((line) => line.split(' ')[0])).toEqual([...Array(8).fill('unchanged'), 'hook']);
    const applies = api.requests.filter((r) => r.method === 'PATCH');
    expect(applies).toHaveLength(8);
    for (const apply of applies) expect(Object.fromEntries(new URLSearchParams(apply.query))).toEqual({ dryRun: 'All', fieldManager: 'argocd-controller', force: 'true' });
    // Dry runs store nothing: the receiver is as it was applied.
    expect(api.get('VirtualMachine', 'dst', 'web')!.metadata.managedFields).toBeUndefined();
  });

  it("a receiver whose runStrategy KubeVirt rewrote is unchanged (the engines ignore it); any other live change is an update", async () => {
    const { api, workspace } = await lab();
    applyAll(api, workspace);
    // KubeVirt restores the run strategy once the VM has arrived (receiver-virtual-machine.ts).
    api.update('VirtualMachine', 'dst', 'web', (o) => (o.spec.runStrategy = 'Always'));
    const kubeconfig = api.writeKubeconfig(workspace.dir);
    const ignored = await diff(workspace, kubeconfig);
    expect(ignored.code, ignored.stdout).toBe(0);
    expect(ignored.stdout).toContain('unchanged  default VirtualMachine dst/web\n');
    api.update('VirtualMachine', 'dst', 'web', (o) => (o.spec.template.spec.domain.memory.guest = '2Gi'));
    const changed = await diff(workspace, kubeconfig);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('update     default VirtualMachine dst/web\n');
    expect(changed.stdout).toMatch(/^-          guest: 2Gi\n\+          guest: 1Gi$/m);
    // The ignored field is in neither side of the diff.
    expect(changed.stdout).not.toMatch(/^[-+ ] +runStrategy:/m);
  });

  it('a disk size changed in the config: the DataVolume is an update, its unified diff shows the size', async () => {
    const { api, workspace } = await lab('1Gi');
    applyAll(api, workspace);
    workspace.setup({ migrations: [migration('web')] }, { web: [machine('web', '2Gi')] });
    const run = await diff(workspace, api.writeKubeconfig(workspace.dir));
    expect(run.code).toBe(1);
    const changes = lines(run.stdout).filter((line) => !line.startsWith('unchanged') && !line.startsWith('hook'));
    expect(changes).toEqual(['update     default DataVolume dst/web-root']);
    expect(run.stdout).toContain('--- default/DataVolume/dst/web-root (live)\n+++ default/DataVolume/dst/web-root (after sync)\n@@ ');
    expect(run.stdout).toMatch(/^-        storage: 1Gi\n\+        storage: 2Gi$/m);
  });

  it('a field the engine applied before and the config no longer has is removed by the apply: an update', async () => {
    const { api, workspace } = await lab();
    const { objects } = synth(workspace);
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    // The engine's last apply held one more key; the server removes what its manager no longer applies.
    const body = JSON.stringify({ ...configMap, data: { ...configMap.data, stale: 'yes' } });
    const path = '/api/v1/namespaces/dst/configmaps/web-kvmigrate?fieldManager=argocd-controller&force=true';
    const response = await fetch(`${api.url}${path}`, { method: 'PATCH', headers: { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/apply-patch+yaml' }, body });
    expect(response.status).toBe(201);
    const run = await diff(workspace, api.writeKubeconfig(workspace.dir), ['-o', 'json']);
    const entry = JSON.parse(run.stdout).objects.find((o: { kind: string }) => o.kind === 'ConfigMap');
    expect(entry).toMatchObject({ change: 'update', diff: expect.stringMatching(/^-  stale: "?yes"?$/m) });
  });

  it('-o json: every object with its change, folder, cluster, migration and identity; updates carry their diff', async () => {
    const { api, workspace } = await lab();
    applyAll(api, workspace);
    api.update('DataVolume', 'dst', 'web-root', (o) => (o.spec.storage.resources.requests.storage = '5Gi'));
    const run = await diff(workspace, api.writeKubeconfig(workspace.dir), ['-o', 'json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({ differences: true, fieldManager: 'argocd-controller', warnings: expect.arrayContaining([expect.objectContaining({ message: expect.stringContaining('no argocd: or flux: section') })]) });
    expect(json.objects).toHaveLength(9);
    expect(json.objects.find((o: { kind: string }) => o.kind === 'DataVolume')).toEqual({
      change: 'update',
      folder: 'default',
      cluster: 'default',
      migration: 'web',
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      namespace: 'dst',
      name: 'web-root',
      diff: expect.stringMatching(/^-        storage: 5Gi\n\+        storage: 1Gi$/m),
    });
    expect(json.objects.find((o: { kind: string }) => o.kind === 'Job')).toMatchObject({ change: 'hook' });
    expect(json.objects.find((o: { kind: string }) => o.kind === 'ConfigMap')).not.toHaveProperty('diff');
  });

  it('with flux: the dry runs apply as kustomize-controller; the Kustomizations are compared in the default cluster, the Job like any object', async () => {
    const { api, workspace } = await lab('1Gi', { flux: {} });
    applyAll(api, workspace);
    const run = await diff(workspace, api.writeKubeconfig(workspace.dir));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('unchanged  _flux Kustomization flux-system/');
    // kustomize-controller has no hooks: the hook Job is applied, and compared, like any object.
    expect(lines(run.stdout)).toContainEqual(expect.stringMatching(/^unchanged  default Job src\/web-send-hook-\w+$/));
    api.remove('Job', 'src', lines(run.stdout).find((line) => / Job /.test(line))!.split('/').at(-1)!);
    const removed = await diff(workspace, api.writeKubeconfig(workspace.dir));
    expect(removed.code).toBe(1);
    expect(lines(removed.stdout)).toContainEqual(expect.stringMatching(/^create     default Job src\/web-send-hook-\w+$/));
    expect(new Set(api.requests.filter((r) => r.method === 'PATCH').map((r) => new URLSearchParams(r.query).get('fieldManager')))).toEqual(new Set(['kustomize-controller']));
  });

  it('filters as status: a migration name, --namespace and --cluster at either end; the engine folders only unfiltered', async () => {
    const { api, workspace } = await lab('1Gi', { argocd: { repoURL: 'https://git.example.com/x.git' } });
    workspace.setup(
      { argocd: { repoURL: 'https://git.example.com/x.git' }, migrations: [migration('web'), migration('db', { destination: { namespace: 'other' } })] },
      { web: [machine('web')], db: [machine('db')] },
    );
    const kubeconfig = api.writeKubeconfig(workspace.dir);
    const names = async (args: string[]) => [...new Set(JSON.parse((await diff(workspace, kubeconfig, [...args, '-o', 'json'])).stdout).objects.map((o: { folder: string; migration?: string }) => o.migration ?? o.folder))];
    expect(await names([])).toEqual(['db', 'web', '_argocd']);
    expect(await names(['web'])).toEqual(['web']);
    expect(await names(['--migration', 'db'])).toEqual(['db']);
    expect(await names(['--namespace', 'other'])).toEqual(['db']);
    expect(await names(['--cluster', 'default'])).toEqual(['db', 'web']);
    const unknown = await diff(workspace, kubeconfig, ['nope']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^error: no migration named "nope" in .*migrations\.yaml\n/);
    expect((await diff(workspace, kubeconfig, ['--namespace', 'elsewhere'])).stderr).toMatch(/has namespace "elsewhere" at either end/);
  });

  it("reads each cluster folder with that cluster's context; an unreachable cluster is one error naming it and its context, exit 2", async () => {
    const east = await KubeApiServer.start();
    const west = await KubeApiServer.start();
    servers.push(east, west);
    const workspace = new Workspace();
    workspace.setup(
      { clusters: { east: { kubeContext: 'east-admin' }, west: { kubeContext: 'west-admin' } }, migrations: [migration('web', { source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west' } })] },
      { web: [machine('web')] },
    );
    const kubeconfig = workspace.write('kubeconfig', twoClusterKubeconfig(east, west));
    const run = await diff(workspace, kubeconfig);
    expect(run.code, run.stderr).toBe(1);
    expect(lines(run.stdout).filter((line) => line.includes(' west '))).toContain('create     west VirtualMachine dst/web');
    expect(west.requests.some((r) => r.path === '/apis/kubevirt.io/v1/namespaces/dst/virtualmachines/web')).toBe(true);
    expect(east.requests.some((r) => r.path.includes('/virtualmachines/'))).toBe(false);

    await west.stop();
    servers.splice(servers.indexOf(west), 1);
    const down = await diff(workspace, kubeconfig);
    expect(down.code).toBe(2);
    expect(down.stdout).toBe('');
    expect(down.stderr).toMatch(/\nerror: cluster "west" \(context "west-admin", http:\/\/127\.0\.0\.1:\d+\): read .+: cannot reach the API server \(ECONNREFUSED.*; check the kubeconfig's server and context\n$/);
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });

  it('a kind the cluster does not serve (CDI not installed): an error saying so, exit 2', async () => {
    const { api, workspace } = await lab();
    // kube-apiserver answers a group version it does not serve with a plain-text 404.
    api.inject({ method: 'GET', path: /^\/apis\/cdi\.kubevirt\.io\/v1beta1$/, status: 404, body: '404 page not found\n', contentType: 'text/plain; charset=utf-8' });
    const run = await diff(workspace, api.writeKubeconfig(workspace.dir));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\nerror: cluster "default" \(context "test", http:\/\/127\.0\.0\.1:\d+\): the API server serves no DataVolume in cdi\.kubevirt\.io\/v1beta1: install what provides it \(its CRD\) before the sync\n$/);
  });

  it('a config error: file:line:col, exit 2 (1 means differences), nothing read', async () => {
    const { api, workspace } = await lab();
    workspace.write('migrations.yaml', 'migrations:\n  - vm: web\n    source: { namespace: src, manifest: vms/missing.yaml }\n    destination: { namespace: dst }\n');
    const run = await diff(workspace, api.writeKubeconfig(workspace.dir));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/migrations\.yaml:3:\d+: error: /);
    expect(api.requests).toEqual([]);
    const json = await diff(workspace, api.writeKubeconfig(workspace.dir), ['-o', 'json']);
    expect(JSON.parse(json.stdout).error).toMatchObject({ kind: 'input', exitCode: 2 });
    expect((await diff(workspace, 'unused', ['--bogus'])).code).toBe(3);
  });
});
