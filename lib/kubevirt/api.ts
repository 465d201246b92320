// The slice of the KubeVirt and CDI APIs that kvmigrate reads from a source VM manifest, with the JSON field names
// as they appear in YAML. Everything we only carry over stays `unknown`, so it is copied, never reinterpreted.

/** KubeVirt's run strategies (`pkg/apis/core/v1` constants; the CRD declares a plain string). */
export const RUN_STRATEGIES = ['Always', 'RerunOnFailure', 'Manual', 'Halted', 'Once', 'WaitAsReceiver'] as const;
export type RunStrategy = (typeof RUN_STRATEGIES)[number];

export function isRunStrategy(value: unknown): value is RunStrategy {
  return typeof value === 'string' && (RUN_STRATEGIES as readonly string[]).includes(value);
}

/**
 * The group, version and kind of the VirtualMachines kvmigrate emits: the imported class's `GVK` (a test holds them
 * equal), without importing that class, whose typed converters (44 KB) every start would parse for two strings.
 */
export const VIRTUAL_MACHINE_GVK = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' } as const;

/** Annotation KubeVirt copies into the receiver's `spec.runStrategy` when the migration succeeds. */
export const RESTORE_RUN_STRATEGY_ANNOTATION = 'kubevirt.io/restore-run-strategy';
/** Makes CDI fill the blank disk through a volume populator, so the target pod can bind it. */
export const USE_POPULATOR_ANNOTATION = 'cdi.kubevirt.io/storage.usePopulator';
/** Makes CDI's importer run without waiting for the claim's first consumer (`IsWaitForFirstConsumerEnabled`). */
export const BIND_IMMEDIATE_ANNOTATION = 'cdi.kubevirt.io/storage.bind.immediate.requested';

/** KubeVirt's namespace upstream (`openshift-cnv` on OpenShift). */
export const DEFAULT_KUBEVIRT_NAMESPACE = 'kubevirt';

/** Name of the synchronization controller's Deployment and leader-election Lease, in KubeVirt's namespace. */
export const SYNC_CONTROLLER_LEASE = 'virt-synchronization-controller';

/** The synchronization controller's default port (`KubeVirt.spec.synchronizationPort`). */
export const DEFAULT_SYNCHRONIZATION_PORT = 9185;

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
  readonly [field: string]: unknown;
}

export interface StorageSpec {
  readonly storageClassName?: string;
  readonly volumeMode?: string;
  readonly accessModes?: readonly string[];
  readonly resources?: { readonly requests?: { readonly storage?: string | number } };
}

export interface DataVolumeManifest extends KubeObject {
  readonly spec?: { readonly storage?: StorageSpec; readonly pvc?: StorageSpec; readonly [field: string]: unknown };
}

export interface PersistentVolumeClaimManifest extends KubeObject {
  readonly spec?: StorageSpec;
  readonly status?: { readonly capacity?: { readonly storage?: string | number } };
}

export interface Volume {
  readonly name: string;
  readonly dataVolume?: { readonly name: string };
  readonly persistentVolumeClaim?: { readonly claimName: string };
  readonly cloudInitNoCloud?: CloudInitSource;
  readonly cloudInitConfigDrive?: CloudInitSource;
  readonly containerDisk?: { readonly imagePullSecret?: string };
  readonly secret?: { readonly secretName?: string };
  readonly configMap?: { readonly name?: string };
  readonly serviceAccount?: { readonly serviceAccountName?: string };
  readonly sysprep?: SysprepSource;
  readonly [source: string]: unknown;
}

/** A sysprep volume: its answer files come from a ConfigMap or a Secret. */
export interface SysprepSource {
  readonly configMap?: { readonly name?: string };
  readonly secret?: { readonly name?: string };
}

export interface CloudInitSource {
  readonly userData?: string;
  readonly userDataBase64?: string;
  readonly userDataSecretRef?: { readonly name?: string };
  readonly networkDataSecretRef?: { readonly name?: string };
}

export interface Disk {
  readonly name: string;
  readonly cdrom?: unknown;
  readonly lun?: unknown;
  readonly disk?: unknown;
  readonly shareable?: boolean;
  readonly [field: string]: unknown;
}

export interface VirtualMachineInstanceTemplate {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly domain?: {
      readonly devices?: {
        readonly disks?: readonly Disk[];
        readonly filesystems?: readonly { readonly name: string; readonly virtiofs?: unknown }[];
        readonly interfaces?: readonly { readonly name: string; readonly macAddress?: string; readonly [binding: string]: unknown }[];
        readonly [device: string]: unknown;
      };
      /** `uuid` is the guest's SMBIOS UUID; KubeVirt's VM mutator makes up one when it is missing. */
      readonly firmware?: { readonly uuid?: string; readonly [field: string]: unknown };
      readonly [field: string]: unknown;
    };
    readonly volumes?: readonly Volume[];
    readonly networks?: readonly { readonly name: string; readonly multus?: { readonly networkName?: string }; readonly [source: string]: unknown }[];
    readonly accessCredentials?: readonly unknown[];
    readonly [field: string]: unknown;
  };
}

/** A namespaced instancetype or preference definition, as `kubectl get vminstancetype,vmpref -o yaml` writes it. */
export interface InstancetypeManifest extends KubeObject {
  readonly spec?: unknown;
}

/**
 * The kinds an instancetype or preference matcher can name. KubeVirt compares `kind` lowercased against the singular
 * and plural resource names, and an empty kind means the cluster-scoped one (`pkg/instancetype/find/spec.go`
 * `specFinder.Find`, `pkg/instancetype/preference/find/spec.go`).
 */
export const INSTANCETYPE_KINDS = {
  instancetype: { namespaced: 'VirtualMachineInstancetype', cluster: 'VirtualMachineClusterInstancetype' },
  preference: { namespaced: 'VirtualMachinePreference', cluster: 'VirtualMachineClusterPreference' },
} as const;

/** A reference to an instancetype or preference; `revisionName` pins a ControllerRevision of the source cluster. */
export interface InstancetypeMatcher {
  readonly name?: string;
  readonly kind?: string;
  readonly revisionName?: string;
  readonly [field: string]: unknown;
}

export interface VirtualMachineManifest extends KubeObject {
  readonly spec?: {
    readonly running?: boolean;
    readonly runStrategy?: string;
    readonly template?: VirtualMachineInstanceTemplate;
    readonly dataVolumeTemplates?: readonly DataVolumeManifest[];
    readonly instancetype?: InstancetypeMatcher;
    readonly preference?: InstancetypeMatcher;
    readonly [field: string]: unknown;
  };
}
