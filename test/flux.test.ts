import { describe, expect, it } from 'vitest';
import { renderCel } from '../lib/health/cel.ts';
import { HEALTH_RULES } from '../lib/health/rules.ts';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { crdErrors, crdValidators } from './support/crds.ts';
import { ofKind, only, synth, type Json } from './support/synth.ts';

const machine = (name: string) => vm(name, withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size: '1Gi' }));

function fleet(config: Json, migrations: readonly Json[]) {
  const workspace = new Workspace();
  workspace.setup({ ...config, migrations }, Object.fromEntries(migrations.map((m) => [m.vm, [machine(m.vm)]])));
  return synth(workspace);
}

describe('Flux output', () => {
  it('flux: {} gives one Kustomization per cluster folder with every default, valid against the Kustomization CRD', () => {
    const { byPath } = fleet({ flux: {} }, [migration('a')]);
    const kustomization = only(byPath['_flux/kustomizations.k8s.yaml']!, 'Kustomization');
    expect(kustomization.apiVersion).toBe('kustomize.toolkit.fluxcd.io/v1');
    expect(kustomization.metadata).toMatchObject({ name: 'kvmigrate-default', namespace: 'flux-system' });
    expect(kustomization.spec).toMatchObject({
      interval: '5m',
      prune: true,
      wait: true,
      sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' },
    });
    // The out dir of a workspace is in no Git repository: the path falls back to dist.
    expect(kustomization.spec.path).toBe('./dist/default');
    expect(kustomization.spec).not.toHaveProperty('kubeConfig');
    if (crdValidators) expect(crdErrors(kustomization as any)).toEqual([]);
  });

  it('waits with the health expressions rendered from the health rules, for all four kinds', () => {
    const { byPath } = fleet({ flux: {} }, [migration('a')]);
    const { healthCheckExprs } = only(byPath['_flux/kustomizations.k8s.yaml']!, 'Kustomization').spec;
    expect(healthCheckExprs).toEqual(HEALTH_RULES.map(renderCel));
    expect(healthCheckExprs.map((e: Json) => `${e.apiVersion} ${e.kind}`)).toEqual([
      'cdi.kubevirt.io/v1beta1 DataVolume',
      'kubevirt.io/v1 VirtualMachine',
      'kubevirt.io/v1 VirtualMachineInstance',
      'kubevirt.io/v1 VirtualMachineInstanceMigration',
    ]);
    // current and failed only: fluxcd/pkg runtime/cel StatusEvaluator.Evaluate answers InProgress when neither holds
    // (test/health.test.ts shows the pair agrees with the Lua checks on every fixture).
    expect(healthCheckExprs.map((e: Json) => Object.keys(e).sort())).toEqual(Array(4).fill(['apiVersion', 'current', 'failed', 'kind']));
  });

  it('a timeout that covers the hook Job, whose completion the wait includes', () => {
    const { byPath, objects } = fleet({ flux: {} }, [migration('a', { hook: { wait: true } }), migration('b')]);
    const job = ofKind(objects, 'Job')[0]!;
    const timeout = Number(/^(\d+)s$/.exec(only(byPath['_flux/kustomizations.k8s.yaml']!, 'Kustomization').spec.timeout)![1]);
    expect(Math.max(...ofKind(objects, 'Job').map((j) => j.spec.activeDeadlineSeconds))).toBe(job.spec.activeDeadlineSeconds);
    expect(timeout).toBeGreaterThan(job.spec.activeDeadlineSeconds);
  });

  it('names the source, and reaches a remote cluster through its kubeconfig Secret', () => {
    const { byPath } = fleet(
      {
        flux: { sourceRef: { kind: 'GitRepository', name: 'vm-moves', namespace: 'gitops' }, namespace: 'flux-apps', interval: '2m' },
        clusters: { west: { kubeConfigSecret: 'west-kubeconfig' } },
      },
      [migration('a', { destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west' } })],
    );
    const kustomizations = byPath['_flux/kustomizations.k8s.yaml']!;
    expect(kustomizations.map((k) => [k.metadata.name, k.metadata.namespace, k.spec.path, k.spec.kubeConfig?.secretRef.name, k.spec.interval])).toEqual([
      ['kvmigrate-default', 'flux-apps', './dist/default', undefined, '2m'],
      ['kvmigrate-west', 'flux-apps', './dist/west', 'west-kubeconfig', '2m'],
    ]);
    for (const k of kustomizations) {
      expect(k.spec.sourceRef).toEqual({ kind: 'GitRepository', name: 'vm-moves', namespace: 'gitops' });
      if (crdValidators) expect(crdErrors(k as any)).toEqual([]);
    }
  });

  it('a remote cluster without a kubeconfig Secret is an error naming it', () => {
    expect(() => fleet({ flux: {} }, [migration('a', { source: { cluster: 'east' } })])).toThrow(
      'no kubeconfig Secret for cluster "east", which Flux needs to apply its folder there',
    );
  });

  it('never writes back the runStrategy KubeVirt owns: spec.ignore on each migrating VM, gone at cutover', () => {
    const migrating = fleet({ flux: {} }, [migration('a', { source: { manage: true } })]);
    expect(only(migrating.byPath['_flux/kustomizations.k8s.yaml']!, 'Kustomization').spec.ignore).toEqual([
      { paths: ['/spec/runStrategy'], target: { group: 'kubevirt.io', kind: 'VirtualMachine', name: 'a', namespace: 'dst' } },
      { paths: ['/spec/runStrategy'], target: { group: 'kubevirt.io', kind: 'VirtualMachine', name: 'a', namespace: 'src' } },
    ]);
    const cutover = fleet({ flux: {} }, [migration('a', { source: { manage: true }, phase: 'cutover' })]);
    expect(only(cutover.byPath['_flux/kustomizations.k8s.yaml']!, 'Kustomization').spec).not.toHaveProperty('ignore');
  });

  it('a managed source VM with runStrategy Always may migrate under flux: as under argocd: (the split-brain guard)', () => {
    expect(() => fleet({}, [migration('a', { source: { manage: true } })])).toThrow(/nothing makes the sync ignore its runStrategy/);
    expect(() => fleet({ flux: {} }, [migration('a', { source: { manage: true } })])).not.toThrow();
  });

  it("Flux's apply policies on the objects: disks and VMs never pruned, the hook Job re-created when changed", () => {
    const { objects } = fleet({ flux: {} }, [migration('a', { source: { manage: true }, phase: 'migrate' }), migration('b', { phase: 'cutover' })]);
    const annotation = (o: Json, key: string) => o.metadata.annotations?.[key];
    for (const kind of ['DataVolume', 'VirtualMachine']) {
      expect(ofKind(objects, kind).length, kind).toBeGreaterThan(0);
      for (const object of ofKind(objects, kind)) expect(annotation(object, 'kustomize.toolkit.fluxcd.io/prune'), `${kind} ${object.metadata.name}`).toBe('Disabled');
    }
    const jobs = ofKind(objects, 'Job');
    expect(jobs.length).toBe(1);
    expect(annotation(jobs[0]!, 'kustomize.toolkit.fluxcd.io/force')).toBe('Enabled');
    // Nothing else opts out of pruning: the hook's access and the records go when they leave Git.
    for (const object of objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Job'].includes(o.kind))) {
      expect(annotation(object, 'kustomize.toolkit.fluxcd.io/prune')).toBeUndefined();
    }
  });
});

describe('without argocd: or flux:', () => {
  const warnings = (config: Json, migrations: readonly Json[]) => fleet(config, migrations).warnings.filter((w) => w.message.startsWith('no argocd: or flux: section'));

  it('synth warns once, with the ignoreDifferences a hand-made Application needs for every VM KubeVirt rewrites', () => {
    const found = warnings({}, [migration('a'), migration('b')]);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('on 2 VM(s)');
    expect(found[0]!.hint).toContain('name: a\n');
    expect(found[0]!.hint).toContain('name: b\n');
    expect(found[0]!.hint).toContain('jsonPointers: [/spec/runStrategy]');
    expect(found[0]!.hint).toContain('RespectIgnoreDifferences=true');
  });

  it('says nothing when kvmigrate emits the Application or Kustomization, or when nothing is migrating', () => {
    expect(warnings({ flux: {} }, [migration('a')])).toEqual([]);
    expect(warnings({ argocd: { repoURL: 'https://git.example.com/x.git' } }, [migration('a')])).toEqual([]);
    expect(warnings({}, [migration('a', { phase: 'cutover' })])).toEqual([]);
  });
});
