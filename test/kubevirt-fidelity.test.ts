// What a real cluster would do to kvmigrate's output: each rule mirrors an upstream function, named in its test.
import { App, Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { VirtualMachine } from '../imports/kubevirt-vm-kubevirt.io.ts';
import { InputError } from '../lib/diagnostics.ts';
import { BlankDataVolume, MigrationPair, ReceiverVirtualMachine } from '../lib/index.ts';
import fc from 'fast-check';
import { compareQuantities, parseQuantity } from '../lib/kubernetes/quantity.ts';
import { filesystemRequestFor, usableSpace } from '../lib/kubevirt/filesystem-overhead.ts';
import { isHostPort } from '../lib/kubernetes/validation.ts';
import { VIRTUAL_MACHINE_GVK } from '../lib/kubevirt/api.ts';
import { claim, dataVolume, vm, withClaim, withDataVolume, withDataVolumeTemplate, withRunning, withRunStrategy, withSpecField, withVolume } from './support/builders.ts';
import { compile, errorsOf } from './support/compile.ts';
import { crdErrors, crdValidators } from './support/crds.ts';
import { ofKind, only, type Json } from './support/synth.ts';

const rootDisk = [withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '10Gi', storageClassName: 'fast' })];
const sizeOf = (objects: Json[]) => only(objects, 'DataVolume').spec.storage.resources.requests.storage;
const ARGOCD = { argocd: { repoURL: 'https://git.example.com/vm-moves.git' } };

describe('Kubernetes quantities (apimachinery resource.ParseQuantity)', () => {
  it.each([
    ['10Gi', '10737418240', 0],
    ['1G', '1000000000', 0],
    ['1e9', '1G', 0],
    ['1.5Gi', '1536Mi', 0],
    ['1Gi', '1G', 1],
    ['500m', '1', -1],
  ])('%s vs %s', (a, b, order) => expect(compareQuantities(parseQuantity(a)!, parseQuantity(b)!)).toBe(order));

  it.each(['lots', '10 Gi', '10GiB', '', 'Gi', '1e'])('refuses %j', (text) => expect(parseQuantity(text)).toBeUndefined());
});

describe('disk sizes a migration accepts (live-migration-source.go setMigrationResult: "destination volume is smaller")', () => {
  it('a Block volume gets the largest of request and capacity across template, DataVolume and PVC (Forklift Builder.requestSize)', () => {
    const machine = vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '10Gi', volumeMode: 'Block' }));
    // The bound claim is larger than asked for, as some block backends make it.
    expect(sizeOf(compile(machine, { docs: [claim('root-dv', { size: '10Gi', capacity: '10.5Gi', volumeMode: 'Block' })] }).objects)).toBe('10.5Gi');
    // A DataVolume asking for more than the claim's capacity: the request.
    const larger = [dataVolume('root-dv', { size: '12Gi', volumeMode: 'Block' }), claim('root-dv', { size: '10Gi', capacity: '11Gi', volumeMode: 'Block' })];
    expect(sizeOf(compile(machine, { docs: larger }).objects)).toBe('12Gi');
  });

  it('a Filesystem volume gets the largest size too: CDI sizes its image by the space it finds (DataProcessor.getUsableSpace)', () => {
    const machine = vm('a', withClaim('d', 'd-pvc'));
    expect(sizeOf(compile(machine, { docs: [claim('d-pvc', { size: '10Gi', capacity: '12Gi', volumeMode: 'Filesystem' })] }).objects)).toBe('12Gi');
    // A larger dataVolumeTemplate than the claim's request, as before a resize: the template's size.
    const templated = vm('a', withDataVolume('d', 'd-dv'), withDataVolumeTemplate('d-dv', { size: '20Gi', volumeMode: 'Filesystem' }));
    expect(sizeOf(compile(templated, { docs: [claim('d-dv', { size: '10Gi', capacity: '10Gi', volumeMode: 'Filesystem' })] }).objects)).toBe('20Gi');
  });

  it('a size override smaller than the source is refused with both sizes, at the override', () => {
    const machine = vm('a', withClaim('d', 'd-pvc'));
    const docs = [claim('d-pvc', { size: '10Gi', capacity: '11Gi', volumeMode: 'Block' })];
    try {
      compile(machine, { docs, entry: { disks: { d: { size: '10Gi' } } } });
      expect.unreachable();
    } catch (error) {
      const [diagnostic] = (error as InputError).diagnostics;
      expect(diagnostic!.message).toBe('disks.d.size 10Gi is smaller than the source disk (11Gi): the migration would fail');
      expect(diagnostic!.location).toMatchObject({ file: expect.stringMatching(/migrations\.yaml$/), line: 10, column: 15 });
      expect(diagnostic!.hint).toBe('use at least 11Gi (a Block volume: the largest size the source knows counts), or remove the override');
    }
    expect(sizeOf(compile(machine, { docs, entry: { disks: { d: { size: '11Gi' } } } }).objects)).toBe('11Gi');
  });

  it('a source size that is not a quantity is an error naming it', () => {
    const machine = vm('a', withClaim('d', 'd-pvc'));
    expect(errorsOf(machine, { docs: [claim('d-pvc', { size: '-lots' })] })).toEqual([
      'PersistentVolumeClaim d-pvc: spec.resources.requests.storage: "-lots" is not valid: a positive Kubernetes quantity such as 30Gi, 500M or 1e9',
    ]);
  });

  it('BlankDataVolume refuses a size smaller than its sourceSize, with both sizes', () => {
    const chart = Testing.chart();
    expect(() => new BlankDataVolume(chart, 'D', { name: 'root', size: '10Gi', sourceSize: '10.5Gi' })).toThrow(
      'BlankDataVolume "test/D": size 10Gi is smaller than the source disk (10.5Gi): the migration would fail',
    );
    expect(() => new BlankDataVolume(chart, 'E', { name: 'root', size: '11Gi', sourceSize: '10.5Gi' })).not.toThrow();
  });
});

describe("a Filesystem target's disk image (CDI GetUsableSpace, createBlankImage in cmd/cdi-importer, GetFilesystemOverheadForStorageClass)", () => {
  const fsClaim = (size: string, extra: { storageClassName?: string; volumeMode?: string } = {}) => claim('d-pvc', { size, volumeMode: 'Filesystem', storageClassName: 'fast', ...extra });
  const sized = (extra: { docs?: Json[]; entry?: Json; config?: Json }) => sizeOf(compile(vm('a', withClaim('d', 'd-pvc')), extra).objects);

  it('a Block source moving to a Filesystem target gets the default overhead (0.06), rounded up to whole Mi', () => {
    // 10 GiB = 10240 Mi; 10240 Mi x 1.06 = 10854.4 Mi, so 10855 Mi, whose image is 10240 Mi.
    expect(sized({ docs: [fsClaim('10Gi', { volumeMode: 'Block' })], entry: { disks: { d: { volumeMode: 'Filesystem' } } } })).toBe('10855Mi');
    expect(usableSpace(0.06, 10855 * 2 ** 20)).toBe(10 * 2 ** 30);
    // One Mi less and the image is too small.
    expect(usableSpace(0.06, 10854 * 2 ** 20)).toBeLessThan(10 * 2 ** 30);
  });

  it("another class gets its overhead, storageClasses.<class>.filesystemOverhead, as CDIConfig's per-class value", () => {
    expect(sized({ docs: [fsClaim('10Gi')], entry: { destination: { storageClass: 'slow' } } })).toBe('10855Mi');
    // 10240 Mi x 1.2 = 12288 Mi exactly.
    expect(sized({ docs: [fsClaim('10Gi')], entry: { destination: { storageClass: 'slow' } }, config: { storageClasses: { slow: { filesystemOverhead: '0.2' } } } })).toBe('12288Mi');
  });

  it("another cluster's CDIConfig is not the source's: the overhead is added even for the same class", () => {
    const entry = { source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west' } };
    expect(sized({ docs: [fsClaim('10Gi')], entry })).toBe('10855Mi');
  });

  it('the same class, mode and cluster need no headroom: the source image was sized by the same rule', () => {
    expect(sized({ docs: [fsClaim('10Gi')] })).toBe('10Gi');
    // No mode stated on either side: the same StorageProfile decides both.
    expect(sized({ docs: [claim('d-pvc', { size: '10Gi', storageClassName: 'fast' })] })).toBe('10Gi');
  });

  it('a Block target needs none, whatever the source', () => {
    expect(sized({ docs: [fsClaim('10Gi')], entry: { destination: { storageClass: 'slow' }, disks: { d: { volumeMode: 'Block' } } } })).toBe('10Gi');
  });

  it('an override smaller than the computed minimum is refused with both numbers', () => {
    const entry = { destination: { storageClass: 'slow' }, disks: { d: { size: '10Gi' } } };
    const [message] = errorsOf(vm('a', withClaim('d', 'd-pvc')), { docs: [fsClaim('10Gi')], entry });
    expect(message).toBe("disks.d.size 10Gi is smaller than the source disk (10Gi with CDI's filesystem overhead on a Filesystem target, 10855Mi): the migration would fail");
    expect(sized({ docs: [fsClaim('10Gi')], entry: { ...entry, disks: { d: { size: '10855Mi' } } } })).toBe('10855Mi');
  });

  it('a filesystemOverhead that is not a CDI Percent is refused', () => {
    expect(errorsOf(vm('a', withClaim('d', 'd-pvc')), { docs: [fsClaim('10Gi')], config: { storageClasses: { fast: { filesystemOverhead: '6%' } } } })).toEqual([
      expect.stringContaining('storageClasses.fast.filesystemOverhead'),
    ]);
  });

  it('property: for any source size and any overhead CDI accepts, the image CDI makes of the request holds the source', () => {
    const percent = fc.oneof(fc.constant('1'), fc.integer({ min: 0, max: 999 }).map((n) => `0.${String(n).padStart(3, '0')}`));
    const bytes = fc.bigInt({ min: 1n, max: 1n << 50n });
    fc.assert(
      fc.property(bytes, percent, (source, overhead) => {
        const request = parseQuantity(filesystemRequestFor(source, overhead))!;
        const value = Number(request.numerator / request.denominator);
        expect(request.text).toMatch(/^\d+Mi$/);
        expect(BigInt(usableSpace(Number(overhead), value))).toBeGreaterThanOrEqual(source);
        // And it is the smallest whole Mi that does.
        expect(BigInt(usableSpace(Number(overhead), value - 2 ** 20))).toBeLessThan(source);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('sources on the deprecated spec.running (vm.go syncRunStrategy halts via runStrategy; vms-admitter validateRunStrategy)', () => {
  it('an unmanaged source with running: true is refused, naming spec.running and runStrategy, with the kubectl patch', () => {
    const [message] = errorsOf(vm('a', ...rootDisk, withRunning(true)));
    expect(message).toContain('spec.running: true');
    expect(message).toContain('spec.runStrategy: Halted');
    expect(message).toContain('Running and RunStrategy are mutually exclusive');
    try {
      compile(vm('a', ...rootDisk, withRunning(true)));
    } catch (error) {
      expect((error as InputError).diagnostics[0]!.hint).toContain(
        `kubectl patch vm a -n src --type=json -p '[{"op":"remove","path":"/spec/running"},{"op":"add","path":"/spec/runStrategy","value":"Always"}]'`,
      );
    }
  });

  it('a managed source is converted: emitted with runStrategy Always and no running field', () => {
    const { objects } = compile(vm('a', ...rootDisk, withRunning(true)), { entry: { source: { manage: true } }, config: ARGOCD });
    const source = ofKind(objects, 'VirtualMachine').find((o) => o.metadata.namespace === 'src')!;
    expect(source.spec.runStrategy).toBe('Always');
    expect(source.spec).not.toHaveProperty('running');
  });
});

describe('only an Always source is halted when the move completes (vm.go syncRunStrategy: "decentralized migration completed, setting runStrategy to halted"; vmiFailed)', () => {
  const diagnostics = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return (error as InputError).diagnostics;
    }
    return expect.unreachable();
  };

  it.each(['RerunOnFailure', 'Manual', 'Once'])('an unmanaged %s source is refused at its runStrategy, with the kubectl patch that makes it Always', (strategy) => {
    const [diagnostic, ...rest] = diagnostics(() => compile(vm('a', ...rootDisk, withRunStrategy(strategy))));
    expect(rest).toEqual([]);
    expect(diagnostic!.message).toContain(`the source VM's runStrategy is ${strategy}: when the move completes`);
    expect(diagnostic!.message).toContain('KubeVirt halts only an Always source');
    // spec.runStrategy, the line after `spec:` (metadata takes lines 3-5).
    expect(diagnostic!.location).toMatchObject({ file: expect.stringMatching(/vms\/a\.yaml$/), line: 7 });
    expect(diagnostic!.hint).toContain(`kubectl patch vm a -n src --type=merge -p '{"spec":{"runStrategy":"Always"}}'`);
    expect(diagnostic!.hint).toContain('source.allowRunStrategy: true');
  });

  it('a managed source is emitted converted to Always (KubeVirt can halt it); the receiver still restores its own strategy', () => {
    const { objects, warnings } = compile(vm('a', ...rootDisk, withRunStrategy('RerunOnFailure')), { entry: { source: { manage: true } }, config: ARGOCD });
    const [source, receiver] = ['src', 'dst'].map((ns) => ofKind(objects, 'VirtualMachine').find((o) => o.metadata.namespace === ns)!);
    expect(source!.spec.runStrategy).toBe('Always');
    expect(receiver!.metadata.annotations['kubevirt.io/restore-run-strategy']).toBe('RerunOnFailure');
    expect(warnings.map((w) => w.message).filter((m) => m.includes('runStrategy'))).toEqual([]);
  });

  it.each([
    ['RerunOnFailure', 'if its VMI ends Failed instead of Succeeded the controller starts it again (`vmiFailed`)'],
    ['Manual', 'a start request (`virtctl start`) boots it again'],
    ['Once', 'once its finished VMI is deleted the controller starts a new one'],
  ])('source.allowRunStrategy accepts %s with a warning saying what KubeVirt will do', (strategy, what) => {
    const { objects, warnings } = compile(vm('a', ...rootDisk, withRunStrategy(strategy)), { entry: { source: { manage: true, allowRunStrategy: true } }, config: ARGOCD });
    const warning = warnings.find((w) => w.message.includes('runStrategy'))!;
    expect(warning.message).toContain(what);
    expect(warning.message).toContain('source.allowRunStrategy accepts it');
    expect(warning.hint).toContain(`kubectl patch vm a -n src --type=merge -p '{"spec":{"runStrategy":"Always"}}'`);
    // Kept as it is: the user accepted upstream's behaviour for it.
    expect(ofKind(objects, 'VirtualMachine').find((o) => o.metadata.namespace === 'src')!.spec.runStrategy).toBe(strategy);
  });

  it('only the migrate phase is checked: at cutover the move is done', () => {
    expect(errorsOf(vm('a', ...rootDisk, withRunStrategy('Manual')), { entry: { phase: 'cutover' } })).toEqual([]);
  });
});

describe('namespaced instancetypes and preferences (instancetype specFinder.Find; Forklift Builder.LocalInstanceType)', () => {
  const instancetypeDoc = (kind: string, name: string, spec: Json) => ({
    apiVersion: 'instancetype.kubevirt.io/v1beta1',
    kind,
    metadata: { name, namespace: 'src', uid: 'u-1', resourceVersion: '42', creationTimestamp: '2026-01-01T00:00:00Z', labels: { team: 'a' } },
    spec,
  });
  const withMatchers = [withSpecField('instancetype', { kind: 'VirtualMachineInstancetype', name: 'small', revisionName: 'rev-1' }), withSpecField('preference', { kind: 'virtualmachinepreferences', name: 'linux' })];
  const docs = [instancetypeDoc('VirtualMachineInstancetype', 'small', { cpu: { guest: 2 }, memory: { guest: '2Gi' } }), instancetypeDoc('VirtualMachinePreference', 'linux', { devices: { preferredDiskBus: 'virtio' } })];

  it('definitions in the source manifest are copied to the destination namespace, cleanly, in a wave before the receiver', () => {
    const { objects, byPath } = compile(vm('a', ...rootDisk, ...withMatchers), { docs });
    const copies = [...ofKind(objects, 'VirtualMachineInstancetype'), ...ofKind(objects, 'VirtualMachinePreference')];
    expect(copies.map((c) => [c.kind, c.metadata.namespace, c.metadata.name])).toEqual([
      ['VirtualMachineInstancetype', 'dst', 'small'],
      ['VirtualMachinePreference', 'dst', 'linux'],
    ]);
    expect(copies[0]!.spec).toEqual({ cpu: { guest: 2 }, memory: { guest: '2Gi' } });
    expect(copies[0]!.metadata).not.toHaveProperty('uid');
    expect(copies[0]!.metadata).not.toHaveProperty('resourceVersion');
    expect(copies[0]!.metadata.labels).toMatchObject({ team: 'a', 'app.kubernetes.io/managed-by': 'kvmigrate' });
    const receiver = only(objects, 'VirtualMachine');
    const wave = (o: Json) => Number(o.metadata.annotations['argocd.argoproj.io/sync-wave']);
    for (const copy of copies) expect(wave(copy)).toBeLessThan(wave(receiver));
    // The file lists them before the receiver too, and the receiver names them without the source's revision.
    const kinds = Object.values(byPath)[0]!.map((o) => o.kind);
    expect(kinds.indexOf('VirtualMachinePreference')).toBeLessThan(kinds.indexOf('VirtualMachine'));
    expect(receiver.spec.instancetype).toEqual({ kind: 'VirtualMachineInstancetype', name: 'small' });
  });

  it.skipIf(!crdValidators)('the copies validate against the instancetype CRDs', () => {
    const { objects } = compile(vm('a', ...rootDisk, ...withMatchers), { docs });
    for (const copy of objects.filter((o) => o.apiVersion.startsWith('instancetype.'))) expect(crdErrors(copy as never)).toEqual([]);
  });

  it('a namespaced one the manifest lacks is a warning naming it and the fix; the config switch says the destination has it', () => {
    const missing = compile(vm('a', ...rootDisk, ...withMatchers), { docs: [docs[0]!] });
    const warning = missing.warnings.find((w) => w.message.includes('VirtualMachinePreference "linux"'))!;
    expect(warning.message).toContain('needs VirtualMachinePreference "linux" in namespace "dst"');
    expect(warning.hint).toContain('kvmigrate pull');
    expect(warning.hint).toContain('destination.instancetypesPresent: true');
    const present = compile(vm('a', ...rootDisk, ...withMatchers), { entry: { destination: { instancetypesPresent: true } } });
    expect(present.warnings.filter((w) => w.message.includes('Virtual'))).toEqual([]);
    expect(ofKind(present.objects, 'VirtualMachineInstancetype')).toEqual([]);
  });

  it('cluster-scoped kinds (or no kind) are not copied; a kind KubeVirt does not know is an error', () => {
    const clusterScoped = compile(vm('a', ...rootDisk, withSpecField('instancetype', { name: 'u1.large' })));
    expect(clusterScoped.objects.map((o) => o.kind)).not.toContain('VirtualMachineClusterInstancetype');
    expect(errorsOf(vm('a', ...rootDisk, withSpecField('instancetype', { kind: 'Flavor', name: 'x' })))).toEqual(['spec.instancetype.kind "Flavor" is not a kind KubeVirt accepts']);
  });
});

describe('storage: populator, access and volume modes (CDI shouldUseCDIPopulator; Forklift storage map)', () => {
  it('the populator annotation is on by default and off per destination storage class', () => {
    const annotated = (config: Json) => only(compile(vm('a', ...rootDisk), { config }).objects, 'DataVolume').metadata.annotations;
    expect(annotated({})).toHaveProperty(['cdi.kubevirt.io/storage.usePopulator'], 'true');
    expect(annotated({ storageClasses: { fast: { usePopulator: false } } })).not.toHaveProperty(['cdi.kubevirt.io/storage.usePopulator']);
  });

  it("usePopulator: false asks for immediate binding, so CDI's blank importer does not wait for the receiver's pod (CDI IsWaitForFirstConsumerEnabled; Forklift targetDataVolume)", () => {
    const annotated = (config: Json) => only(compile(vm('a', ...rootDisk), { config }).objects, 'DataVolume').metadata.annotations;
    expect(annotated({ storageClasses: { fast: { usePopulator: false } } })).toHaveProperty(['cdi.kubevirt.io/storage.bind.immediate.requested'], 'true');
    // A populator fills the claim when the receiver's pod binds it: no immediate binding there.
    expect(annotated({})).not.toHaveProperty(['cdi.kubevirt.io/storage.bind.immediate.requested']);
  });

  it("a blank DataVolume asks for no preallocation, over CDIConfig's global one (CDI GetPreallocation, createBlankImage)", () => {
    const dv = only(compile(vm('a', ...rootDisk)).objects, 'DataVolume');
    expect(dv.spec.preallocation).toBe(false);
    expect(new BlankDataVolume(Testing.chart(), 'D', { name: 'root', size: '1Gi' }).apiObject.toJson().spec.preallocation).toBe(false);
  });

  it('modes: the disk override over the storageClassMap entry over the source', () => {
    const machine = vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '10Gi', storageClassName: 'fast', volumeMode: 'Filesystem', accessModes: ['ReadWriteOnce'] }));
    const storage = (extra: Json) => only(compile(machine, extra).objects, 'DataVolume').spec.storage;
    expect(storage({})).toMatchObject({ storageClassName: 'fast', volumeMode: 'Filesystem', accessModes: ['ReadWriteOnce'] });
    const mapped = { config: { storageClassMap: { fast: { storageClass: 'ceph-rbd', volumeMode: 'Block', accessModes: ['ReadWriteMany'] } } } };
    expect(storage(mapped)).toMatchObject({ storageClassName: 'ceph-rbd', volumeMode: 'Block', accessModes: ['ReadWriteMany'] });
    expect(storage({ ...mapped, entry: { disks: { root: { accessModes: ['ReadWriteOnce'] } } } })).toMatchObject({ storageClassName: 'ceph-rbd', volumeMode: 'Block', accessModes: ['ReadWriteOnce'] });
  });

  it('a storageClassMap entry that is neither a name nor a mapping says so once', () => {
    const errors = errorsOf(vm('a', ...rootDisk), { config: { storageClassMap: { fast: 7 } } });
    expect(errors).toEqual(['storageClassMap.fast: must be a string or object']);
    expect(errorsOf(vm('a', ...rootDisk), { config: { storageClassMap: { fast: { volumeMode: 'Block' } } } })).toEqual(['storageClassMap.fast: missing required field "storageClass"']);
  });
});

describe('identity and references the receiver must keep', () => {
  it('the receiver and a managed source are of the VirtualMachine kind imported from the CRD', () => {
    expect(VIRTUAL_MACHINE_GVK).toEqual(VirtualMachine.GVK);
    const objects = compile(vm('a', ...rootDisk), { entry: { source: { manage: true } }, config: ARGOCD }).objects;
    expect(objects.filter((o) => o.kind === 'VirtualMachine').map((o) => o.apiVersion)).toEqual([VirtualMachine.GVK.apiVersion, VirtualMachine.GVK.apiVersion]);
  });

  it('an interface without macAddress warns in synth (kubemacpool would allocate a new MAC)', () => {
    const machine = vm('a', ...rootDisk);
    delete machine.spec.template.spec.domain.devices.interfaces[0].macAddress;
    const warning = compile(machine).warnings.find((w) => w.message.includes('macAddress'));
    expect(warning!.message).toBe('migration "a": interface "default" has no macAddress, so the receiver gets a new MAC from the destination');
    expect(warning!.hint).toContain('kvmigrate pull src/a');
  });

  it('a template without firmware.uuid warns in synth, pointing at pull (vm-mutator.go setFirmwareDefaultsIfEmpty gives the receiver a new one)', () => {
    const uuidWarnings = (machine: Json) => compile(machine).warnings.filter((w) => w.message.includes('firmware.uuid'));
    expect(uuidWarnings(vm('a', ...rootDisk))).toEqual([]);
    const machine = vm('a', ...rootDisk);
    machine.spec.template.spec.domain.firmware = { serial: 's-1' };
    const [warning, ...rest] = uuidWarnings(machine);
    expect(rest).toEqual([]);
    expect(warning!.message).toBe('migration "a": the VM template has no firmware.uuid, so KubeVirt gives the receiver a new random one and the guest sees a different SMBIOS UUID');
    expect(warning!.hint).toContain('kvmigrate pull src/a');
    expect(warning!.location).toMatchObject({ file: expect.stringMatching(/vms\/a\.yaml$/) });
    delete machine.spec.template.spec.domain.firmware;
    expect(uuidWarnings(machine).map((w) => w.message)).toEqual([warning!.message]);
  });

  it("a sysprep volume's ConfigMap or Secret is a prerequisite, like cloud-init's", () => {
    const machine = vm('a', ...rootDisk, withVolume({ name: 'sysprep', sysprep: { configMap: { name: 'unattend' } } }, { cdrom: { bus: 'sata' } }), withVolume({ name: 'sysprep2', sysprep: { secret: { name: 'unattend-secret' } } }, { cdrom: { bus: 'sata' } }));
    const messages = compile(machine).warnings.map((w) => w.message);
    expect(messages).toContain('migration "a": ConfigMap "unattend" (volume "sysprep") must exist in namespace "dst" before the migration starts');
    expect(messages).toContain('migration "a": Secret "unattend-secret" (volume "sysprep2") must exist in namespace "dst" before the migration starts');
  });
});

describe('the constructs validate their props at synthesis', () => {
  const template = { spec: { domain: { devices: {} }, volumes: [{ name: 'root', dataVolume: { name: 'root' } }] } };

  it.each<[string, () => void, string]>([
    ['a VM name that is not DNS-1123', () => new ReceiverVirtualMachine(Testing.chart(), 'V', { name: 'Web_1', template, restoreRunStrategy: 'Always' }), 'name "Web_1" is not a DNS-1123 label'],
    ['a disk name that is not DNS-1123', () => new BlankDataVolume(Testing.chart(), 'D', { name: 'Root Disk', size: '1Gi' }), 'name "Root Disk" is not a DNS-1123 subdomain'],
    ['a size that is not a quantity', () => new BlankDataVolume(Testing.chart(), 'D', { name: 'root', size: '30 GB' }), 'size "30 GB" is not a positive Kubernetes quantity'],
    ['a negative size', () => new BlankDataVolume(Testing.chart(), 'D', { name: 'root', size: '-5Gi' }), 'size "-5Gi" is not a positive Kubernetes quantity'],
    [
      'the same namespace at both ends of a same-cluster pair',
      () => new MigrationPair(Testing.chart(), 'P', { vmiName: 'a', migrationID: 'm', sourceNamespace: 'apps', destinationNamespace: 'apps' }),
      'source and destination are the same namespace "apps" of one cluster',
    ],
    ['a connectURL with a scheme', () => new MigrationPair(Testing.chart(), 'P', { vmiName: 'a', migrationID: 'm', sourceNamespace: 's', destinationNamespace: 'd', connectURL: 'https://10.0.0.5:9185' }), 'connectURL "https://10.0.0.5:9185" is not host:port'],
    ['a port out of range', () => new MigrationPair(Testing.chart(), 'P', { vmiName: 'a', migrationID: 'm', sourceNamespace: 's', destinationNamespace: 'd', connectURL: '10.0.0.5:70000' }), 'is not host:port'],
  ])('%s', (_, build, message) => expect(build).toThrow(message));

  it.each([
    ['10.0.0.5:9185', true],
    ['sync.west.example:9185', true],
    ['[fd00::1]:9185', true],
    ['fd00::1:9185', false],
    ['[10.0.0.5]:9185', false],
    ['host:0', false],
  ])('connectURL %s is host:port: %s', (value, valid) => expect(isHostPort(value)).toBe(valid));

  it('a receiver volume that no BlankDataVolume provides fails at synth; externalVolumes opts out', () => {
    const chart = Testing.chart();
    new BlankDataVolume(chart, 'Disk', { name: 'root-disk', namespace: 'dst', size: '10Gi' });
    new ReceiverVirtualMachine(chart, 'Vm', { name: 'web', namespace: 'dst', template, restoreRunStrategy: 'Always' });
    expect(() => Testing.synth(chart)).toThrow('volume "root" uses "root", which no BlankDataVolume in namespace "dst" provides');

    const optedOut = Testing.chart();
    new ReceiverVirtualMachine(optedOut, 'Vm', { name: 'web', namespace: 'dst', template, restoreRunStrategy: 'Always', externalVolumes: ['root'] });
    expect(Testing.synth(optedOut).map((o) => o.kind)).toEqual(['VirtualMachine']);
  });

  it('a BlankDataVolume in another namespace does not count; one in another chart of the app does', () => {
    const app = new App({ outdir: Testing.app().outdir });
    const disks = new Chart(app, 'disks', { namespace: 'dst' });
    const vms = new Chart(app, 'vms', { namespace: 'dst' });
    new BlankDataVolume(disks, 'Disk', { name: 'root', size: '10Gi' });
    new ReceiverVirtualMachine(vms, 'Vm', { name: 'web', template, restoreRunStrategy: 'Always' });
    expect(() => vms.toJson()).not.toThrow();
    const other = Testing.chart();
    new BlankDataVolume(other, 'Disk', { name: 'root', namespace: 'elsewhere', size: '10Gi' });
    new ReceiverVirtualMachine(other, 'Vm', { name: 'web', namespace: 'dst', template, restoreRunStrategy: 'Always' });
    expect(() => Testing.synth(other)).toThrow('which no BlankDataVolume in namespace "dst" provides');
  });
});
