// The hook's access on a real API server: authenticated as the ServiceAccount the emitted RBAC creates (a bound token
// from the TokenRequest API), authorized by the real RBAC authorizer. It can do its whole job, and nothing else.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { documents, migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from '../support/builders.ts';
import { kvmigrateInProcess } from '../support/cli.ts';
import { runHookProcess } from '../support/hook-process.ts';
import { root } from '../support/processes.ts';
import { KUBEVIRT_CRD, RealApiServer, realApiServerAvailable, type Json } from '../support/real-api-server.ts';
import { ofKind, only, synth } from '../support/synth.ts';

const LAB_ID = '52e4398d-bdbf-42b5-b0f4-1e7c6c0a08f5-38cec1f6-43bb-412d-8477-b3d635fd7123';
const MIGRATIONS = '/apis/kubevirt.io/v1/namespaces';

/** The ClusterRole a KubeVirt installation brings (virt-operator `rbac/cluster.go` `newMigrateClusterRole`). */
const MIGRATE_CLUSTER_ROLE: Json = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'kubevirt.io:migrate' },
  rules: [
    { apiGroups: ['subresources.kubevirt.io'], resources: ['virtualmachines/migrate'], verbs: ['update'] },
    { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['get', 'delete', 'create', 'update', 'patch', 'list', 'watch', 'deletecollection'] },
  ],
};

let server: RealApiServer;
beforeAll(async () => {
  server = await RealApiServer.start();
  await server.installCrds([KUBEVIRT_CRD]);
  await server.ok('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', MIGRATE_CLUSTER_ROLE);
});
afterAll(() => server?.stop());

/** Applies `objects` (Argo CD's sync, as the admin) into their namespaces. */
async function sync(objects: readonly Json[]): Promise<void> {
  await server.namespaces(...new Set(objects.map((o) => o.metadata.namespace)));
  for (const object of objects) {
    const answer = await server.apply(object, 'argocd-controller');
    if (answer.status !== 200 && answer.status !== 201) throw new Error(`${object.kind} ${object.metadata.name}: ${answer.body.message}`);
  }
}

/** The VMIs KubeVirt runs for a migration: the source Running, the receiver parked. */
async function runningVmis(name: string, source: string, destination: string): Promise<void> {
  await server.create({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: source }, spec: { domain: { devices: {} } }, status: { phase: 'Running' } });
  await server.create({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: destination }, spec: { domain: { devices: {} } }, status: { phase: 'WaitingForSync' } });
}

/** The bundled example's objects, in namespaces of their own (`prefix-source`, ...) so tests do not meet. */
function example(prefix: string, edit: (objects: Json[]) => void = () => {}): { objects: Json[]; args: string[]; account: Json } {
  const text = readFileSync(join(root, 'dist/default/vm-migration-ns-ns-live.k8s.yaml'), 'utf8')
    .replaceAll('vm-live-migration-', `${prefix}-`)
    .replaceAll('openshift-cnv', `${prefix}-cnv`);
  const objects = documents(text);
  edit(objects);
  const args = only(objects, 'Job').spec.template.spec.containers[0].args as string[];
  return { objects, args: [...args, '--poll-interval', '0.05'], account: only(objects, 'ServiceAccount') };
}

/** The bundled example synced, with the cluster state KubeVirt makes; returns the hook's kubeconfig (its own token). */
async function labCluster(prefix: string, options: { publishAddress?: boolean; edit?: (objects: Json[]) => void } = {}) {
  const { objects, args, account } = example(prefix, options.edit);
  await sync(objects);
  const [source, destination, kubevirtNamespace] = [`${prefix}-source`, `${prefix}-destination`, `${prefix}-cnv`];
  await runningVmis('vm-migration-ns-ns-live', source, destination);
  await server.writeStatus({ ...only(objects, 'VirtualMachine'), status: { created: true, printableStatus: 'WaitingForReceiver' } });
  await server.create({
    apiVersion: 'kubevirt.io/v1',
    kind: 'KubeVirt',
    metadata: { name: 'kubevirt-kubevirt-hyperconverged', namespace: kubevirtNamespace },
    spec: {},
    status: options.publishAddress === false ? { phase: 'Deployed' } : { phase: 'Deployed', synchronizationAddresses: ['10.128.2.44:9185'] },
  });
  await server.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'virt-synchronization-controller', namespace: kubevirtNamespace }, spec: { holderIdentity: 'sync-7d9f-x2' } });
  // No controller manager runs: the ServiceAccount admission needs the namespace's default account to exist (and,
  // without a token controller, a Pod that mounts no token).
  await server.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: kubevirtNamespace } });
  await server.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'sync-7d9f-x2', namespace: kubevirtNamespace },
    spec: { automountServiceAccountToken: false, containers: [{ name: 'sync', image: 'virt-synchronization-controller' }] },
    status: { phase: 'Running', podIP: '10.128.2.55', podIPs: [{ ip: '10.128.2.55' }] },
  });
  const token = await server.serviceAccountToken(account.metadata.namespace, account.metadata.name);
  const workspace = new Workspace();
  return { args, source, destination, token, kubeconfig: server.writeKubeconfig(workspace.dir, 'hook', token) };
}

const migrations = async (namespace: string): Promise<Json[]> => (await server.ok('GET', `${MIGRATIONS}/${namespace}/virtualmachineinstancemigrations`)).items;

describe.skipIf(!realApiServerAvailable)("the hook as its ServiceAccount, by the real authorizer", () => {
  it("does its whole job with the Job's own arguments and a TokenRequest token, and a re-run may read back what it made", async () => {
    const { args, source, destination, kubeconfig } = await labCluster('whole');
    const run = await runHookProcess(args, kubeconfig);
    expect(run.code, run.stderr).toBe(0);
    expect((await migrations(source)).map((m) => m.spec)).toEqual([{ vmiName: 'vm-migration-ns-ns-live', sendTo: { migrationID: LAB_ID, connectURL: '10.128.2.44:9185' } }]);
    expect((await migrations(destination)).map((m) => m.spec)).toEqual([{ vmiName: 'vm-migration-ns-ns-live', receive: { migrationID: LAB_ID } }]);
    const again = await runHookProcess(args, kubeconfig);
    expect(again.code, again.stderr).toBe(0);
  });

  it("is refused another migration's name, deleting others' migrations and reading Secrets; a binding to kubevirt.io:migrate would allow the delete", async () => {
    const { source, destination, token } = await labCluster('refused');
    const other = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'someone-elses', namespace: source }, spec: { vmiName: 'other' } };
    await server.create(other);
    await server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-password', namespace: source }, stringData: { password: 'x' } });
    const as = (method: string, path: string) => server.request(method, path, undefined, { token }).then((a) => a.status);
    expect(await as('GET', `${MIGRATIONS}/${source}/virtualmachineinstancemigrations/someone-elses`)).toBe(403);
    expect(await as('GET', `${MIGRATIONS}/${destination}/virtualmachineinstancemigrations/someone-elses-receive`)).toBe(403);
    expect(await as('DELETE', `${MIGRATIONS}/${source}/virtualmachineinstancemigrations/someone-elses`)).toBe(403);
    expect(await as('GET', `/api/v1/namespaces/${source}/secrets/db-password`)).toBe(403);
    expect(await as('GET', `/api/v1/namespaces/${source}/secrets`)).toBe(403);
    expect(await as('GET', `/api/v1/namespaces/default/configmaps`)).toBe(403);
    // The same check passes once the account is bound to KubeVirt's migrate ClusterRole: the 403s above are RBAC's.
    const account = example('refused').account;
    await server.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'too-wide', namespace: source },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubevirt.io:migrate' },
      subjects: [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }],
    });
    await expect.poll(() => as('DELETE', `${MIGRATIONS}/${source}/virtualmachineinstancemigrations/someone-elses`)).toBe(200);
  });

  it('issue 18: may delete its own receive migration (by name: the cleanup of an attempt that cannot go on), no other migration of the destination', async () => {
    const { args, destination, token } = await labCluster('owndelete');
    const receive = args[args.indexOf('--receive-name') + 1]!;
    const migrationObject = (name: string) => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name, namespace: destination }, spec: { vmiName: 'vm-migration-ns-ns-live', receive: { migrationID: LAB_ID } } });
    await server.create(migrationObject(receive));
    await server.create(migrationObject('someone-elses'));
    const remove = (name: string) => server.request('DELETE', `${MIGRATIONS}/${destination}/virtualmachineinstancemigrations/${name}`, undefined, { token }).then((a) => a.status);
    expect(await remove('someone-elses')).toBe(403);
    expect(await remove(receive)).toBe(200);
    expect((await migrations(destination)).map((m) => m.metadata.name)).toEqual(['someone-elses']);
  });

  it('without the Lease rule the hook is refused when it must fall back to the Lease, so that rule is needed', async () => {
    const { args, source, kubeconfig } = await labCluster('nolease', {
      publishAddress: false,
      edit: (objects) => {
        const kubevirtRole = ofKind(objects, 'Role').find((r) => r.metadata.namespace === 'nolease-cnv')!;
        kubevirtRole.rules = kubevirtRole.rules.filter((r: Json) => !r.resources.includes('leases'));
      },
    });
    const run = await runHookProcess(args, kubeconfig);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "nolease-cnv"');
    expect(await migrations(source)).toEqual([]);
  });

  it("by default needs no access to KubeVirt's namespace: no Role there, and the real authorizer lets it finish", async () => {
    const workspace = new Workspace();
    workspace.setup({ migrations: [migration('a', { source: { namespace: 'pa-src' }, destination: { namespace: 'pa-dst' } })] }, {
      a: [{ ...vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' })), metadata: { name: 'a', namespace: 'pa-src' } }],
    });
    const { objects } = synth(workspace);
    expect(ofKind(objects, 'Role').map((r) => r.metadata.namespace)).toEqual(['pa-src', 'pa-dst']);
    const args = only(objects, 'Job').spec.template.spec.containers[0].args as string[];
    expect(args).toContain('--published-address-only');
    await sync(objects);
    await runningVmis('a', 'pa-src', 'pa-dst');
    // KubeVirt mirrors its published address onto the receive migration once the hook has created it.
    const account = only(objects, 'ServiceAccount');
    const kubeconfig = server.writeKubeconfig(workspace.dir, 'hook', await server.serviceAccountToken(account.metadata.namespace, account.metadata.name));
    const hook = runHookProcess([...args, '--poll-interval', '0.05'], kubeconfig);
    let receive: Json | undefined;
    await expect.poll(async () => (receive = (await migrations('pa-dst'))[0]), { timeout: 20_000 }).toBeDefined();
    await server.writeStatus({ ...receive!, status: { phase: 'WaitingForSync', synchronizationAddresses: ['10.9.8.7:9185'] } });
    const run = await hook;
    expect(run.code, run.stderr).toBe(0);
    expect((await migrations('pa-src'))[0]!.spec.sendTo.connectURL).toBe('10.9.8.7:9185');
  });
});

describe.skipIf(!realApiServerAvailable)("hook-kubeconfig's cross-cluster credentials, by the real authorizer", () => {
  it('the printed token is the destination ServiceAccount: it does the destination half of the job and nothing else', async () => {
    // One real server plays both clusters (contexts east-admin and west-admin): the namespaces keep the halves apart.
    const workspace = new Workspace();
    writeFileSync(workspace.path('kubeconfig'), JSON.stringify(twoContexts()));
    workspace.setup(
      {
        clusters: { east: { kubeContext: 'east-admin' }, west: { kubeContext: 'west-admin' } },
        migrations: [migration('a', { source: { cluster: 'east', namespace: 'xc-src' }, destination: { cluster: 'west', namespace: 'xc-dst' }, hook: { destinationKubeconfigSecret: 'west-kubeconfig' } })],
      },
      { a: [{ ...vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' })), metadata: { name: 'a', namespace: 'xc-src' } }] },
    );
    const { byPath } = synth(workspace);
    await sync(byPath['west/a.k8s.yaml']!);
    const { code, stdout, stderr } = await kvmigrateInProcess(['hook-kubeconfig', 'a', '--config', workspace.path('migrations.yaml'), '--kubeconfig', workspace.path('kubeconfig'), '--duration', '2h']);
    expect(code, stderr).toBe(0);
    const secret = parse(stdout);
    const destination = JSON.parse(secret.stringData.kubeconfig);
    const token = destination.users[0].user.token as string;
    // The real server says who the token is: the destination's ServiceAccount (TokenReview, as the admin).
    const review = await server.ok('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    expect(review.status.user.username).toBe('system:serviceaccount:xc-dst:a-kvmigrate-hook');
    // Its expiry annotation is the one the real TokenRequest answered (two hours from now).
    const expires = Date.parse(secret.metadata.annotations['kvmigrate.io/token-expires']);
    expect(Math.abs(expires - Date.now() - 7200_000)).toBeLessThan(600_000);
    const as = (method: string, path: string) => server.request(method, path, undefined, { token }).then((a) => a.status);
    expect(await as('GET', `${MIGRATIONS}/xc-dst/virtualmachineinstancemigrations`)).toBe(200);
    expect(await as('GET', `/api/v1/namespaces/xc-dst/secrets`)).toBe(403);
    expect(await as('DELETE', `${MIGRATIONS}/xc-dst/virtualmachineinstancemigrations/someone-elses`)).toBe(403);
    expect(await as('GET', `${MIGRATIONS}/xc-src/virtualmachineinstancemigrations`)).toBe(403);
  });
});

/** One kubeconfig with contexts east-admin and west-admin, both the real server as its admin. */
function twoContexts(): Json {
  const one = server.kubeconfig('east-admin');
  const other = server.kubeconfig('west-admin');
  return { ...one, clusters: [...one.clusters, ...other.clusters], users: [...one.users, ...other.users], contexts: [...one.contexts, ...other.contexts] };
}
