import { Construct } from 'constructs';
import { DataVolume, DataVolumeSpecStorageResourcesRequests } from '../../imports/cdi-dv-cdi.kubevirt.io.ts';
import { BIND_IMMEDIATE_ANNOTATION, USE_POPULATOR_ANNOTATION } from '../kubevirt/api.ts';
import { accessModesRefusal, diskSizeRefusal, dnsLabelRefusal, dnsSubdomainRefusal, volumeModeRefusal, type AccessMode, type VolumeMode } from '../rules/migration.ts';
import { field, throwIfRefused } from './refusals.ts';
import { KEEP_DATA, SyncWave, withSyncWave } from './argocd-annotations.ts';

/** Properties of a {@link BlankDataVolume}. */
export interface BlankDataVolumeProps {
  /** Name of the DataVolume; keep the source DataVolume's or claim's name so the receiver's volumes stay unchanged. */
  readonly name: string;
  /**
   * Namespace of the DataVolume.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /** Requested size, a Kubernetes quantity at least the source disk's size (e.g. `30Gi`). */
  readonly size: string;
  /**
   * The source disk's size (the largest of its capacity and request), or more for a Filesystem disk that needs room for
   * CDI's filesystem overhead. A smaller `size` is refused: KubeVirt fails the migration ("destination volume is
   * smaller than the source volume").
   * @default - not checked
   */
  readonly sourceSize?: string;
  /**
   * Storage class of the new disk.
   * @default - none: the destination cluster's default storage class
   */
  readonly storageClassName?: string;
  /**
   * `Block` or `Filesystem`.
   * @default - none: CDI's storage profile for the class decides
   */
  readonly volumeMode?: VolumeMode;
  /**
   * Access modes of the new disk: at least one, none twice.
   * @default - none: CDI's storage profile for the class decides
   */
  readonly accessModes?: readonly AccessMode[];
  /**
   * Annotate with `cdi.kubevirt.io/storage.usePopulator: "true"`, which makes CDI fill the disk through a volume
   * populator whatever its own check says (`shouldUseCDIPopulator`: by default only for storage classes with a CSI
   * driver). Turn it off for a storage class without a CSI driver: the DataVolume then asks CDI to bind it at once
   * (`cdi.kubevirt.io/storage.bind.immediate.requested`, as Forklift's `targetDataVolume` does), so CDI's legacy blank
   * importer has finished before the receiver's pod starts, instead of waiting on a WaitForFirstConsumer class for
   * that pod and racing virt-launcher's own `disk.img`.
   * @default true
   */
  readonly usePopulator?: boolean;
  /**
   * Labels of the DataVolume.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations added to the DataVolume (besides the populator annotation and Argo CD's sync wave and
   * `Prune=false,Delete=false`).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Argo CD sync wave.
   * @default SyncWave.DISKS
   */
  readonly syncWave?: number;
}

/**
 * An empty CDI DataVolume at the destination that a decentralized live migration copies one source disk into.
 * It is filled through a volume populator (`cdi.kubevirt.io/storage.usePopulator`), so its claim binds when the
 * migration's target pod starts, and asks for no preallocation (the migration writes every block). Argo CD never prunes or deletes it: it holds the VM's data once migrated.
 *
 * @see https://kubevirt.io/user-guide/compute/decentralized_live_migration/
 */
export class BlankDataVolume extends Construct {
  /** The generated DataVolume. */
  public readonly apiObject: DataVolume;
  /** Name of the DataVolume (and of the claim CDI creates for it). */
  public readonly name: string;
  /** Its namespace, when given (else the chart's). */
  public readonly namespace?: string;

  public constructor(scope: Construct, id: string, props: BlankDataVolumeProps) {
    super(scope, id);
    throwIfRefused(this, 'BlankDataVolume', blankDataVolumeRefusals(props));
    this.name = props.name;
    this.namespace = props.namespace;
    // CDI's `IsWaitForFirstConsumerEnabled`: the immediate-binding annotation makes the importer skip the wait.
    const populator: Record<string, string> = props.usePopulator === false ? { [BIND_IMMEDIATE_ANNOTATION]: 'true' } : { [USE_POPULATOR_ANNOTATION]: 'true' };
    this.apiObject = new DataVolume(this, 'Resource', {
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: props.labels && { ...props.labels },
        annotations: withSyncWave({ ...props.annotations, ...KEEP_DATA, ...populator }, props.syncWave ?? SyncWave.DISKS),
      },
      spec: {
        source: { blank: {} },
        // CDI's `GetPreallocation`: the DataVolume's own value over CDIConfig's. With global preallocation a blank
        // disk is zero-filled (`createBlankImage`) while the target pod waits, and KubeVirt fails a pod pending too long.
        preallocation: false,
        storage: {
          storageClassName: props.storageClassName,
          volumeMode: props.volumeMode,
          accessModes: props.accessModes && [...props.accessModes],
          resources: { requests: { storage: DataVolumeSpecStorageResourcesRequests.fromString(props.size) } },
        },
      },
    });
  }
}

/** The checks of one disk, its props named with `prefix` (`disks[0].`). */
export function diskRefusals(props: Omit<BlankDataVolumeProps, 'namespace'>, prefix = '') {
  return [
    ...field(`${prefix}name`, dnsSubdomainRefusal(props.name)),
    ...field(`${prefix}size`, diskSizeRefusal(props.size, props.sourceSize)),
    ...field(`${prefix}sourceSize`, props.sourceSize === undefined ? undefined : diskSizeRefusal(props.sourceSize)),
    ...field(`${prefix}storageClassName`, props.storageClassName === undefined ? undefined : dnsSubdomainRefusal(props.storageClassName)),
    ...field(`${prefix}volumeMode`, props.volumeMode === undefined ? undefined : volumeModeRefusal(props.volumeMode)),
    ...field(`${prefix}accessModes`, props.accessModes === undefined ? undefined : accessModesRefusal(props.accessModes)),
  ];
}

function blankDataVolumeRefusals(props: BlankDataVolumeProps) {
  return [...field('namespace', props.namespace === undefined ? undefined : dnsLabelRefusal(props.namespace)), ...diskRefusals(props)];
}
