// The GitOps lifecycle on a replay of Flux (test/support/controllers.ts FluxKustomization): kustomize-controller
// applying the synthesized folder with server-side apply every interval, pruning, and waiting with the emitted
// health expressions; KubeVirt moving the VM; the bundled hook run by the Job controller as soon as its Job exists (no
// PostSync in Flux: it waits for the parked receiver itself). Each scenario ends Ready, nothing is re-created after
// success, and the VM never runs at both ends.
import { describe, expect, it } from 'vitest';
import { FluxKustomization, type ReconcileResult } from './support/controllers.ts';
import { expectArrived, expectCutOver, lifecycleLab } from './support/lifecycle-lab.ts';
import type { Json } from './support/synth.ts';

/** The lifecycle lab under Flux: each reconcile applies the folder as Git has it now, with its Kustomization's spec. */
async function lab(entries: Json[]) {
  const l = await lifecycleLab(entries, { flux: {} });
  const flux = new FluxKustomization(l.api, l.kubevirt, l.kubeconfig);
  /** One reconcile of the folder as Git has it now, with the emitted Kustomization's spec. */
  const reconcile = async (): Promise<ReconcileResult> => {
    const { byPath, objects } = l.desired();
    const kustomization = byPath['_flux/kustomizations.k8s.yaml']!.find((k) => k.metadata.name === 'kvmigrate-default')!;
    const result = await flux.reconcile(objects, kustomization.spec);
    l.kubevirt.settle();
    expect(l.splitBrain()).toEqual([]);
    return result;
  };
  return { ...l, reconcile };
}

const ready = { ready: true, message: 'Applied revision' };

describe('the lifecycle on a replay of Flux and KubeVirt', () => {
  it('first reconcile: everything applied at once, the hook waits for the parked receiver, the VM arrives; Ready', async () => {
    const l = await lab([{ vm: 'web' }]);
    const first = await l.reconcile();
    expect(first).toMatchObject(ready);
    expect(Object.values(first.jobs)).toEqual([0]);
    expect(first.created.filter((c) => /^(DataVolume|VirtualMachine|Job) /.test(c))).toEqual(['DataVolume dst/web-root', 'VirtualMachine dst/web', 'Job src/web-send-hook-' + first.created.find((c) => c.startsWith('Job'))!.split('-send-hook-')[1]]);
    expectArrived(l);
  });

  it('every later interval re-applies and re-creates nothing: the receiver keeps the runStrategy KubeVirt gave it', async () => {
    const l = await lab([{ vm: 'web' }]);
    await l.reconcile();
    for (let interval = 0; interval < 3; interval++) {
      const again = await l.reconcile();
      expect(again).toMatchObject(ready);
      expect(again.created).toEqual([]);
      expect(again.jobs).toEqual({});
    }
    expect(l.api.get('VirtualMachine', 'dst', 'web')!.spec.runStrategy).toBe('Always');
    expect(l.api.creates('VirtualMachineInstanceMigration')).toHaveLength(2);
  });

  it('a finished hook Job removed (by a TTL or by hand) is created again and runs safely: no new migration', async () => {
    const l = await lab([{ vm: 'web' }]);
    await l.reconcile();
    const [job] = l.api.list('Job');
    l.api.remove('Job', job!.metadata.namespace!, job!.metadata.name);
    const again = await l.reconcile();
    expect(again).toMatchObject(ready);
    expect(Object.values(again.jobs)).toEqual([0]);
    expect(l.api.creates('VirtualMachineInstanceMigration')).toHaveLength(2);
    expect(l.vmi('dst', 'web')).toBe('Running');
  });

  it('a changed hook Job (immutable template) is deleted and re-created: force: Enabled', async () => {
    const l = await lab([{ vm: 'web' }]);
    await l.reconcile();
    const [job] = l.api.list('Job');
    l.api.update('Job', job!.metadata.namespace!, job!.metadata.name, (o) => (o.spec.template.spec.containers[0].image = 'an-older-hook:0.0.1'));
    const again = await l.reconcile();
    expect(again).toMatchObject(ready);
    expect(l.api.list('Job')[0]!.spec.template.spec.containers[0].image).not.toBe('an-older-hook:0.0.1');
    expect(l.api.creates('VirtualMachineInstanceMigration')).toHaveLength(2);
  });

  it('a failed migration leaves the source running and the folder Ready (the migrations are not in Git), then retry succeeds', async () => {
    const l = await lab([{ vm: 'web' }]);
    l.kubevirt.failNext = true;
    const failed = await l.reconcile();
    expect(l.migrations().map((m) => m.status.phase)).toEqual(['Failed', 'Failed']);
    expect(l.vmi('src', 'web')).toBe('Running');
    // The hook exits 0 once its migration exists (hook.wait is off), and the receiver stays parked: nothing in the
    // folder failed, and `kvmigrate status` is where the failure shows.
    expect(failed).toMatchObject(ready);
    const retried = await l.command('retry', 'web');
    expect(retried.code, retried.stderr).toBe(0);
    const after = await l.reconcile();
    expect(after).toMatchObject(ready);
    expect(l.vmi('dst', 'web')).toBe('Running');
    expect(l.unfinished()).toEqual([]);
    // The first attempt's Job left Git and was pruned.
    expect(l.api.list('Job')).toHaveLength(1);
  });

  it('with hook.wait, a failed migration fails the Job, and the wait ends not Ready at once; retry then ends Ready', async () => {
    const l = await lab([{ vm: 'web', extra: { hook: { wait: true } } }]);
    l.kubevirt.failNext = true;
    const failed = await l.reconcile();
    expect(failed.ready).toBe(false);
    expect(failed.message).toMatch(/^health check failed: Job\/src\/web-send-hook-[0-9a-f]+ status: 'Failed'$/);
    const retried = await l.command('retry', 'web');
    expect(retried.code, retried.stderr).toBe(0);
    expect(await l.reconcile()).toMatchObject(ready);
    expect(l.vmi('dst', 'web')).toBe('Running');
  });

  it.each([
    ['keeping the receiver', []],
    ['removing the receiver', ['--remove-receiver']],
  ])('abort %s mid-migration: the source runs on, nothing in flight, the receiver is never pruned; Ready', async (_, flags) => {
    const l = await lab([{ vm: 'web' }]);
    l.kubevirt.paused = true;
    expect(await l.reconcile()).toMatchObject(ready);
    expect(l.unfinished()).toHaveLength(2);
    const aborted = await l.command('abort', 'web', ...flags);
    expect(aborted.code, aborted.stderr).toBe(0);
    for (const [, namespace, name] of aborted.stdout.matchAll(/kubectl delete vmim -n (\S+) ([a-z0-9-]+)/g)) {
      l.api.remove('VirtualMachineInstanceMigration', namespace!, name!);
    }
    expect(await l.reconcile()).toMatchObject(ready);
    expect(l.vmi('src', 'web')).toBe('Running');
    expect(l.api.get('VirtualMachine', 'dst', 'web')!.spec.runStrategy).toBe('WaitAsReceiver');
    expect(l.api.list('Job')).toEqual([]);
  });

  it('cutover after success: the halted managed source is never started again, and the cutover edits reach the cluster', async () => {
    const l = await lab([{ vm: 'web', extra: { source: { manage: true } } }]);
    l.kubevirt.paused = true;
    expect(await l.reconcile()).toMatchObject(ready);
    l.kubevirt.paused = false;
    l.kubevirt.settle();
    expect(await l.reconcile()).toMatchObject(ready);
    expect(l.api.get('VirtualMachine', 'src', 'web')!.spec.runStrategy).toBe('Halted');
    const cutover = await l.command('cutover', 'web');
    expect(cutover.code, cutover.stderr).toBe(0);
    expect(await l.reconcile()).toMatchObject(ready);
    expectCutOver(l);
  });
});

describe('the Flux replay is faithful enough to catch a careless Kustomization', () => {
  it('without spec.ignore, the next interval writes Always back on the halted managed source: split brain', async () => {
    const l = await lab([{ vm: 'web', extra: { source: { manage: true } } }]);
    await l.reconcile();
    expect(l.api.get('VirtualMachine', 'src', 'web')!.spec.runStrategy).toBe('Halted');
    const careless = new FluxKustomization(l.api, l.kubevirt, '');
    const source = l.api.get('VirtualMachine', 'src', 'web')!;
    await careless.reconcile([{ ...source, spec: { ...source.spec, runStrategy: 'Always' } }], {});
    expect(l.kubevirt.runningCopies('web')).toBe(2);
  });
});
