// pull, preflight and status against a real API server: objects created as users and controllers create them, their
// status written through the status subresource as KubeVirt and CDI write it, access decided by the real authorizer.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents, migration, vm, withDataVolume, withDataVolumeTemplate, withVolume, Workspace } from '../support/builders.ts';
import { kvmigrateInProcess } from '../support/cli.ts';
import { hookMigration } from '../support/cluster-objects.ts';
import { KUBEVIRT_CRD, RealApiServer, realApiServerAvailable, UNPRIVILEGED, type Json } from '../support/real-api-server.ts';
import { synth } from '../support/synth.ts';

const GOLDEN = resolve(import.meta.dirname, '../fixtures/pull/web.yaml');

let server: RealApiServer;
beforeAll(async () => {
  // Watches served from etcd (no watch cache) and ended after 2-4 s, so a status --watch reconnects within a test
  // and a compaction expires the resourceVersion it holds.
  server = await RealApiServer.start(['--watch-cache=false', '--min-request-timeout=2']);
  await server.installCrds([KUBEVIRT_CRD]);
});
afterAll(() => server?.stop());

/** Runs a kvmigrate command in-process with a kubeconfig of the real server (as `token`, default the admin). */
const kvmigrateOn = (workspace: Workspace, args: string[], token?: string) => kvmigrateInProcess([...args, '--kubeconfig', server.writeKubeconfig(workspace.dir, 'real', token)]);

describe.skipIf(!realApiServerAvailable)('kvmigrate pull from a real API server', () => {
  it("writes the golden file's clean manifest from what the real server returns (defaults, managed fields, canonical quantities)", async () => {
    // The golden file's objects, created with what a cluster adds (labels and annotations of other tools, a finalizer),
    // their status written through the status subresource.
    const [machine, rootClaim, dataClaim, scratch] = documents(readFileSync(GOLDEN, 'utf8'));
    await server.namespaces('shop');
    machine!.metadata.labels['app.kubernetes.io/instance'] = 'shop-apps';
    machine!.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = '{"apiVersion":"kubevirt.io/v1"}';
    machine!.metadata.finalizers = ['kubevirt.io/virtualMachineControllerFinalize'];
    await server.create({ ...machine, status: { created: true, ready: true, printableStatus: 'Running' } });
    await server.create({ ...rootClaim, status: { phase: 'Bound', capacity: { storage: '32Gi' } } });
    await server.create({ ...dataClaim, status: { phase: 'Bound', capacity: { storage: '10737418240' } } });
    await server.create({ ...scratch, spec: { ...scratch!.spec, source: { blank: {} } }, status: { phase: 'Pending' } });
    const workspace = new Workspace();
    const run = await kvmigrateOn(workspace, ['pull', 'shop/web', '--out', workspace.path('vms')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('VirtualMachine shop/web and 3 disk(s)');
    const pulled = readFileSync(workspace.path('vms/web.yaml'), 'utf8');
    expect(pulled).toBe(readFileSync(GOLDEN, 'utf8'));
  });
});

describe.skipIf(!realApiServerAvailable)('kvmigrate preflight against a real API server', () => {
  const MAC = '02:00:00:00:00:01';
  /** A ready same-cluster move of VM `web` from pf-src to pf-dst; KubeVirt and its sync controller in kubevirt. */
  async function readyCluster(): Promise<Workspace> {
    const machine = {
      ...vm('web', withDataVolume('root', 'web-root'), withDataVolumeTemplate('web-root', { size: '10Gi', storageClassName: 'fast' }), withVolume({ name: 'ci', cloudInitNoCloud: { userDataSecretRef: { name: 'web-userdata' } } })),
      metadata: { name: 'web', namespace: 'pf-src' },
    };
    const workspace = new Workspace();
    workspace.setup({ migrations: [migration('web', { source: { namespace: 'pf-src' }, destination: { namespace: 'pf-dst' } })] }, { web: [machine] });
    await server.namespaces('pf-src', 'pf-dst', 'kubevirt');
    await server.create({
      apiVersion: 'kubevirt.io/v1',
      kind: 'KubeVirt',
      metadata: { name: 'kubevirt', namespace: 'kubevirt' },
      spec: { configuration: { developerConfiguration: { featureGates: ['DecentralizedLiveMigration'] } } },
      status: { phase: 'Deployed', observedKubeVirtVersion: 'v1.9.0', synchronizationAddresses: ['10.128.0.9:9185'] },
    });
    await server.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'virt-synchronization-controller', namespace: 'kubevirt' }, spec: { holderIdentity: 'sync-a', leaseDurationSeconds: 15 } });
    // No controller manager runs: the Pod's ServiceAccount must exist, and with no token controller it mounts no token.
    await server.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'kubevirt' } });
    await server.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sync-a', namespace: 'kubevirt', labels: { 'kubevirt.io': 'virt-synchronization-controller' } },
      spec: { automountServiceAccountToken: false, containers: [{ name: 'virt-synchronization-controller', image: 'virt-synchronization-controller' }] },
      status: { phase: 'Running', podIP: '10.128.0.9', podIPs: [{ ip: '10.128.0.9' }] },
    });
    await server.create({ ...machine, status: { created: true, ready: true, printableStatus: 'Running' } });
    await server.create({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'web', namespace: 'pf-src' },
      spec: { domain: { devices: {} } },
      status: { phase: 'Running', nodeName: 'worker-1', interfaces: [{ name: 'default', mac: MAC }], conditions: [{ type: 'LiveMigratable', status: 'True' }, { type: 'StorageLiveMigratable', status: 'True' }] },
    });
    for (const name of ['worker-1', 'worker-2']) {
      await server.create({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }] } });
    }
    await server.create({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'openshift-storage.rbd.csi.ceph.com' });
    await server.create({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'openshift-storage.rbd.csi.ceph.com' }, spec: {} });
    await server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-userdata', namespace: 'pf-dst' }, stringData: { userdata: '#cloud-config\n' } });
    return workspace;
  }

  it('passes on a ready cluster as the admin; as a user without the rights the permissions check fails, decided by the real SelfSubjectAccessReview', async () => {
    const workspace = await readyCluster();
    const checks = async (token?: string) => {
      const run = await kvmigrateOn(workspace, ['preflight', '--config', workspace.path('migrations.yaml'), '-o', 'json'], token);
      return Object.fromEntries(JSON.parse(run.stdout).migrations[0].checks.map((c: Json) => [c.check, `${c.result}: ${c.detail}`])) as Record<string, string>;
    };
    const asAdmin = await checks();
    expect(Object.entries(asAdmin).filter(([, result]) => result.startsWith('fail'))).toEqual([]);
    expect(asAdmin['permissions']).toBe('pass: may create the migration and the hook\'s objects in pf-src');
    // The unprivileged user may read everything and create what the migration needs, except the hook's Job.
    await server.ok('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'pf-reader' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }],
    });
    await server.ok('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'pf-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pf-reader' },
      subjects: [{ kind: 'User', name: UNPRIVILEGED.name }],
    });
    const creator = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pf-creator', namespace: 'pf-src' },
      rules: [
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['create'] },
        { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create'] },
      ],
    };
    await server.create(creator);
    await server.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'pf-creator', namespace: 'pf-src' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pf-creator' },
      subjects: [{ kind: 'User', name: UNPRIVILEGED.name }],
    });
    expect((await checks(UNPRIVILEGED.token))['permissions']).toBe('fail: in pf-src you may not: create jobs.batch');
    creator.rules.push({ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] });
    await server.apply(creator, 'kvmigrate-test', { force: true });
    await expect.poll(async () => (await checks(UNPRIVILEGED.token))['permissions']).toBe('pass: may create the migration and the hook\'s objects in pf-src');
  });
});

describe.skipIf(!realApiServerAvailable)('kvmigrate status against a real API server', () => {
  /** A same-cluster migration of VM `web` from `<prefix>-src` to `<prefix>-dst`, its objects parked, statuses as KubeVirt writes them. */
  async function parked(prefix: string) {
    const [src, dst] = [`${prefix}-src`, `${prefix}-dst`];
    const workspace = new Workspace();
    const machine = { ...vm('web', withDataVolume('root', 'web-root'), withDataVolumeTemplate('web-root', { size: '1Gi' })), metadata: { name: 'web', namespace: src } };
    workspace.setup({ migrations: [migration('web', { source: { namespace: src }, destination: { namespace: dst }, connectURL: '10.0.0.9:9185' })] }, { web: [machine] });
    const { plans, objects } = synth(workspace);
    const plan = plans[0]!;
    await server.namespaces(src, dst);
    await server.create({ ...machine, status: { printableStatus: 'Running' } });
    await server.create({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'web', namespace: src }, spec: { domain: { devices: {} } }, status: { phase: 'Running', nodeName: 'worker-1' } });
    const receiver = objects.find((o) => o.kind === 'VirtualMachine')!;
    await server.apply(receiver, 'argocd-controller');
    await server.writeStatus({ ...receiver, status: { created: true, printableStatus: 'WaitingForReceiver' } });
    await server.create({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'web', namespace: dst }, spec: { domain: { devices: {} } }, status: { phase: 'WaitingForSync', nodeName: 'worker-2' } });
    const receive = await server.create(hookMigration(plan.receiveMigrationName, dst, { receive: { migrationID: plan.migrationID } }, 'WaitingForSync'));
    const send = await server.create(hookMigration(plan.sendMigrationName, src, { sendTo: { migrationID: plan.migrationID, connectURL: '10.0.0.9:9185' } }, 'Synchronizing'));
    const status = async (args: string[]) => kvmigrateOn(workspace, ['status', '--config', workspace.path('migrations.yaml'), ...args]);
    return { receive, send, status };
  }

  it('shows both migrations with the phases written through their status subresource; a status in the main resource is ignored', async () => {
    const { receive, status } = await parked('st-table');
    const table = await status([]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/\nweb\s+migrate\s+Running\/Running\s+WaitingForReceiver\/WaitingForSync\s+WaitingForSync\s+Synchronizing\s/);
    // A status sent with the main resource is dropped by the real server (the status subresource owns it).
    const put = await server.ok('PUT', await server.pathOf(receive), { ...(await server.read(receive)), status: { phase: 'Failed' } });
    expect(put.status.phase).toBe('WaitingForSync');
    expect((await status(['-o', 'json'])).stdout).toContain('"receiveMigration": "WaitingForSync"');
  });

  it('--watch follows the phases KubeVirt writes through the status subresource until Succeeded and the sending side is deleted', async () => {
    const { receive, send, status } = await parked('st-watch');
    const watching = status(['--watch', '--timeout', '45']);
    // Once the watch is open (its first line printed), the controllers move on.
    await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    for (const phase of ['Scheduling', 'PreparingTarget', 'Running']) {
      await server.writeStatus({ ...receive, status: { phase } });
      await new Promise((resolveWait) => setTimeout(resolveWait, 300));
    }
    await server.writeStatus({ ...receive, status: { phase: 'Succeeded' } });
    await server.ok('DELETE', await server.pathOf(send));
    const run = await watching;
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toContain('web: receive WaitingForSync, send Synchronizing');
    expect(lines.at(-1)).toMatch(/^web: receive Succeeded, send -, .*Succeeded$/);
    expect(lines.some((line) => /receive (Scheduling|PreparingTarget|Running),/.test(line))).toBe(true);
  });

  it('--watch carries on across a resourceVersion expiry: etcd compacted past the version its watch holds (410 Gone)', async () => {
    const { receive, send, status } = await parked('st-expiry');
    const watching = status(['--watch', '--timeout', '45']);
    await new Promise((resolveWait) => setTimeout(resolveWait, 1500));
    // Writes elsewhere move etcd on; the compaction expires every older version, including the receive migration's.
    await server.namespaces('st-elsewhere');
    for (let i = 0; i < 3; i++) await server.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `churn-${i}`, namespace: 'st-elsewhere' }, data: {} });
    await server.compactEtcd();
    const stale = await server.request('GET', `${await server.pathOf({ ...receive, metadata: { namespace: 'st-expiry-dst' } })}?watch=1&resourceVersion=${receive.metadata.resourceVersion}&timeoutSeconds=1`);
    expect(typeof stale.body.text === 'string' ? stale.body.text : JSON.stringify(stale.body)).toMatch(/"type":"ERROR".*"code":410/);
    // Every watch stream has ended (2-4 s) and reconnected from the expired version by now: then the migration ends.
    await new Promise((resolveWait) => setTimeout(resolveWait, 6000));
    await server.writeStatus({ ...receive, status: { phase: 'Succeeded' } });
    await server.ok('DELETE', await server.pathOf(send));
    const run = await watching;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^web: receive Succeeded, send -, .*Succeeded$/);
  });
});
