import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { INSTANCETYPE_KINDS } from '../kubevirt/api.ts';
import { isDnsSubdomain } from '../kubernetes/validation.ts';
import { KEEP_DATA, SyncWave, withSyncWave } from './argocd-annotations.ts';
import { CarriedApiObject } from './carried-api-object.ts';

const NAMESPACED_KINDS: readonly string[] = [INSTANCETYPE_KINDS.instancetype.namespaced, INSTANCETYPE_KINDS.preference.namespaced];

/** Properties of an {@link InstancetypeCopy}. */
export interface InstancetypeCopyProps {
  /** `VirtualMachineInstancetype` or `VirtualMachinePreference`. */
  readonly kind: string;
  /** The source definition's `apiVersion`, e.g. `instancetype.kubevirt.io/v1beta1`. */
  readonly apiVersion: string;
  /** Name the receiver's `spec.instancetype.name` / `spec.preference.name` gives. */
  readonly name: string;
  /**
   * The destination namespace, beside the receiver.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /** The source definition's `spec`, unchanged: the receiver must get the same CPU, memory and devices. */
  readonly spec: unknown;
  /**
   * Labels.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations (besides Argo CD's sync wave and `Prune=false,Delete=false`).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Argo CD sync wave.
   * @default SyncWave.INSTANCETYPES
   */
  readonly syncWave?: number;
}

/**
 * A copy of the source namespace's VirtualMachineInstancetype or VirtualMachinePreference in the destination
 * namespace. KubeVirt looks a namespaced one up in the VM's own namespace (`pkg/instancetype/find`); without it the
 * receiver never gets an instance. Argo CD never prunes it: the migrated VM keeps referring to it.
 */
export class InstancetypeCopy extends Construct {
  /** The generated copy. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: InstancetypeCopyProps) {
    super(scope, id);
    if (!NAMESPACED_KINDS.includes(props.kind)) {
      throw new Error(`InstancetypeCopy ${props.name}: kind must be ${NAMESPACED_KINDS.join(' or ')}, not "${props.kind}" (cluster-scoped kinds are not copied)`);
    }
    if (!isDnsSubdomain(props.name)) throw new Error(`InstancetypeCopy: name "${props.name}" is not a DNS-1123 subdomain`);
    this.apiObject = new CarriedApiObject(this, 'Resource', {
      apiVersion: props.apiVersion,
      kind: props.kind,
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: props.labels && { ...props.labels },
        annotations: withSyncWave({ ...props.annotations, ...KEEP_DATA }, props.syncWave ?? SyncWave.INSTANCETYPES),
      },
      spec: props.spec,
    });
  }
}
