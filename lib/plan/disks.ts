import type { Located } from '../config/source-manifest.ts';
import type { MigrationEntry } from '../config/load-config.ts';
import type { DiagnosticBag } from '../diagnostics.ts';
import type { DataVolumeManifest, StorageSpec, VirtualMachineManifest, Volume } from '../kubevirt/api.ts';

/** A destination disk to pre-create for one PVC- or DataVolume-backed volume of the source VM. */
export interface DiskPlan {
  /** The VM's volume name (kept identical at the destination). */
  readonly volumeName: string;
  /** Name of the blank DataVolume: the source DataVolume or claim name, so the receiver's volumes stay unchanged. */
  readonly dataVolumeName: string;
  /** Kubernetes quantity, at least the source disk's size. */
  readonly size: string;
  /** Absent: the destination's default storage class. */
  readonly storageClassName?: string;
  readonly volumeMode?: string;
  readonly accessModes?: readonly string[];
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
  readonly volumeMode?: string;
  readonly accessModes?: readonly string[];
}

function quantity(value: string | number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

function factsOfStorage(storage: StorageSpec | undefined): StorageFacts {
  return {
    size: quantity(storage?.resources?.requests?.storage),
    storageClassName: storage?.storageClassName,
    volumeMode: storage?.volumeMode,
    accessModes: storage?.accessModes,
  };
}

function factsOfDataVolume(dv: DataVolumeManifest): StorageFacts {
  return factsOfStorage(dv.spec?.storage ?? dv.spec?.pvc);
}

/** What the source manifest says about the disk behind `claimName`: dataVolumeTemplate, then DataVolume, then PVC. */
function sourceStorageFacts(entry: MigrationEntry, claimName: string): StorageFacts {
  const vm = entry.source.virtualMachine.object;
  const inNamespace = <T extends { object: { metadata?: { name?: string; namespace?: string } } }>(items: readonly T[]) =>
    items.find((i) => i.object.metadata?.name === claimName && (i.object.metadata.namespace ?? entry.source.namespace) === entry.source.namespace);
  const template = vm.spec?.dataVolumeTemplates?.find((t) => t.metadata?.name === claimName);
  const dataVolume = inNamespace(entry.source.manifest.dataVolumes);
  const claim = inNamespace(entry.source.manifest.claims)?.object;
  const fromClaim: StorageFacts | undefined = claim && {
    ...factsOfStorage(claim.spec),
    // Block volumes must match the source byte for byte: their real capacity; filesystem volumes: the request.
    size:
      claim.spec?.volumeMode === 'Block'
        ? quantity(claim.status?.capacity?.storage ?? claim.spec.resources?.requests?.storage)
        : quantity(claim.spec?.resources?.requests?.storage),
  };
  const layers = [template && factsOfDataVolume(template), dataVolume && factsOfDataVolume(dataVolume.object), fromClaim].filter(
    (f): f is StorageFacts => f !== undefined,
  );
  const first = <K extends keyof StorageFacts>(key: K): StorageFacts[K] => layers.find((l) => l[key] !== undefined)?.[key];
  return { size: first('size'), storageClassName: first('storageClassName'), volumeMode: first('volumeMode'), accessModes: first('accessModes') };
}

function claimNameOf(volume: Volume): string | undefined {
  return volume.dataVolume?.name ?? volume.persistentVolumeClaim?.claimName;
}

/**
 * Plans the destination disks of one migration and checks that every volume can move: PVC/DataVolume disks get a
 * blank DataVolume; generated volumes travel with the migration; everything else is an error naming the volume.
 */
export function planDisks(entry: MigrationEntry, storageClassMap: Readonly<Record<string, string>>, bag: DiagnosticBag): DiskPlan[] {
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
    const override = entry.disks[volume.name] ?? {};
    const facts = sourceStorageFacts(entry, claimName);
    const size = override.size ?? facts.size;
    if (size === undefined) {
      bag.error(
        `${label}: the size of ${volume.dataVolume ? 'DataVolume' : 'PersistentVolumeClaim'} "${claimName}" is unknown`,
        at(),
        `add the DataVolume or PVC to ${entry.source.manifest.file} (\`kubectl get dv,pvc ${claimName} -n ${entry.source.namespace} -o yaml\`), or set \`disks: { ${volume.name}: { size: 30Gi } }\` on this migration`,
      );
      return;
    }
    const sourceClass = facts.storageClassName;
    plans.push({
      volumeName: volume.name,
      dataVolumeName: claimName,
      size,
      storageClassName:
        override.storageClass ?? entry.destination.storageClass ?? (sourceClass !== undefined ? (storageClassMap[sourceClass] ?? sourceClass) : undefined),
      volumeMode: facts.volumeMode,
      accessModes: facts.accessModes,
    });
  });

  for (const volumeName of Object.keys(entry.disks)) {
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
