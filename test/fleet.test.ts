// Fleets: per-migration Applications / Kustomizations (lanes) so that one migration never blocks another, batches,
// and cross-cluster order; and a 200-migration fleet over three clusters on the Flux replay.
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../lib/cli/main.ts';
import { ISOLATION_THRESHOLD } from '../lib/plan/fleet.ts';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { kubevirt } from './support/cluster-objects.ts';
import { ArgoApplication, FluxKustomization, hookArgs, KubeVirtModel, notReadyDependencies } from './support/controllers.ts';
import { crdErrors, crdValidators } from './support/crds.ts';
import { KubeApiServer } from './support/kube-api-server.ts';
import { synth, type Json } from './support/synth.ts';

const ARGOCD = { repoURL: 'https://git.example.com/platform/vm-moves.git' };
const CLUSTERS = {
  east: { server: 'https://east.example:6443', kubeConfigSecret: 'east-kubeconfig' },
  west: { server: 'https://west.example:6443', kubeConfigSecret: 'west-kubeconfig' },
};
const machine = (name: string) => vm(name, withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size: '1Gi' }));

function fleet(config: Json, migrations: readonly Json[]) {
  const workspace = new Workspace();
  workspace.setup({ clusters: CLUSTERS, ...config, migrations }, Object.fromEntries(migrations.map((m) => [m.vm, [machine(m.vm)]])));
  return { workspace, ...synth(workspace) };
}
const many = (n: number, extra: (i: number) => Json = () => ({})) => Array.from({ length: n }, (_, i) => migration(`vm-${String(i).padStart(3, '0')}`, extra(i)));
const names = (objects: readonly Json[] | undefined) => (objects ?? []).map((o) => o.metadata.name);

describe('isolation: one Application / Kustomization per migration above the threshold, or as fleet.isolation says', () => {
  it(`up to ${ISOLATION_THRESHOLD} migrations share their cluster's lane; one more and each has its own`, () => {
    const small = fleet({ argocd: ARGOCD, flux: {} }, many(ISOLATION_THRESHOLD));
    expect(names(small.byPath['_argocd/applications.k8s.yaml'])).toEqual(['kvmigrate-default']);
    expect(names(small.byPath['_flux/kustomizations.k8s.yaml'])).toEqual(['kvmigrate-default']);
    const large = fleet({ argocd: ARGOCD, flux: {} }, many(ISOLATION_THRESHOLD + 1));
    expect(names(large.byPath['_argocd/applications.k8s.yaml'])).toHaveLength(ISOLATION_THRESHOLD + 1);
    expect(names(large.byPath['_flux/kustomizations.k8s.yaml'])[0]).toBe('kvmigrate-default-vm-000');
  });

  it('fleet.isolation sets it either way', () => {
    expect(names(fleet({ argocd: ARGOCD, fleet: { isolation: 'migration' } }, many(2)).byPath['_argocd/applications.k8s.yaml'])).toEqual([
      'kvmigrate-default-vm-000',
      'kvmigrate-default-vm-001',
    ]);
    expect(names(fleet({ argocd: ARGOCD, fleet: { isolation: 'cluster' } }, many(12)).byPath['_argocd/applications.k8s.yaml'])).toEqual(['kvmigrate-default']);
  });

  it('lane names stay within 63 characters, distinct and referenced as written (kustomize-controller SetOwnerLabels labels objects with the name)', () => {
    const cluster = 'production-east-datacenter-cluster';
    const long = (suffix: string) => `a-very-long-virtual-machine-name-that-goes-on-${suffix}`;
    const migrations = [long('one'), long('two')].map((name) => migration(name, { source: { cluster } }));
    const { byPath } = fleet({ argocd: ARGOCD, flux: {}, clusters: { [cluster]: { server: 'https://east.example:6443', kubeConfigSecret: 'east-kubeconfig' } }, fleet: { batchSize: 1 } }, migrations);
    for (const path of ['_argocd/applications.k8s.yaml', '_flux/kustomizations.k8s.yaml']) {
      const lanes = names(byPath[path]).filter((name) => !name.startsWith('kvmigrate.batch-'));
      expect(lanes).toHaveLength(2);
      expect(new Set(lanes).size).toBe(2);
      for (const name of lanes) {
        expect(name.length).toBeLessThanOrEqual(63);
        expect(name).toMatch(/^kvmigrate-production-east-datacenter-cluster-a-very-[a-z-]*-[0-9a-f]{8}$/);
      }
    }
    // The first batch's gate depends on its lane by the name it has; the second batch's lane on the gate.
    const [first, second, gate] = byPath['_flux/kustomizations.k8s.yaml']!;
    expect(gate!.spec.dependsOn).toEqual([{ name: first!.metadata.name }]);
    expect(second!.spec.dependsOn).toEqual([{ name: 'kvmigrate.batch-1' }]);
    // Names that fit are kept whole.
    expect(names(fleet({ argocd: ARGOCD, fleet: { isolation: 'migration' } }, many(1)).byPath['_argocd/applications.k8s.yaml'])).toEqual(['kvmigrate-default-vm-000']);
  });

  it("a per-migration Application syncs only its migration's file and ignores only its own VMs' runStrategy", () => {
    const { byPath } = fleet({ argocd: ARGOCD, fleet: { isolation: 'migration' } }, many(2, () => ({ source: { manage: true } })));
    const [first] = byPath['_argocd/applications.k8s.yaml']!;
    expect(first!.spec.source).toMatchObject({ path: 'dist/default', directory: { include: 'vm-000.k8s.yaml' } });
    expect(first!.spec.ignoreDifferences.map((d: Json) => `${d.namespace}/${d.name}`)).toEqual(['dst/vm-000', 'src/vm-000']);
    if (crdValidators) expect(crdErrors(first as any)).toEqual([]);
  });

  it("a per-migration Kustomization reads a kustomization.yaml beside _flux that lists its migration's file", () => {
    const { byPath } = fleet({ flux: {}, fleet: { isolation: 'migration' } }, many(2));
    const [first] = byPath['_flux/kustomizations.k8s.yaml']!;
    expect(first!.spec.path).toBe('./dist/_flux-lanes/default/vm-000');
    expect(byPath['_flux-lanes/default/vm-000/kustomization.yaml']).toEqual([
      { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['../../../default/vm-000.k8s.yaml'] },
    ]);
    if (crdValidators) expect(crdErrors(first as any)).toEqual([]);
  });
});

describe('order between lanes', () => {
  it('across clusters, the source side (which runs the hook) depends on the destination side: the receiver first', () => {
    const { byPath } = fleet({ flux: {}, fleet: { isolation: 'migration' } }, [
      migration('a', { source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west' } }),
    ]);
    const kustomizations = byPath['_flux/kustomizations.k8s.yaml']!;
    expect(kustomizations.map((k) => [k.metadata.name, k.spec.kubeConfig.secretRef.name, (k.spec.dependsOn ?? []).map((d: Json) => d.name)])).toEqual([
      ['kvmigrate-east-a', 'east-kubeconfig', ['kvmigrate-west-a']],
      ['kvmigrate-west-a', 'west-kubeconfig', []],
    ]);
  });

  it("batches: fleet.batchSize in config order, `batch` per entry; under Flux a batch's lanes depend on the gate of the one before, which depends on each of its lanes", () => {
    const { byPath } = fleet({ argocd: ARGOCD, flux: {}, fleet: { batchSize: 2 } }, [...many(3), migration('late', { batch: 5 })]);
    const kustomizations = byPath['_flux/kustomizations.k8s.yaml']!;
    expect(kustomizations.map((k) => [k.metadata.name, (k.spec.dependsOn ?? []).map((d: Json) => d.name)])).toEqual([
      ['kvmigrate-default-late', ['kvmigrate.batch-2']],
      ['kvmigrate-default-vm-000', []],
      ['kvmigrate-default-vm-001', []],
      ['kvmigrate-default-vm-002', ['kvmigrate.batch-1']],
      ['kvmigrate.batch-1', ['kvmigrate-default-vm-000', 'kvmigrate-default-vm-001']],
      ['kvmigrate.batch-2', ['kvmigrate-default-vm-002']],
    ]);
    // A gate applies nothing (kustomize-controller TestKustomizationReconciler_PruneEmpty, "reconciles empty
    // kustomization": Ready with an empty inventory) in the cluster Flux runs in.
    const gate = kustomizations.find((k) => k.metadata.name === 'kvmigrate.batch-1')!;
    expect(gate.spec).toMatchObject({ path: './dist/_flux-lanes/_batches/1', prune: true, wait: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } });
    expect(gate.spec.kubeConfig).toBeUndefined();
    expect(byPath['_flux-lanes/_batches/1/kustomization.yaml']).toEqual([{ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' }]);
    expect(byPath['_flux-lanes/_batches/5/kustomization.yaml']).toBeUndefined();
    if (crdValidators) expect(crdErrors(gate as any)).toEqual([]);
    expect(byPath['_argocd/applications.k8s.yaml']!.map((a) => [a.metadata.name, a.metadata.annotations['argocd.argoproj.io/sync-wave']])).toEqual([
      ['kvmigrate-default-late', '5'],
      ['kvmigrate-default-vm-000', '1'],
      ['kvmigrate-default-vm-001', '1'],
      ['kvmigrate-default-vm-002', '2'],
    ]);
  });

  it('batches as sync waves: the argocd-cm kvmigrate writes then carries the argoproj.io/Application health check, and only then', () => {
    const key = 'resource.customizations.health.argoproj.io_Application';
    const batched = fleet({ argocd: ARGOCD, fleet: { batchSize: 2 } }, many(3)).byPath['_argocd/argocd-cm.k8s.yaml']![0]!;
    expect(batched.data[key]).toContain('-- kvmigrate: Argo CD health of Application (argoproj.io)');
    // One batch: no waves, so nothing to gate; the check would change every app of apps of the instance for nothing.
    const unbatched = fleet({ argocd: ARGOCD }, many(ISOLATION_THRESHOLD + 1)).byPath['_argocd/argocd-cm.k8s.yaml']![0]!;
    expect(Object.keys(unbatched.data)).toHaveLength(4);
    expect(unbatched.data[key]).toBeUndefined();
  });

  it("on the Argo CD replay of an app of apps, batch 2's Applications are not applied while batch 1's is Progressing, nor after one is Degraded", async () => {
    const { workspace, byPath } = fleet({ argocd: ARGOCD, fleet: { batchSize: 2 } }, many(4));
    const api = await KubeApiServer.start();
    servers.push(api);
    // The parent syncs dist/_argocd: the argocd-cm with the checks, and the lanes' Applications as waves 1 and 2.
    const [configMap] = byPath['_argocd/argocd-cm.k8s.yaml']!;
    const desired = [configMap!, ...byPath['_argocd/applications.k8s.yaml']!];
    const healthScripts = new Map(Object.entries(configMap!.data as Record<string, string>).map(([key, script]) => [key.split('_').at(-1)!, script]));
    const parent = new ArgoApplication(api, new KubeVirtModel(api), { name: 'vm-moves', kubeconfig: api.writeKubeconfig(workspace.dir, 'kube'), ignoreDifferences: [], healthScripts });
    const application = (name: string) => api.get('Application', 'argocd', `kvmigrate-default-${name}`);
    /** What Argo CD's controller writes on a child once it assessed it (controller/health.go setApplicationHealth). */
    const childHealth = (name: string, status: string, message?: string) =>
      api.update('Application', 'argocd', `kvmigrate-default-${name}`, (a) => (a.status = { sync: { status: 'Synced' }, health: { status, ...(message && { message }) } }));

    // No child has been assessed yet: wave 1 waits (the gitops-engine sync waits on a wave until it is Healthy).
    const first = await parent.sync(desired);
    expect(first.phase).toBe('Stuck');
    expect(first.message).toContain('Application/argocd/kvmigrate-default-vm-000 Progressing');
    expect([application('vm-000'), application('vm-001')].every(Boolean)).toBe(true);
    expect([application('vm-002'), application('vm-003')]).toEqual([undefined, undefined]);

    // One child of batch 1 is done, the other still migrating: batch 2 still waits.
    childHealth('vm-000', 'Healthy');
    childHealth('vm-001', 'Progressing');
    expect((await parent.sync(desired)).phase).toBe('Stuck');
    expect(application('vm-002')).toBeUndefined();

    // A failed migration in batch 1 stops the parent: batch 2 never starts behind it.
    childHealth('vm-001', 'Degraded', 'VirtualMachineInstanceMigration dst/vm-001 is Degraded');
    const failed = await parent.sync(desired);
    expect(failed).toMatchObject({ phase: 'Failed', message: 'Application/argocd/kvmigrate-default-vm-001 is Degraded: VirtualMachineInstanceMigration dst/vm-001 is Degraded' });
    expect(application('vm-002')).toBeUndefined();

    // Batch 1 all Healthy: the next sync applies batch 2, whose wave then waits on its own children.
    childHealth('vm-001', 'Healthy');
    const second = await parent.sync(desired);
    expect(second.phase).toBe('Stuck');
    expect(second.applied.filter((a) => a.startsWith('Application'))).toEqual(['Application 1', 'Application 1', 'Application 2', 'Application 2']);
    expect([application('vm-002'), application('vm-003')].every(Boolean)).toBe(true);
  });

  it('batches with fleet.isolation: cluster is an error naming the field', () => {
    expect(() => fleet({ flux: {}, fleet: { isolation: 'cluster', batchSize: 1 } }, many(2))).toThrow(
      '2 batches, but fleet.isolation is cluster: a batch is a set of per-migration Applications or Kustomizations',
    );
  });
});

const servers: KubeApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe('a 200-migration fleet over three clusters', () => {
  const clusters = ['default', 'east', 'west'];
  const entries = many(200, (i) => {
    const cluster = clusters[i % 3]!;
    return cluster === 'default' ? {} : { source: { cluster } };
  });

  it('synthesizes one lane per migration, in both engines, with batches', () => {
    const { byPath, files } = fleet({ argocd: ARGOCD, flux: {}, fleet: { batchSize: 50 } }, entries);
    expect(byPath['_argocd/applications.k8s.yaml']).toHaveLength(200);
    const kustomizations = byPath['_flux/kustomizations.k8s.yaml']!;
    const gates = kustomizations.filter((k) => k.metadata.name.startsWith('kvmigrate.batch-'));
    expect(gates.map((k) => k.metadata.name)).toEqual(['kvmigrate.batch-1', 'kvmigrate.batch-2', 'kvmigrate.batch-3']);
    expect(kustomizations).toHaveLength(200 + gates.length);
    expect(files.filter((f) => f.path.startsWith('_flux-lanes/'))).toHaveLength(200 + gates.length);
    // Each lane depends on one gate at most (not on the 50 lanes of the batch before); each gate on its 50 lanes.
    const batchOf = (k: Json) => Math.floor(Number(k.metadata.name.slice(-3)) / 50) + 1;
    for (const k of kustomizations.filter((k) => !gates.includes(k))) expect((k.spec.dependsOn ?? []).map((d: Json) => d.name)).toEqual(batchOf(k) === 1 ? [] : [`kvmigrate.batch-${batchOf(k) - 1}`]);
    for (const [i, gate] of gates.entries()) expect(gate.spec.dependsOn.map((d: Json) => batchOf({ metadata: { name: d.name } }))).toEqual(Array(50).fill(i + 1));
  }, 300_000);

  /** Three emulated clusters with KubeVirt, each running its share of the fleet's source VMs, and one stuck disk. */
  async function clustersWithStuckDisk(workspace: Workspace, byPath: Record<string, Json[]>) {
    const cluster = new Map<string, { api: KubeApiServer; kubevirt: KubeVirtModel; kubeconfig: string }>();
    for (const name of clusters) {
      const api = await KubeApiServer.start();
      servers.push(api);
      const model = new KubeVirtModel(api);
      api.put(kubevirt('kubevirt', { addresses: ['10.128.0.9:9185'] }));
      for (const [i, entry] of entries.entries()) if (clusters[i % 3] === name) api.put({ ...machine(entry.vm), metadata: { name: entry.vm, namespace: 'src' } } as never);
      model.settle();
      cluster.set(name, { api, kubevirt: model, kubeconfig: api.writeKubeconfig(workspace.dir, name) });
    }
    // The stuck disk: CDI reports an error on vm-004's DataVolume (in cluster east).
    const stuck = byPath['east/vm-004.k8s.yaml']!.find((o) => o.kind === 'DataVolume')!;
    cluster.get('east')!.api.put({ ...stuck, status: { phase: 'ImportScheduled', conditions: [{ type: 'Running', status: 'False', reason: 'Error', message: 'no CSI driver' }] } } as never);
    const kubeconfigBefore = process.env.KUBECONFIG;
    onTestFinished(() => {
      if (kubeconfigBefore === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = kubeconfigBefore;
    });
    // The hook in this process, with the cluster's kubeconfig: 200 hook processes would take minutes.
    const runPod = (kubeconfig: string) => async (job: Json) => {
      process.env.KUBECONFIG = kubeconfig;
      return main(['hook', ...hookArgs(job)], { stdout: () => {}, stderr: () => {} });
    };
    /** Every VM but `except` runs at its destination, and none runs twice. */
    const everyVmArrivedOnce = (except: readonly string[] = []) => {
      for (const [name, { api, kubevirt: model }] of cluster) {
        const arrived = api.list('VirtualMachineInstance', 'dst').filter((v) => v.status?.phase === 'Running').map((v) => v.metadata.name);
        expect(arrived.sort(), name).toEqual(entries.filter((e, i) => clusters[i % 3] === name && !except.includes(e.vm)).map((e) => e.vm));
        for (const entry of entries) expect(model.runningCopies(entry.vm)).toBeLessThanOrEqual(1);
      }
    };
    return { cluster, runPod, everyVmArrivedOnce };
  }

  it('on the Flux replay, one stuck disk leaves its own lane not Ready and every other lane Ready', async () => {
    const { workspace, byPath } = fleet({ flux: {}, hook: { kubevirtNamespace: 'kubevirt' } }, entries);
    const { cluster, runPod, everyVmArrivedOnce } = await clustersWithStuckDisk(workspace, byPath);
    const results = new Map<string, boolean>();
    for (const kustomization of byPath['_flux/kustomizations.k8s.yaml']!) {
      const [, clusterName, migrationName] = /^\.\/dist\/_flux-lanes\/([^/]+)\/(.+)$/.exec(kustomization.spec.path)!;
      const target = cluster.get(clusterName!)!;
      const flux = new FluxKustomization(target.api, target.kubevirt, target.kubeconfig, runPod(target.kubeconfig));
      const result = await flux.reconcile(byPath[`${clusterName}/${migrationName}.k8s.yaml`]!, kustomization.spec);
      results.set(kustomization.metadata.name, result.ready);
    }
    expect([...results].filter(([, ready]) => !ready).map(([name]) => name)).toEqual(['kvmigrate-east-vm-004']);
    // Flux has no waves: the stuck lane's hook ran too, and its VM moved; the lane still shows the disk's error.
    everyVmArrivedOnce();
  }, 600_000);

  it("on the Flux replay with batches, a stuck lane holds its batch's gate and every batch after it; the rest of its batch is Ready", async () => {
    const { workspace, byPath } = fleet({ flux: {}, hook: { kubevirtNamespace: 'kubevirt' }, fleet: { batchSize: 50 } }, entries);
    const { cluster, runPod, everyVmArrivedOnce } = await clustersWithStuckDisk(workspace, byPath);
    const kustomizations = byPath['_flux/kustomizations.k8s.yaml']!;
    const ready = new Map<string, boolean>();
    /** Flux's intervals: each Kustomization whose dependencies are Ready is reconciled; the rest wait. */
    const reconcileAll = async () => {
      for (let progress = true; progress; ) {
        progress = false;
        for (const kustomization of kustomizations.filter((k) => !ready.get(k.metadata.name) && notReadyDependencies(k.spec, ready).length === 0)) {
          const lane = /^\.\/dist\/_flux-lanes\/([^/]+)\/(.+)$/.exec(kustomization.spec.path)!;
          // A gate's folder holds an empty kustomization.yaml: nothing to apply, in the cluster Flux runs in.
          const [clusterName, objects] = lane[1] === '_batches' ? ['default', []] : [lane[1]!, byPath[`${lane[1]}/${lane[2]}.k8s.yaml`]!];
          const target = cluster.get(clusterName)!;
          const result = await new FluxKustomization(target.api, target.kubevirt, target.kubeconfig, runPod(target.kubeconfig)).reconcile(objects, kustomization.spec);
          progress ||= result.ready !== ready.get(kustomization.metadata.name);
          ready.set(kustomization.metadata.name, result.ready);
        }
      }
    };
    await reconcileAll();
    expect([...ready].filter(([, isReady]) => !isReady).map(([name]) => name)).toEqual(['kvmigrate-east-vm-004']);
    // Its gate waits for it, and every lane after the first batch waits for a gate.
    const waiting = kustomizations.map((k) => k.metadata.name).filter((name) => !ready.has(name));
    expect(waiting).toHaveLength(150 + 3);
    expect(waiting.every((name) => /-vm-(0[5-9]\d|1\d\d)$|^kvmigrate\.batch-[123]$/.test(name))).toBe(true);
    // The first batch moved (the stuck lane's hook ran too: Flux applies a folder in one pass); none after it did.
    everyVmArrivedOnce(entries.slice(50).map((e) => e.vm));

    // CDI recovers: the lane turns Ready, then its gate, and the batches after it go through in turn.
    const disk = byPath['east/vm-004.k8s.yaml']!.find((o) => o.kind === 'DataVolume')!;
    cluster.get('east')!.api.update('DataVolume', disk.metadata.namespace, disk.metadata.name, (o) => (o.status = { phase: 'PendingPopulation', claimName: o.metadata.name }));
    await reconcileAll();
    expect(kustomizations.filter((k) => !ready.get(k.metadata.name)).map((k) => k.metadata.name)).toEqual([]);
    everyVmArrivedOnce();
  }, 600_000);

  it('on the Argo CD replay, one stuck disk fails only its own Application; every other is Synced and Healthy', async () => {
    const { workspace, byPath } = fleet({ argocd: ARGOCD, hook: { kubevirtNamespace: 'kubevirt' } }, entries);
    const { cluster, runPod, everyVmArrivedOnce } = await clustersWithStuckDisk(workspace, byPath);
    const servers = Object.fromEntries(Object.entries(CLUSTERS).map(([name, c]) => [c.server, name]));
    const results = new Map<string, string>();
    for (const application of byPath['_argocd/applications.k8s.yaml']!) {
      const clusterName = servers[application.spec.destination.server] ?? 'default';
      const target = cluster.get(clusterName)!;
      const desired = byPath[`${clusterName}/${application.spec.source.directory.include}`]!;
      const app = new ArgoApplication(target.api, target.kubevirt, {
        name: application.metadata.name,
        kubeconfig: target.kubeconfig,
        ignoreDifferences: application.spec.ignoreDifferences ?? [],
        runJobPod: runPod(target.kubeconfig),
      });
      const result = await app.sync(desired);
      results.set(application.metadata.name, `${result.phase} ${app.appHealth(desired)} ${app.synced(desired) ? 'Synced' : 'OutOfSync'}`);
    }
    const others = [...results].filter(([name]) => name !== 'kvmigrate-east-vm-004');
    expect(others).toHaveLength(199);
    expect(new Set(others.map(([, state]) => state))).toEqual(new Set(['Succeeded Healthy Synced']));
    expect(results.get('kvmigrate-east-vm-004')).toMatch(/^Failed Degraded /);
    // The stuck lane's migration never started (its hook is a PostSync hook, after the disk's wave); all others moved.
    everyVmArrivedOnce(['vm-004']);
  }, 600_000);
});
