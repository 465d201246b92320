import { describe, expect, it } from 'vitest';
import { InputError } from '../lib/diagnostics.ts';
import {
  claim,
  dataVolume,
  migration,
  vm,
  withClaim,
  withDataVolume,
  withDataVolumeTemplate,
  withMetadata,
  withRunning,
  withRunStrategy,
  withSpecField,
  withTemplateField,
  withVolume,
  Workspace,
} from './support/builders.ts';
import { compile, errorsOf, messagesOf } from './support/compile.ts';
import { ofKind, only, synth, type Json } from './support/synth.ts';

const rootDisk = [withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '10Gi', storageClassName: 'fast' })];

describe('disks', () => {
  it('a DataVolume disk from a dataVolumeTemplate becomes a blank, populator-backed DataVolume of the same name and size', () => {
    const dv = only(compile(vm('a', ...rootDisk)).objects, 'DataVolume');
    expect(dv.metadata).toMatchObject({ name: 'root-dv', namespace: 'dst', annotations: { 'cdi.kubevirt.io/storage.usePopulator': 'true' } });
    expect(dv.spec).toEqual({ source: { blank: {} }, preallocation: false, storage: { storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } } });
  });

  it('a PVC disk becomes a blank DataVolume named after the claim; the receiver volume stays the same claim', () => {
    const { objects } = compile(vm('a', withClaim('data', 'data-pvc')), { docs: [claim('data-pvc', { size: '5Gi', storageClassName: 'slow' })] });
    expect(only(objects, 'DataVolume').metadata.name).toBe('data-pvc');
    expect(only(objects, 'DataVolume').spec.storage.resources.requests.storage).toBe('5Gi');
    expect(only(objects, 'VirtualMachine').spec.template.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-pvc' } }]);
  });

  it('generated volumes (cloud-init, containerDisk, configMap, secret, emptyDisk) get no DataVolume and travel unchanged', () => {
    const machine = vm(
      'a',
      ...rootDisk,
      withVolume({ name: 'ci', cloudInitNoCloud: { userData: '#cloud-config\n' } }),
      withVolume({ name: 'cd', containerDisk: { image: 'quay.io/x/y:1' } }),
      withVolume({ name: 'cm', configMap: { name: 'app-config' } }),
      withVolume({ name: 'sec', secret: { secretName: 'app-secret' } }),
      withVolume({ name: 'scratch', emptyDisk: { capacity: '1Gi' } }),
    );
    const { objects } = compile(machine);
    expect(ofKind(objects, 'DataVolume').map((d) => d.metadata.name)).toEqual(['root-dv']);
    expect(only(objects, 'VirtualMachine').spec.template.spec.volumes).toEqual(machine.spec.template.spec.volumes);
  });

  it('one DataVolume per copied disk, each before the VM in the file', () => {
    const { files } = compile(
      vm('a', ...rootDisk, withDataVolume('data', 'data-dv'), withDataVolumeTemplate('data-dv', { size: '50Gi' })),
    );
    const kinds = files[0]!.content.match(/^kind: (DataVolume|VirtualMachine|Job)$/gm);
    expect(kinds).toEqual(['kind: DataVolume', 'kind: DataVolume', 'kind: VirtualMachine', 'kind: Job']);
  });

  it.each([
    ['a cdrom', { cdrom: { bus: 'sata' } }, 'is a cdrom: a blank copy would give the guest an empty drive'],
    ['a LUN', { lun: {} }, 'is a LUN disk'],
    ['a shareable disk', { disk: { bus: 'virtio' }, shareable: true }, 'is shareable'],
  ])('%s backed by a DataVolume is an error naming the volume', (_, device, message) => {
    const errors = errorsOf(vm('a', withDataVolume('root', 'root-dv', device), withDataVolumeTemplate('root-dv', { size: '1Gi' })));
    expect(errors).toEqual([expect.stringContaining(`volume "root" ${message}`)]);
  });

  it('a virtiofs filesystem is an error', () => {
    const machine = vm('a', withClaim('shared', 'shared-pvc', null as never));
    machine.spec.template.spec.domain.devices.filesystems = [{ name: 'shared', virtiofs: {} }];
    expect(errorsOf(machine, { docs: [claim('shared-pvc', { size: '1Gi' })] })).toEqual([expect.stringContaining('virtiofs')]);
  });

  it('a hostDisk volume cannot be moved', () => {
    expect(errorsOf(vm('a', withVolume({ name: 'h', hostDisk: { path: '/x', type: 'Disk' } })))).toEqual([
      expect.stringContaining('volume source "hostDisk" cannot be moved'),
    ]);
  });

  it('carries the source volumeMode and accessModes when known', () => {
    const dv = only(
      compile(vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi', volumeMode: 'Block', accessModes: ['ReadWriteMany'] }))).objects,
      'DataVolume',
    );
    expect(dv.spec.storage).toMatchObject({ volumeMode: 'Block', accessModes: ['ReadWriteMany'] });
  });
});

describe('disk sizes', () => {
  const size = (machine: Json, extra: { docs?: Json[]; entry?: Json } = {}) =>
    ofKind(compile(machine, extra).objects, 'DataVolume').map((d) => d.spec.storage.resources.requests.storage);

  it('from a dataVolumeTemplate using spec.pvc', () => {
    expect(size(vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '7Gi' }, 'pvc')))).toEqual(['7Gi']);
  });

  it('from a DataVolume document in the manifest file', () => {
    expect(size(vm('a', withDataVolume('root', 'root-dv')), { docs: [dataVolume('root-dv', { size: '12Gi' })] })).toEqual(['12Gi']);
  });

  it('from a PVC of any volume mode: its capacity when larger than the request', () => {
    expect(size(vm('a', withClaim('d', 'd-pvc')), { docs: [claim('d-pvc', { size: '10Gi', capacity: '11Gi' })] })).toEqual(['11Gi']);
  });

  it('from a block PVC: its capacity when larger than the request', () => {
    expect(size(vm('a', withClaim('d', 'd-pvc')), { docs: [claim('d-pvc', { size: '10Gi', capacity: '10737418241', volumeMode: 'Block' })] })).toEqual([
      '10737418241',
    ]);
  });

  it('a per-disk override in the config wins', () => {
    expect(size(vm('a', ...rootDisk), { entry: { disks: { root: { size: '40Gi' } } } })).toEqual(['40Gi']);
  });

  it('a DataVolume in another namespace is not this VM\'s disk', () => {
    expect(errorsOf(vm('a', withDataVolume('root', 'root-dv')), { docs: [dataVolume('root-dv', { size: '12Gi' }, 'elsewhere')] })).toEqual([
      expect.stringContaining('volume "root": the size of DataVolume "root-dv" is unknown'),
    ]);
  });

  it('unknown size is an error that says how to give it', () => {
    const workspace = new Workspace();
    workspace.setup({ migrations: [migration('a')] }, { a: [vm('a', withClaim('d', 'd-pvc'))] });
    expect(() => synth(workspace)).toThrow(InputError);
    try {
      synth(workspace);
    } catch (error) {
      const [diagnostic] = (error as InputError).diagnostics;
      expect(diagnostic!.message).toBe('volume "d": the size of PersistentVolumeClaim "d-pvc" is unknown');
      expect(diagnostic!.hint).toContain('disks: { d: { size: 30Gi } }');
      expect(diagnostic!.location).toMatchObject({ file: expect.stringContaining('vms/a.yaml') });
    }
  });

  it('an override for a volume the VM does not copy is an error', () => {
    expect(errorsOf(vm('a', ...rootDisk), { entry: { disks: { nope: { size: '1Gi' } } } })).toEqual([
      'disks.nope: VM "a" has no PVC or DataVolume volume "nope"',
    ]);
  });
});

describe('storage class precedence', () => {
  const storageClass = (entry: Json, config: Json = {}) =>
    only(compile(vm('a', ...rootDisk), { entry, config }).objects, 'DataVolume').spec.storage.storageClassName;

  it('the source class when nothing else is said', () => expect(storageClass({})).toBe('fast'));
  it('storageClassMap over the source class', () => expect(storageClass({}, { storageClassMap: { fast: 'mapped' } })).toBe('mapped'));
  it('destination.storageClass over the map', () =>
    expect(storageClass({ destination: { storageClass: 'dest' } }, { storageClassMap: { fast: 'mapped' } })).toBe('dest'));
  it('a per-disk class over everything', () =>
    expect(storageClass({ destination: { storageClass: 'dest' }, disks: { root: { storageClass: 'disk' } } })).toBe('disk'));
  it('no class anywhere: none, so the destination default applies', () => {
    const dv = only(compile(vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }))).objects, 'DataVolume');
    expect(dv.spec.storage).not.toHaveProperty('storageClassName');
  });
});

describe('run strategies', () => {
  const restore = (machine: Json) => only(compile(machine, { entry: { source: { allowRunStrategy: true } } }).objects, 'VirtualMachine').metadata.annotations['kubevirt.io/restore-run-strategy'];

  it.each(['Always', 'RerunOnFailure', 'Manual', 'Once'])('%s is restored after the migration (allowed by source.allowRunStrategy)', (strategy) => {
    expect(restore(vm('a', ...rootDisk, withRunStrategy(strategy)))).toBe(strategy);
  });

  it('the deprecated running: true of a managed source counts as Always, and the receiver has no running field', () => {
    const receiver = ofKind(compile(vm('a', ...rootDisk, withRunning(true)), { entry: { source: { manage: true } }, config: { argocd: { repoURL: 'https://git.example.com/vm-moves.git' } } }).objects, 'VirtualMachine').find(
      (o) => o.metadata.namespace === 'dst',
    )!;
    expect(receiver.metadata.annotations['kubevirt.io/restore-run-strategy']).toBe('Always');
    expect(receiver.spec).not.toHaveProperty('running');
    expect(receiver.spec.runStrategy).toBe('WaitAsReceiver');
  });

  it.each([
    ['Halted', withRunStrategy('Halted'), `the source VM's spec.runStrategy "Halted" is not a running strategy: the source VM is not running`],
    ['running: false', withRunning(false), 'the source VM is not running (spec.running: false)'],
    ['no strategy', withRunStrategy(undefined), 'the source VM has no spec.runStrategy'],
    ['a misspelt strategy', withRunStrategy('Allways'), `the source VM's spec.runStrategy "Allways" is not one of KubeVirt's run strategies`],
    ['a receiver', withRunStrategy('WaitAsReceiver'), `the source VM's spec.runStrategy "WaitAsReceiver" is not a running strategy: the source VM is itself a receiver`],
  ])('%s is an error', (_, option, message) => {
    expect(errorsOf(vm('a', ...rootDisk, option))).toEqual([message]);
  });

  it('both running and runStrategy is an error', () => {
    expect(errorsOf(vm('a', ...rootDisk, withSpecField('running', true)))).toEqual([
      'the source VM sets both spec.running and spec.runStrategy, which KubeVirt rejects',
    ]);
  });
});

describe('the receiver VM', () => {
  it('keeps the template, drops dataVolumeTemplates, and carries labels and annotations but not controller-owned ones', () => {
    const machine = vm(
      'a',
      ...rootDisk,
      withMetadata({
        labels: { app: 'web', 'app.kubernetes.io/instance': 'source-app' },
        annotations: {
          team: 'blue',
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
          'kubevirt.io/latest-observed-api-version': 'v1',
          'kubevirt.io/storage-observed-api-version': 'v1',
          'argocd.argoproj.io/tracking-id': 'source-app:kubevirt.io/VirtualMachine:src/a',
        },
      }),
      withTemplateField('domain', { firmware: { uuid: '5d307ca9-b3ef-428c-8861-06e72d69f223' }, machine: { type: 'q35' }, devices: { disks: [{ name: 'root', disk: {} }] } }),
    );
    machine.spec.template.metadata.creationTimestamp = null;
    const receiver = only(compile(machine).objects, 'VirtualMachine');
    expect(receiver.metadata.labels).toEqual({ app: 'web', 'app.kubernetes.io/managed-by': 'kvmigrate', 'kvmigrate.io/migration': 'a' });
    expect(Object.keys(receiver.metadata.annotations).sort()).toEqual([
      'argocd.argoproj.io/sync-options',
      'argocd.argoproj.io/sync-wave',
      'kubevirt.io/restore-run-strategy',
      'kustomize.toolkit.fluxcd.io/prune',
      'kvmigrate.io/migration-id',
      'team',
    ]);
    const { creationTimestamp: _, ...templateMetadata } = machine.spec.template.metadata;
    expect(receiver.spec.template).toEqual({ ...machine.spec.template, metadata: templateMetadata });
    expect(receiver.spec).not.toHaveProperty('dataVolumeTemplates');
  });

  it('keeps instancetype and preference without revisionName', () => {
    const machine = vm(
      'a',
      ...rootDisk,
      withSpecField('instancetype', { kind: 'VirtualMachineClusterInstancetype', name: 'u1.small', revisionName: 'a-u1.small-abc-1' }),
      withSpecField('preference', { kind: 'VirtualMachineClusterPreference', name: 'rhel.9', revisionName: 'a-rhel.9-def-1' }),
    );
    const receiver = only(compile(machine).objects, 'VirtualMachine');
    expect(receiver.spec.instancetype).toEqual({ kind: 'VirtualMachineClusterInstancetype', name: 'u1.small' });
    expect(receiver.spec.preference).toEqual({ kind: 'VirtualMachineClusterPreference', name: 'rhel.9' });
  });

  it('keeps fields the imported types do not know, exactly as written', () => {
    const machine = vm('a', ...rootDisk, withTemplateField('futureField', { someSetting: 'x', dedicatedCPUPlacement: true }));
    expect(only(compile(machine).objects, 'VirtualMachine').spec.template.spec.futureField).toEqual({ someSetting: 'x', dedicatedCPUPlacement: true });
  });
});

describe('a kubectl dump as the source manifest', () => {
  it('reads a `kind: List` of VM, DataVolume and PVC and ignores status and server-managed fields', () => {
    const machine = vm('a', withDataVolume('root', 'root-dv'), withClaim('data', 'data-pvc'));
    Object.assign(machine.metadata, {
      uid: '0b6f7c1e-0000-4000-8000-000000000001',
      resourceVersion: '123',
      generation: 4,
      creationTimestamp: '2026-01-01T00:00:00Z',
      managedFields: [{ manager: 'kubectl' }],
      annotations: { 'kubevirt.io/latest-observed-api-version': 'v1', 'kubevirt.io/storage-observed-api-version': 'v1' },
    });
    machine.status = { printableStatus: 'Running', ready: true };
    const list = { apiVersion: 'v1', kind: 'List', items: [machine, dataVolume('root-dv', { size: '3Gi' }), claim('data-pvc', { size: '4Gi' })] };
    const workspace = new Workspace();
    workspace.setup({ migrations: [migration('a')] }, { a: [list] });
    const fromList = synth(workspace).objects;
    expect(ofKind(fromList, 'DataVolume').map((d) => [d.metadata.name, d.spec.storage.resources.requests.storage])).toEqual([
      ['root-dv', '3Gi'],
      ['data-pvc', '4Gi'],
    ]);
    const receiver = only(fromList, 'VirtualMachine');
    expect(Object.keys(receiver.metadata).sort()).toEqual(['annotations', 'labels', 'name', 'namespace']);
    expect(Object.keys(receiver.metadata.annotations)).not.toContain('kubevirt.io/latest-observed-api-version');
    expect(receiver).not.toHaveProperty('status');
  });
});

describe('the migrations', () => {
  const jobArgs = (objects: Json[]) => only(objects, 'Job').spec.template.spec.containers[0].args as string[];
  const argOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

  it('are never objects in Git: the hook creates both, with one migrationID and distinct names', () => {
    const { objects, plans } = compile(vm('a', ...rootDisk));
    expect(ofKind(objects, 'VirtualMachineInstanceMigration')).toEqual([]);
    const args = jobArgs(objects);
    expect(argOf(args, '--migration-id')).toBe(plans[0]!.migrationID);
    expect(argOf(args, '--receive-name')).toBe(plans[0]!.receiveMigrationName);
    expect(argOf(args, '--name')).toBe(plans[0]!.sendMigrationName);
    expect(plans[0]!.receiveMigrationName).not.toBe(plans[0]!.sendMigrationName);
  });

  it('a static connectURL goes to the hook too, which uses it instead of discovery', () => {
    const { objects } = compile(vm('a', ...rootDisk), { entry: { connectURL: '[fd00::1]:9185' } });
    expect(ofKind(objects, 'VirtualMachineInstanceMigration')).toEqual([]);
    expect(argOf(jobArgs(objects), '--connect-url')).toBe('[fd00::1]:9185');
  });
});

describe('clusters and output folders', () => {
  it('a cross-cluster migration puts the destination objects and the hook in their own cluster folders', () => {
    const result = compile(vm('a', ...rootDisk), { entry: { source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west-kubeconfig' } } });
    expect(Object.keys(result.byPath)).toEqual(['east/a.k8s.yaml', 'west/a.k8s.yaml']);
    expect(result.byPath['east/a.k8s.yaml']!.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Job', 'Role', 'RoleBinding', 'ServiceAccount']);
    expect(result.byPath['west/a.k8s.yaml']!.map((o) => o.kind)).toEqual(['ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'DataVolume', 'VirtualMachine']);
  });

  it('the destination cluster defaults to the source cluster', () => {
    expect(Object.keys(compile(vm('a', ...rootDisk), { entry: { source: { cluster: 'east' } } }).byPath)).toEqual(['east/a.k8s.yaml']);
  });
});

describe('collisions at the destination', () => {
  const errors = (config: Json, manifests: Record<string, Json[]>) => {
    const workspace = new Workspace();
    workspace.setup(config, manifests);
    return messagesOf(() => synth(workspace));
  };

  it('two VMs of one name moved into one namespace is an error', () => {
    const machine = vm('web', ...rootDisk);
    const other = { ...machine, metadata: { name: 'web', namespace: 'other' } };
    expect(
      errors({ migrations: [migration('web'), { ...migration('web', { name: 'web-2', source: { namespace: 'other', manifest: 'vms/web-2.yaml' } }) }] }, { web: [machine], 'web-2': [other] }),
    ).toEqual([expect.stringContaining('two migrations move a VM named "web" into namespace "dst"')]);
  });

  it('two migrations creating one DataVolume is an error', () => {
    expect(errors({ migrations: [migration('a'), migration('b')] }, { a: [vm('a', ...rootDisk)], b: [vm('b', ...rootDisk)] })).toEqual([
      'migrations "a" and "b" both create DataVolume "root-dv" in namespace "dst"',
    ]);
  });
});

describe('prerequisite warnings', () => {
  // The warning that no engine section makes Argo CD ignore the runStrategy is tested in flux.test.ts.
  const prerequisiteWarnings = (machine: Json, extra: Parameters<typeof compile>[1]) =>
    compile(machine, extra).warnings.filter((w) => !w.message.startsWith('no argocd: or flux: section'));
  // With an image of the user's own: no warning that the default one belongs to a release (see release.test.ts).
  const ownImage = { config: { hook: { image: 'registry.example/kvmigrate-hook:dev' } } };
  it('names every Secret, ConfigMap, ServiceAccount and network the destination must already have', () => {
    const machine = vm(
      'a',
      ...rootDisk,
      withVolume({ name: 'ci', cloudInitNoCloud: { userDataSecretRef: { name: 'ud' }, networkDataSecretRef: { name: 'nd' } } }),
      withVolume({ name: 'cm', configMap: { name: 'cfg' } }),
      withVolume({ name: 'sa', serviceAccount: { serviceAccountName: 'robot' } }, null as never),
      withVolume({ name: 'cd', containerDisk: { image: 'x', imagePullSecret: 'pull' } }),
      withTemplateField('accessCredentials', [{ sshPublicKey: { source: { secret: { secretName: 'keys' } }, propagationMethod: { noCloud: {} } } }]),
      withTemplateField('networks', [{ name: 'default', pod: {} }, { name: 'vlan', multus: { networkName: 'net/vlan10' } }]),
    );
    const messages = prerequisiteWarnings(machine, ownImage).map((w) => w.message);
    for (const expected of [
      'Secret "ud" (volume "ci") must exist in namespace "dst"',
      'Secret "nd" (volume "ci")',
      'ConfigMap "cfg" (volume "cm")',
      'ServiceAccount "robot" (volume "sa")',
      'Secret "pull" (volume "cd")',
      'Secret "keys" (accessCredentials)',
      'NetworkAttachmentDefinition "vlan10" (network "vlan") must exist in namespace "net"',
    ]) {
      expect(messages).toContainEqual(expect.stringContaining(expected));
    }
    expect(messages).toHaveLength(7);
  });

  it('warns about a plaintext password in base64 user data too', () => {
    const userDataBase64 = Buffer.from('#cloud-config\npassword: hunter2\n').toString('base64');
    const warnings = prerequisiteWarnings(vm('a', ...rootDisk, withVolume({ name: 'ci', cloudInitNoCloud: { userDataBase64 } })), ownImage);
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('plaintext password')]);
  });

  it('no warnings for a VM with nothing external', () => {
    expect(prerequisiteWarnings(vm('a', ...rootDisk, withVolume({ name: 'ci', cloudInitNoCloud: { userData: '#cloud-config\nssh_authorized_keys: []\n' } })), ownImage)).toEqual([]);
  });
});
