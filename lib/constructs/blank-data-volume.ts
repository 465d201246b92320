import { Construct } from 'constructs';
import { DataVolume, DataVolumeSpecStorageResourcesRequests } from '../../imports/cdi-dv-cdi.kubevirt.io.ts';
import { USE_POPULATOR_ANNOTATION } from '../kubevirt/api.ts';
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
   * Storage class of the new disk.
   * @default - none: the destination cluster's default storage class
   */
  readonly storageClassName?: string;
  /**
   * `Block` or `Filesystem`.
   * @default - none: CDI's storage profile for the class decides
   */
  readonly volumeMode?: string;
  /**
   * Access modes of the new disk.
   * @default - none: CDI's storage profile for the class decides
   */
  readonly accessModes?: readonly string[];
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
 * migration's target pod starts. Argo CD never prunes or deletes it: it holds the VM's data once migrated.
 *
 * @see https://kubevirt.io/user-guide/compute/decentralized_live_migration/
 */
export class BlankDataVolume extends Construct {
  /** The generated DataVolume. */
  public readonly apiObject: DataVolume;
  /** Name of the DataVolume (and of the claim CDI creates for it). */
  public readonly name: string;

  public constructor(scope: Construct, id: string, props: BlankDataVolumeProps) {
    super(scope, id);
    this.name = props.name;
    this.apiObject = new DataVolume(this, 'Resource', {
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: props.labels && { ...props.labels },
        annotations: withSyncWave({ ...props.annotations, ...KEEP_DATA, [USE_POPULATOR_ANNOTATION]: 'true' }, props.syncWave ?? SyncWave.DISKS),
      },
      spec: {
        source: { blank: {} },
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
