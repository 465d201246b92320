import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../lib/diagnostics.ts';
import { synthesize } from '../lib/synth/synthesize.ts';
import { documents, migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { rbacViolations } from './support/rbac.ts';
import { ofKind, only, synth, type Json } from './support/synth.ts';

const root = resolve(import.meta.dirname, '..');
const LAB_ID = '52e4398d-bdbf-42b5-b0f4-1e7c6c0a08f5-38cec1f6-43bb-412d-8477-b3d635fd7123';

function example(): Json[] {
  const workspace = new Workspace();
  const result = synthesize({ configPath: join(root, 'migrations.yaml'), outdir: workspace.path('dist') });
  return result.files.flatMap((f) => documents(f.content));
}

const machine = vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }));

function compile(config: Json) {
  const workspace = new Workspace();
  workspace.setup(config, { a: [machine] });
  return synth(workspace);
}

describe('the hook Job of the bundled example', () => {
  it('is a PostSync hook in the source namespace that re-creates itself on retry and cleans up after success', () => {
    const job = only(example(), 'Job');
    expect(job.metadata.namespace).toBe('vm-live-migration-source');
    expect(job.metadata.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation,HookSucceeded',
    });
    expect(job.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 900, ttlSecondsAfterFinished: 86400 });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('passes the configured migrationID and both migration names; no migration is an object in Git', () => {
    const objects = example();
    expect(ofKind(objects, 'VirtualMachineInstanceMigration')).toEqual([]);
    const [container] = only(objects, 'Job').spec.template.spec.containers;
    const hash = container.args[8].replace(/^.*-send-/, '');
    expect(container.args).toEqual([
      'send',
      '--source-namespace', 'vm-live-migration-source',
      '--vmi', 'vm-migration-ns-ns-live',
      '--migration-id', LAB_ID,
      '--name', `vm-migration-ns-ns-live-send-${hash}`,
      '--destination-namespace', 'vm-live-migration-destination',
      '--receive-name', `vm-migration-ns-ns-live-receive-${hash}`,
      '--kubevirt-namespace', 'openshift-cnv',
      '--timeout', '600',
    ]);
  });

  it('runs under the restricted Pod Security profile with bounded resources', () => {
    const pod = only(example(), 'Job').spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const [container] = pod.containers;
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.resources).toEqual({ requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(container.image).toBe('ghcr.io/kvmigrate/kvmigrate-hook:0.1.0');
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    expect(pod).not.toHaveProperty('volumes');
  });
});

describe('the hook access of the bundled example', () => {
  it('grants exactly what the hook does, namespaced, to its own ServiceAccount', () => {
    const objects = example();
    const account = only(objects, 'ServiceAccount');
    expect(account.metadata.namespace).toBe('vm-live-migration-source');
    expect(only(objects, 'Job').spec.template.spec.serviceAccountName).toBe(account.metadata.name);
    const args = only(objects, 'Job').spec.template.spec.containers[0].args as string[];
    const send = args[8];
    const receive = args[args.indexOf('--receive-name') + 1];
    const rules = Object.fromEntries(ofKind(objects, 'Role').map((r) => [r.metadata.namespace, r.rules]));
    expect(rules).toEqual({
      'vm-live-migration-source': [
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['get'], resourceNames: [send] },
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['create'] },
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['list'] },
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['get'], resourceNames: ['vm-migration-ns-ns-live'] },
      ],
      'vm-live-migration-destination': [
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['list'] },
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['get'], resourceNames: [receive] },
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['create'] },
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: ['delete'], resourceNames: [receive] },
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachines'], verbs: ['get'], resourceNames: ['vm-migration-ns-ns-live'] },
        { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['get'], resourceNames: ['vm-migration-ns-ns-live'] },
      ],
      'openshift-cnv': [
        { apiGroups: ['kubevirt.io'], resources: ['kubevirts'], verbs: ['list'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get'], resourceNames: ['virt-synchronization-controller'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      ],
    });
    for (const binding of ofKind(objects, 'RoleBinding')) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: 'vm-live-migration-source' }]);
    }
    // Only its own Roles: no binding to kubevirt.io:migrate (every verb on every migration of the namespace); the
    // hook's whole job runs with these rules alone (test/apiserver/hook-access.test.ts, by the real authorizer).
    expect(ofKind(objects, 'RoleBinding').map((b) => b.roleRef.kind)).toEqual(['Role', 'Role', 'Role']);
  });

  it('has no wildcard and no cluster-wide grant, and the check would catch one', () => {
    const objects = example();
    expect(rbacViolations(objects)).toEqual([]);
    const widened = structuredClone(objects);
    ofKind(widened, 'Role')[0]!.rules[0].verbs = ['*'];
    widened.push({ kind: 'ClusterRoleBinding', metadata: { name: 'x' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } });
    expect(rbacViolations(widened)).toEqual([expect.stringContaining('wildcard in verbs'), 'ClusterRoleBinding (cluster)/x: cluster-wide']);
  });
});

describe('hook settings from migrations.yaml', () => {
  it('image, pull policy, timeout, wait and KubeVirt namespace; a migration overrides the top level', () => {
    const { objects } = compile({
      hook: { image: 'registry.example/kvmigrate-hook:1.2', imagePullPolicy: 'Always', timeoutSeconds: 120, kubevirtNamespace: 'openshift-cnv', leaseFallback: true },
      migrations: [migration('a', { hook: { timeoutSeconds: 300, wait: true, migrationTimeoutSeconds: 1800 } })],
    });
    const job = only(objects, 'Job');
    const [container] = job.spec.template.spec.containers;
    expect(container.image).toBe('registry.example/kvmigrate-hook:1.2');
    expect(container.imagePullPolicy).toBe('Always');
    expect(container.args.slice(-7)).toEqual(['--kubevirt-namespace', 'openshift-cnv', '--timeout', '300', '--wait', '--migration-timeout', '1800']);
    // One deadline for the Job: readiness + transfer + margin, so Kubernetes never kills a hook still within its clocks.
    expect(job.spec.activeDeadlineSeconds).toBe(300 + 1800 + 300);
  });

  it('issue 18: synchronizingTimeoutSeconds (with wait), addressFamily and probeAddresses reach the Job; their defaults add nothing', () => {
    const args = (hook: Json) => only(compile({ migrations: [migration('a', { hook })] }).objects, 'Job').spec.template.spec.containers[0].args as string[];
    expect(args({ wait: true, synchronizingTimeoutSeconds: 120, addressFamily: 'IPv6', probeAddresses: false }).slice(-6)).toEqual([
      '--wait', '--synchronizing-timeout', '120', '--address-family', 'IPv6', '--no-address-probe',
    ]);
    expect(args({ wait: false, synchronizingTimeoutSeconds: 120 })).not.toContain('--synchronizing-timeout');
    expect(args({ probeAddresses: true }).filter((a) => /address|synchronizing/.test(a))).toEqual(['--published-address-only']);
  });

  it('with wait and no migrationTimeoutSeconds the Job outlives the default hour of transfer; without wait only readiness counts', () => {
    const deadline = (hook: Json) => only(compile({ migrations: [migration('a', { hook })] }).objects, 'Job').spec.activeDeadlineSeconds;
    expect(deadline({ wait: true })).toBe(600 + 3600 + 300);
    expect(deadline({ wait: false, migrationTimeoutSeconds: 7200 })).toBe(600 + 300);
  });

  it('a static connectURL goes through the hook too: no migration object in Git', () => {
    const { objects } = compile({ migrations: [migration('a', { connectURL: '10.0.0.1:9185' })] });
    expect(objects.map((o) => o.kind)).not.toContain('VirtualMachineInstanceMigration');
    expect(only(objects, 'Job').spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--connect-url', '10.0.0.1:9185']));
  });

  it('cross-cluster: the Job mounts the destination kubeconfig; the destination gets a reader ServiceAccount and its Roles', () => {
    const result = compile({
      migrations: [migration('a', { source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west-kubeconfig' } })],
    });
    const east = result.byPath['east/a.k8s.yaml']!;
    const west = result.byPath['west/a.k8s.yaml']!;
    expect(east.map((o) => [o.kind, o.metadata.namespace])).toEqual([
      ['ConfigMap', 'src'],
      ['ServiceAccount', 'src'],
      ['Role', 'src'],
      ['RoleBinding', 'src'],
      ['Job', 'src'],
    ]);
    expect(west.map((o) => [o.kind, o.metadata.namespace])).toEqual([
      ['ConfigMap', 'dst'],
      ['ServiceAccount', 'dst'],
      ['Role', 'dst'],
      ['RoleBinding', 'dst'],
      ['DataVolume', 'dst'],
      ['VirtualMachine', 'dst'],
    ]);
    // One destination identity per migration: every attempt's Roles bind to it, so its kubeconfig Secret outlives retries.
    expect(only(west, 'ServiceAccount').metadata.name).toBe('a-kvmigrate-hook');
    for (const binding of ofKind(west, 'RoleBinding')) expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'a-kvmigrate-hook', namespace: 'dst' }]);
    const retried = compile({
      migrations: [migration('a', { attempt: 2, source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west-kubeconfig' } })],
    }).byPath['west/a.k8s.yaml']!;
    expect(only(retried, 'ServiceAccount').metadata.name).toBe('a-kvmigrate-hook');
    expect(ofKind(retried, 'Role')[0]!.metadata.name).not.toBe(ofKind(west, 'Role')[0]!.metadata.name);
    const pod = only(east, 'Job').spec.template.spec;
    expect(pod.volumes).toEqual([{ name: 'destination-kubeconfig', secret: { secretName: 'west-kubeconfig', items: [{ key: 'kubeconfig', path: 'kubeconfig' }] } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'destination-kubeconfig', mountPath: '/etc/kvmigrate/destination', readOnly: true }]);
    expect(pod.containers[0].args).toContain('/etc/kvmigrate/destination/kubeconfig');
    expect(rbacViolations([...east, ...west])).toEqual([]);
  });

  it('cross-cluster without a destination kubeconfig is an error saying what to set (a static connectURL does not replace it)', () => {
    try {
      compile({ migrations: [migration('a', { source: { cluster: 'east' }, destination: { cluster: 'west' }, connectURL: '10.0.0.1:9185' })] });
      expect.unreachable();
    } catch (error) {
      expect((error as InputError).diagnostics.map((d) => [d.message, d.hint])).toEqual([
        ['migration "a" crosses clusters (east -> west) but its hook cannot reach the destination, where it creates the receive migration', expect.stringContaining('destinationKubeconfigSecret')],
      ]);
    }
  });
});

describe('the hook gets exactly the access and the secrets it uses', () => {
  const two = (config: Json) => {
    const workspace = new Workspace();
    workspace.setup(config, { a: [machine], b: [vm('b', withDataVolume('root', 'b-root'), withDataVolumeTemplate('b-root', { size: '1Gi' }))] });
    return synth(workspace).objects;
  };
  const jobOf = (objects: Json[], vmName: string) => ofKind(objects, 'Job').find((j) => j.spec.template.spec.containers[0].args.includes(vmName))!;

  it('a top-level destinationKubeconfigSecret reaches only the migration that crosses clusters', () => {
    const objects = two({
      hook: { destinationKubeconfigSecret: 'west-kubeconfig' },
      migrations: [migration('a', { source: { cluster: 'east' }, destination: { cluster: 'west' } }), migration('b', { source: { cluster: 'east' }, destination: { cluster: 'east' } })],
    });
    const crossing = jobOf(objects, 'a');
    expect(crossing.spec.template.spec.volumes).toEqual([expect.objectContaining({ secret: expect.objectContaining({ secretName: 'west-kubeconfig' }) })]);
    expect(crossing.spec.template.spec.containers[0].args).toContain('--destination-kubeconfig');
    const staying = jobOf(objects, 'b');
    expect(staying.spec.template.spec.volumes).toBeUndefined();
    expect(staying.spec.template.spec.containers[0].args).not.toContain('--destination-kubeconfig');
  });

  it("with leaseFallback and a static connectURL no Role reaches into KubeVirt's namespace (sync-address.ts lookUpSyncAddress never reads it)", () => {
    const { objects } = compile({ migrations: [migration('a', { connectURL: '10.0.0.9:9185', hook: { leaseFallback: true } })] });
    expect(ofKind(objects, 'Role').map((r) => r.metadata.namespace).sort()).toEqual(['dst', 'src']);
    expect(JSON.stringify(ofKind(objects, 'Role'))).not.toContain('leases');
    const { objects: looking } = compile({ migrations: [migration('a', { hook: { leaseFallback: true } })] });
    expect(ofKind(looking, 'Role').map((r) => r.metadata.namespace).sort()).toEqual(['dst', 'kubevirt', 'src']);
  });

  it.each(['src', 'dst'])("hook.kubevirtNamespace equal to the %s namespace: one Role and one RoleBinding there, holding both sets of rules", (namespace) => {
    const { objects } = compile({ migrations: [migration('a', { hook: { leaseFallback: true, kubevirtNamespace: namespace } })] });
    for (const kind of ['Role', 'RoleBinding']) {
      const keys = ofKind(objects, kind).map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
      expect(new Set(keys).size, kind).toBe(keys.length);
    }
    const role = ofKind(objects, 'Role').find((r) => r.metadata.namespace === namespace)!;
    expect(role.rules).toEqual(expect.arrayContaining([expect.objectContaining({ resources: ['leases'] }), expect.objectContaining({ resources: ['virtualmachineinstancemigrations'], verbs: ['create'] })]));
  });
});
