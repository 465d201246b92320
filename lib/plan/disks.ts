import type { Located } from '../config/source-manifest.ts';
import type { LoadedConfig, MigrationEntry } from '../config/load-config.ts';
import type { Locator, YamlPath } from '../config/yaml-file.ts';
import type { DiagnosticBag, Location } from '../diagnostics.ts';
import type { DataVolumeManifest, StorageSpec, VirtualMachineManifest, Volume } from '../kubevirt/api.ts';
import { largestQuantity, parseQuantity, quantityValue, type Quantity } from '../kubernetes/quantity.ts';
import { DEFAULT_FILESYSTEM_OVERHEAD, filesystemRequestFor } from '../kubevirt/filesystem-overhead.ts';
import { diskSizeRefusal, dnsSubdomainRefusal, type AccessMode, type VolumeMode } from '../rules/migration.ts';

/** A destination disk to pre-create for one PVC- or DataVolume-backed volume of the source VM. */
export interface DiskPlan {
  /** The VM's volume name (kept identical at the destination). */
  readonly volumeName: string;
  /** Name of the blank DataVolume: the source DataVolume or claim name, so the receiver's volumes stay unchanged. */
  readonly dataVolumeName: string;
  /** Kubernetes quantity: the source disk's size, with CDI's filesystem overhead on top where a Filesystem target needs it. */
  readonly size: string;
  /** Absent: the destination's default storage class. */
  readonly storageClassName?: string;
  readonly volumeMode?: VolumeMode;
  readonly accessModes?: readonly AccessMode[];
  /** The source disk's volume mode, when known: a different mode at the destination needs KubeVirt's support. */
  readonly sourceVolumeMode?: string;
  /** Annotate the DataVolume with `cdi.kubevirt.io/storage.usePopulator: "true"` (off per storage class). */
  readonly usePopulator: boolean;
  /** The filesystem overhead the size has room for (a CDI Percent); absent when the target needed no headroom. */
  readonly filesystemOverhead?: string;
}

/** Volume sources that KubeVirt generates for the target pod itself, carried by the migration as they are. */
const GENERATED_VOLUME_SOURCES = new Set([
  'cloudInitNoCloud',
  'cloudInitConfigDrive',
  'containerDisk',
  'configMap',
  'secret',
  'serviceAccount',
  'downwardAPI',
  'downwardMetrics',
  'emptyDisk',
  'sysprep',
]);

interface StorageFacts {
  readonly size?: string;
  readonly storageClassName?: string;
  readonly volumeMode?: VolumeMode;
  readonly accessModes?: readonly AccessMode[];
}

/**
 * A size as the manifest gives it, when it is one a disk can have: a quantity above zero, within what kvmigrate reads
 * exactly (an exponent of at most 100). The schema passes `0Gi` and `1e400`; CDI would refuse a DataVolume of either,
 * so the plan refuses them here, where a manifest quantity is read, at its line.
 */
function diskSize(size: string | number | undefined, what: string, at: () => Location, bag: DiagnosticBag): string | undefined {
  if (size === undefined) return undefined;
  const quantity = parseQuantity(size);
  if (quantity && quantity.numerator > 0n) return String(size);
  const why = quantity ? 'a disk needs a size above zero' : 'it is out of the range of a disk size';
  bag.error(`${what}: size "${size}" is not a usable disk size: ${why}`, at(), 'give the size of the source disk, such as 30Gi');
  return undefined;
}

/**
 * A source disk's storage class, which the destination disk takes when nothing overrides it: a name the API server
 * accepts (a DNS subdomain, lib/rules), else an error at its line rather than a refusal inside the construct.
 */
function storageClassName(name: string | undefined, what: string, at: () => Location, bag: DiagnosticBag): string | undefined {
  const refusal = name === undefined ? undefined : dnsSubdomainRefusal(name);
  if (!refusal) return name;
  bag.error(`${what}: storageClassName ${refusal.message}`, at(), 'give the storage class name as the cluster has it, or override it with destination.storageClass');
  return undefined;
}

/** The facts of a storage spec at `path` of `object` (a DataVolume's storage or pvc, a claim's spec). */
function factsOfStorage(storage: StorageSpec | undefined, what: string, locate: Locator, path: YamlPath, bag: DiagnosticBag): StorageFacts {
  return {
    size: diskSize(storage?.resources?.requests?.storage, what, () => locate([...path, 'resources', 'requests', 'storage']), bag),
    storageClassName: storageClassName(storage?.storageClassName, what, () => locate([...path, 'storageClassName']), bag),
    // The source manifest's schema checked both against the closed sets (source-manifest.schema.json).
    volumeMode: storage?.volumeMode as VolumeMode | undefined,
    // An empty list states nothing: CDI's StorageProfile fills it in (the `storage` API), as for no list at all.
    accessModes: storage?.accessModes?.length ? (storage.accessModes as readonly AccessMode[]) : undefined,
  };
}

function factsOfDataVolume(dv: DataVolumeManifest, what: string, locate: Locator, path: YamlPath, bag: DiagnosticBag): StorageFacts {
  const api = dv.spec?.storage ? 'storage' : 'pvc';
  return factsOfStorage(dv.spec?.[api], what, locate, [...path, 'spec', api], bag);
}

/** What the source manifest says about the disk behind `claimName`: every layer, most specific first. */
function sourceStorageLayers(entry: MigrationEntry, claimName: string, bag: DiagnosticBag): StorageFacts[] {
  const vm = entry.source.virtualMachine;
  const inNamespace = <T extends { object: { metadata?: { name?: string; namespace?: string } } }>(items: readonly T[]) =>
    items.find((i) => i.object.metadata?.name === claimName && (i.object.metadata.namespace ?? entry.source.namespace) === entry.source.namespace);
  const templateIndex = vm.object.spec?.dataVolumeTemplates?.findIndex((t) => t.metadata?.name === claimName) ?? -1;
  const template = vm.object.spec?.dataVolumeTemplates?.[templateIndex];
  const dataVolume = inNamespace(entry.source.manifest.dataVolumes);
  const claim = inNamespace(entry.source.manifest.claims);
  const capacity = claim?.object.status?.capacity?.storage;
  return [
    template && factsOfDataVolume(template, `dataVolumeTemplate "${claimName}"`, vm.locate, ['spec', 'dataVolumeTemplates', templateIndex], bag),
    dataVolume && factsOfDataVolume(dataVolume.object, `DataVolume "${claimName}"`, dataVolume.locate, [], bag),
    claim && factsOfStorage(claim.object.spec, `PersistentVolumeClaim "${claimName}"`, claim.locate, ['spec'], bag),
    // A bound claim's real size; the request is what was asked for.
    claim && capacity !== undefined
      ? { size: diskSize(capacity, `PersistentVolumeClaim "${claimName}" status.capacity`, () => claim.locate(['status', 'capacity', 'storage']), bag) }
      : undefined,
  ].filter((f): f is StorageFacts => f !== undefined);
}

/**
 * The source disk's size: the largest size any layer knows, capacity or request, whatever the volume mode. A Block
 * volume is copied byte for byte, and libvirt refuses a target smaller than the source ("destination volume is
 * smaller than the source volume", `setMigrationResult` in KubeVirt's `live-migration-source.go`; Forklift's
 * `Builder.requestSize` takes the capacity of Block claims). A Filesystem volume's image grows with its claim too:
 * CDI's importer sizes it by the space it finds (`DataProcessor.getUsableSpace`), which a larger claim gives.
 */
function sourceSize(layers: readonly StorageFacts[]): Quantity | undefined {
  // Every size here is a positive quantity: diskSize kept only those.
  return largestQuantity(layers.flatMap((l) => (l.size === undefined ? [] : [parseQuantity(l.size)!])));
}

/** What decides whether a Filesystem target needs room for CDI's filesystem overhead. */
interface TargetFacts {
  readonly sourceVolumeMode?: string;
  readonly volumeMode?: string;
  readonly sourceClass?: string;
  readonly storageClassName?: string;
  readonly crossCluster: boolean;
}

/**
 * A target that may be Filesystem holds `disk.img`, which CDI makes smaller than the claim (`GetUsableSpace`), and
 * QEMU needs the image at least as large as the source's. Same class, same mode, same cluster: the source's image
 * was sized by the same rule and fits. Otherwise (a Block source, another class, another cluster's CDIConfig, or a
 * mode nobody states on one side) the target gets CDI's overhead on top. KubeVirt's own Block -> Filesystem test
 * oversizes its target for the same reason (`tests/migration/namespace.go`).
 */
function needsFilesystemOverhead(target: TargetFacts): boolean {
  if (target.volumeMode === 'Block') return false;
  return target.sourceVolumeMode === 'Block' || target.sourceVolumeMode !== target.volumeMode || target.sourceClass !== target.storageClassName || target.crossCluster;
}

/** The overhead CDI applies to the target's class: the class's own value, else the global one (CDI's `GetFilesystemOverheadForStorageClass`). */
function overheadOf(storageClassName: string | undefined, storageClasses: LoadedConfig['storageClasses']): string {
  return (storageClassName !== undefined ? storageClasses.get(storageClassName)?.filesystemOverhead : undefined) ?? DEFAULT_FILESYSTEM_OVERHEAD;
}

function claimNameOf(volume: Volume): string | undefined {
  return volume.dataVolume?.name ?? volume.persistentVolumeClaim?.claimName;
}

/**
 * Plans the destination disks of one migration and checks that every volume can move: PVC/DataVolume disks get a
 * blank DataVolume; generated volumes travel with the migration; everything else is an error naming the volume.
 */
export function planDisks(
  entry: MigrationEntry,
  storage: Pick<LoadedConfig, 'storageClassMap' | 'storageClasses'>,
  bag: DiagnosticBag,
): DiskPlan[] {
  const { storageClassMap, storageClasses } = storage;
  const vm: Located<VirtualMachineManifest> = entry.source.virtualMachine;
  const spec = vm.object.spec?.template?.spec;
  const volumes = spec?.volumes ?? [];
  const disks = spec?.domain?.devices?.disks ?? [];
  const filesystems = spec?.domain?.devices?.filesystems ?? [];
  const plans: DiskPlan[] = [];

  volumes.forEach((volume, index) => {
    // Positions cost a second parse of the manifest: only when there is something to report.
    const at = () => vm.locate(['spec', 'template', 'spec', 'volumes', index]);
    const label = `volume "${volume.name}"`;
    const disk = disks.find((d) => d.name === volume.name);
    if (filesystems.some((f) => f.name === volume.name)) {
      bag.error(`${label} is shared with the guest as a virtiofs filesystem, which decentralized live migration does not support`, at());
      return;
    }
    const claimName = claimNameOf(volume);
    if (claimName === undefined) {
      const kind = Object.keys(volume).find((k) => k !== 'name');
      if (kind === undefined || !GENERATED_VOLUME_SOURCES.has(kind)) {
        bag.error(`${label}: volume source "${kind ?? 'none'}" cannot be moved by decentralized live migration`, at(), 'only PVC and DataVolume disks are copied; generated volumes (cloud-init, containerDisk, configMap, secret, ...) travel with the VM');
      }
      return;
    }
    if (disk?.cdrom !== undefined) {
      bag.error(`${label} is a cdrom: a blank copy would give the guest an empty drive`, at(), 'eject the cdrom (remove the disk and volume) before migrating');
      return;
    }
    if (disk?.lun !== undefined) {
      bag.error(`${label} is a LUN disk, which decentralized live migration does not support`, at());
      return;
    }
    if (disk?.shareable) {
      bag.error(`${label} is shareable, which decentralized live migration does not support`, at());
      return;
    }
    const override = entry.disks.get(volume.name) ?? {};
    const errors = bag.errors.length;
    diskSize(override.size, `disks.${volume.name}`, () => entry.locate(['disks', volume.name, 'size']), bag);
    const layers = sourceStorageLayers(entry, claimName, bag);
    if (bag.errors.length > errors) return;
    const first = <K extends keyof StorageFacts>(key: K): StorageFacts[K] => layers.find((l) => l[key] !== undefined)?.[key];
    const sourceVolumeMode = first('volumeMode');
    const source = sourceSize(layers);
    const what = `${volume.dataVolume ? 'DataVolume' : 'PersistentVolumeClaim'} "${claimName}"`;
    if (override.size === undefined && source === undefined) {
      bag.error(
        `${label}: the size of ${what} is unknown`,
        at(),
        `add the DataVolume or PVC to ${entry.source.manifest.file} (\`kubectl get dv,pvc ${claimName} -n ${entry.source.namespace} -o yaml\`), or set \`disks: { ${volume.name}: { size: 30Gi } }\` on this migration`,
      );
      return;
    }
    const sourceClass = first('storageClassName');
    const mapping = sourceClass !== undefined ? storageClassMap.get(sourceClass) : undefined;
    const storageClassName = override.storageClass ?? entry.destination.storageClass ?? mapping?.storageClass ?? sourceClass;
    const volumeMode = override.volumeMode ?? mapping?.volumeMode ?? sourceVolumeMode;
    const crossCluster = (entry.source.cluster ?? '') !== (entry.destination.cluster ?? '');
    // The smallest target that holds the source: with CDI's overhead on top where a Filesystem target needs it.
    const filesystemOverhead = needsFilesystemOverhead({ sourceVolumeMode, volumeMode, sourceClass, storageClassName, crossCluster }) ? overheadOf(storageClassName, storageClasses) : undefined;
    const minimum = source && (filesystemOverhead === undefined ? source.text : filesystemRequestFor(quantityValue(source), filesystemOverhead));
    const tooSmall = override.size === undefined ? undefined : diskSizeRefusal(override.size, source?.text, minimum);
    if (tooSmall) {
      bag.error(
        `disks.${volume.name}.size ${tooSmall.message}`,
        entry.locate(['disks', volume.name, 'size']),
        `${tooSmall.hint}${sourceVolumeMode === 'Block' ? ' (a Block volume: the largest size the source knows counts)' : ''}, or remove the override`,
      );
      return;
    }
    plans.push({
      volumeName: volume.name,
      dataVolumeName: claimName,
      size: (override.size ?? minimum)!,
      storageClassName,
      volumeMode,
      accessModes: override.accessModes ?? mapping?.accessModes ?? first('accessModes'),
      sourceVolumeMode,
      usePopulator: (storageClassName !== undefined ? storageClasses.get(storageClassName)?.usePopulator : undefined) ?? true,
      filesystemOverhead,
    });
  });

  for (const volumeName of entry.disks.keys()) {
    const volume = volumes.find((v) => v.name === volumeName);
    if (!volume || claimNameOf(volume) === undefined) {
      const copied = volumes.filter((v) => claimNameOf(v) !== undefined).map((v) => v.name);
      bag.error(
        `disks.${volumeName}: VM "${entry.vm}" has no PVC or DataVolume volume "${volumeName}"`,
        entry.locate(['disks', volumeName], { key: true }),
        copied.length > 0 ? `its copied volumes are: ${copied.join(', ')}` : 'this VM has no disks to copy',
      );
    }
  }
  return plans;
}
