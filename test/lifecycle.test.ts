// The GitOps lifecycle on a replay of the real controllers (test/support/controllers.ts): Argo CD syncing the
// synthesized folder, KubeVirt moving the VM, the bundled hook creating the migrations, the lifecycle commands editing
// the config. Each scenario ends Synced and Healthy, with no unfinished migration left over and the VM never running
// at both ends.
import { describe, expect, it } from 'vitest';
import { ArgoApplication, type SyncResult } from './support/controllers.ts';
import { expectArrived, expectCutOver, lifecycleLab } from './support/lifecycle-lab.ts';
import type { Json } from './support/synth.ts';

const ARGOCD = { repoURL: 'https://git.example.com/platform/vm-moves.git' };

/** The lifecycle lab under Argo CD: each sync applies the folder as Git has it now, with its Application's spec. */
async function lab(entries: Json[], config: Json = {}) {
  const l = await lifecycleLab(entries, { argocd: ARGOCD, ...config });
  /** One Argo CD sync of the folder as Git has it now, and the Application's state after it. */
  const sync = async (): Promise<SyncResult & { health: string; synced: boolean }> => {
    const { byPath, objects } = l.desired();
    const ignoreDifferences = (byPath['_argocd/applications.k8s.yaml']?.[0]?.spec.ignoreDifferences ?? []) as Json[];
    const app = new ArgoApplication(l.api, l.kubevirt, { name: 'kvmigrate-default', kubeconfig: l.kubeconfig, ignoreDifferences });
    const result = await app.sync(objects);
    l.kubevirt.settle();
    expect(l.splitBrain()).toEqual([]);
    return { ...result, health: app.appHealth(objects), synced: app.synced(objects) };
  };
  return { ...l, sync };
}

const done = { phase: 'Succeeded', health: 'Healthy', synced: true };

describe('the lifecycle on a replay of Argo CD and KubeVirt', () => {
  it('first sync: waves in order, the hook creates both migrations, the VM arrives; Synced and Healthy', async () => {
    const l = await lab([{ vm: 'web' }]);
    const first = await l.sync();
    expect(first).toMatchObject(done);
    expect(Object.values(first.hooks)).toEqual([0]);
    expect([...new Set(first.applied)]).toEqual(['ConfigMap 0', 'ServiceAccount 0', 'Role 0', 'RoleBinding 0', 'DataVolume 1', 'VirtualMachine 2', 'Job PostSync']);
    expectArrived(l);
  });

  it('a second and a third sync after success create nothing and stay Synced and Healthy', async () => {
    const l = await lab([{ vm: 'web' }]);
    await l.sync();
    expect(await l.sync()).toMatchObject(done);
    expect(await l.sync()).toMatchObject(done);
    // KubeVirt deleted the sendTo side (its VMI is gone); nothing re-created it.
    expect(l.migrations().map((m) => `${m.metadata.namespace} ${m.status.phase}`)).toEqual(['dst Succeeded']);
    expect(l.api.creates('VirtualMachineInstanceMigration')).toHaveLength(2);
  });

  it('a receiver restart before cutover: its migration goes, the next sync re-creates none', async () => {
    const l = await lab([{ vm: 'web' }]);
    await l.sync();
    l.kubevirt.restart('dst', 'web');
    expect(l.migrations()).toEqual([]);
    expect(await l.sync()).toMatchObject(done);
    expect(l.migrations()).toEqual([]);
    expect(l.vmi('dst', 'web')).toBe('Running');
  });

  it('a failed migration, then retry: a new attempt with a new migrationID succeeds', async () => {
    const l = await lab([{ vm: 'web' }]);
    l.kubevirt.failNext = true;
    expect(await l.sync()).toMatchObject(done);
    expect(l.migrations().map((m) => m.status.phase)).toEqual(['Failed', 'Failed']);
    expect(l.vmi('src', 'web')).toBe('Running');
    const retried = await l.command('retry', 'web');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain(': Failed');
    expect(await l.sync()).toMatchObject(done);
    expect(l.vmi('dst', 'web')).toBe('Running');
    expect(l.unfinished()).toEqual([]);
    expect(new Set(l.migrations().map((m) => m.spec.receive?.migrationID ?? m.spec.sendTo.migrationID)).size).toBe(2);
  });

  it.each([
    ['keeping the receiver', [], 'Healthy'],
    ['removing the receiver', ['--remove-receiver'], 'Healthy'],
  ])('abort %s mid-migration: the source runs on, nothing is left in flight', async (_, flags, health) => {
    const l = await lab([{ vm: 'web' }], { clusters: { default: { kubeContext: 'test' } } });
    l.kubevirt.paused = true;
    await l.sync();
    expect(l.unfinished()).toHaveLength(2);
    const aborted = await l.command('abort', 'web', ...flags);
    expect(aborted.code, aborted.stderr).toBe(0);
    // The command says what to delete to cancel: the hook's migrations are not Argo CD's to prune. One side is
    // enough since KubeVirt v1.7: the receive side, in the destination's context (issue 18).
    const deletes = [...aborted.stdout.matchAll(/kubectl (?:--context (\S+) )?delete vmim -n (\S+) ([a-z0-9-]+)/g)];
    expect(deletes.map(([, context, namespace]) => [context, namespace])).toEqual([['test', 'dst']]);
    expect(aborted.stdout).toContain('since KubeVirt v1.7 deleting either side cancels both');
    for (const [, , namespace, name] of deletes) l.api.remove('VirtualMachineInstanceMigration', namespace!, name!);
    l.kubevirt.settle();
    expect(l.unfinished()).toEqual([]);
    expect(await l.sync()).toMatchObject({ ...done, health });
    expect(l.vmi('src', 'web')).toBe('Running');
    // Prune=false,Delete=false: a receiver taken out of Git stays until someone deletes it, parked.
    expect(l.api.get('VirtualMachine', 'dst', 'web')!.spec.runStrategy).toBe('WaitAsReceiver');
  });

  it('cutover before success is refused; after success it leaves a plain VM and a Halted managed source, Synced and Healthy', async () => {
    const l = await lab([{ vm: 'web', extra: { source: { manage: true } } }]);
    l.kubevirt.paused = true;
    expect(await l.sync()).toMatchObject(done);
    const early = await l.command('cutover', 'web');
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('cutover refused, config untouched');
    l.kubevirt.paused = false;
    l.kubevirt.settle();
    // Before the cutover commit, a sync must not start the halted source again (its runStrategy is ignored).
    expect(await l.sync()).toMatchObject(done);
    expect(l.api.get('VirtualMachine', 'src', 'web')!.spec.runStrategy).toBe('Halted');
    const cutover = await l.command('cutover', 'web');
    expect(cutover.code, cutover.stderr).toBe(0);
    expect(await l.sync()).toMatchObject(done);
    expectCutOver(l);
  });

  it('a static connectURL goes through the hook: success, and later syncs create nothing', async () => {
    const l = await lab([{ vm: 'web', extra: { connectURL: '10.0.0.9:9185' } }]);
    expect(await l.sync()).toMatchObject(done);
    expect(l.api.list('VirtualMachineInstanceMigration', 'src')).toEqual([]);
    expect(l.api.creates('VirtualMachineInstanceMigration').map((r) => r.body.spec.sendTo?.connectURL).filter(Boolean)).toEqual(['10.0.0.9:9185']);
    expect(await l.sync()).toMatchObject(done);
    expect(l.api.creates('VirtualMachineInstanceMigration')).toHaveLength(2);
  });

  it('two migrations in one folder, one finished and one new: the finished one is left alone, the new one arrives', async () => {
    const l = await lab([{ vm: 'web' }, { vm: 'db' }]);
    l.writeConfig([{ vm: 'web' }]);
    expect(await l.sync()).toMatchObject(done);
    l.writeConfig([{ vm: 'web' }, { vm: 'db' }]);
    const second = await l.sync();
    expect(second).toMatchObject(done);
    expect(Object.values(second.hooks)).toEqual([0, 0]);
    expect(l.vmi('dst', 'web')).toBe('Running');
    expect(l.vmi('dst', 'db')).toBe('Running');
    expect(l.api.creates('VirtualMachineInstanceMigration')).toHaveLength(4);
    expect(l.unfinished()).toEqual([]);
  });
});

describe('the replay is faithful enough to catch the old output', () => {
  it('a static sendTo migration kept in Git is re-created after success, refused by KubeVirt, and fails the whole sync', async () => {
    const l = await lab([{ vm: 'web' }]);
    await l.sync();
    // The old layout: the sendTo migration as a managed object in wave 4; KubeVirt deleted it after success.
    const send = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { name: 'web-send-old', namespace: 'src', annotations: { 'argocd.argoproj.io/sync-wave': '4' } },
      spec: { vmiName: 'web', sendTo: { migrationID: 'old', connectURL: '10.0.0.9:9185' } },
    };
    const app = new ArgoApplication(l.api, l.kubevirt, { name: 'kvmigrate-default', kubeconfig: '', ignoreDifferences: [] });
    const result = await app.sync([send]);
    expect(result.phase).toBe('Failed');
    expect(result.message).toContain('denied the request: the VMI "web" does not exist or is final');
  });

  it('without ignoreDifferences, a sync after success would start the halted managed source again: split brain', async () => {
    const l = await lab([{ vm: 'web', extra: { source: { manage: true } } }]);
    await l.sync();
    const source = l.desired().objects.find((o) => o.kind === 'VirtualMachine' && o.metadata.namespace === 'src')!;
    const careless = new ArgoApplication(l.api, l.kubevirt, { name: 'kvmigrate-default', kubeconfig: '', ignoreDifferences: [] });
    await careless.sync([source]);
    l.kubevirt.settle();
    expect(l.splitBrain()).toEqual(['web']);
  });
});
