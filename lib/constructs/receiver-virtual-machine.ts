import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  RESTORE_RUN_STRATEGY_ANNOTATION,
  type InstancetypeMatcher,
  type RunStrategy,
  type VirtualMachineInstanceTemplate,
} from '../kubevirt/api.ts';
import { SyncWave } from './argocd-annotations.ts';
import { virtualMachineObject } from './virtual-machine-object.ts';

/** Properties of a {@link ReceiverVirtualMachine}. */
export interface ReceiverVirtualMachineProps {
  /** Name of the VM: identical to the source VM's. */
  readonly name: string;
  /**
   * Namespace of the VM.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * The source VM's `spec.template`, as it appears in YAML. It is written unchanged: MAC addresses, firmware UUID and
   * serial, machine type, CPU, memory, networks and volume names must be identical at both ends.
   */
  readonly template: VirtualMachineInstanceTemplate;
  /** What KubeVirt sets `spec.runStrategy` to once the VM has arrived: the source VM's run strategy. */
  readonly restoreRunStrategy: RunStrategy;
  /**
   * Whether the migration has succeeded (the cutover commit): the VM is then written with its final run strategy, as
   * KubeVirt has rewritten it, so Git and the cluster agree.
   * @default false - the VM waits as a receiver
   */
  readonly arrived?: boolean;
  /**
   * The source's instancetype (without `revisionName`, which names a revision of the source cluster).
   * @default - none
   */
  readonly instancetype?: InstancetypeMatcher;
  /**
   * The source's preference (without `revisionName`).
   * @default - none
   */
  readonly preference?: InstancetypeMatcher;
  /**
   * Labels of the VM.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations added to the VM (besides the restore annotation and Argo CD's sync wave and `Prune=false,Delete=false`).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Argo CD sync wave.
   * @default SyncWave.RECEIVER
   */
  readonly syncWave?: number;
}

/**
 * The VirtualMachine that receives a decentralized live migration: the source VM's template, parked with
 * `runStrategy: WaitAsReceiver`. KubeVirt creates its instance in phase `WaitingForSync`, and when the migration
 * succeeds copies the `kubevirt.io/restore-run-strategy` annotation into `spec.runStrategy`.
 */
export class ReceiverVirtualMachine extends Construct {
  /** The generated VirtualMachine. */
  public readonly apiObject: ApiObject;
  /** Name of the VM, which is also the name of the instance the migrations refer to. */
  public readonly name: string;

  public constructor(scope: Construct, id: string, props: ReceiverVirtualMachineProps) {
    super(scope, id);
    if (props.restoreRunStrategy === 'WaitAsReceiver' || props.restoreRunStrategy === 'Halted') {
      throw new Error(`ReceiverVirtualMachine ${props.name}: restoreRunStrategy must be a running strategy, not ${props.restoreRunStrategy}`);
    }
    this.name = props.name;
    this.apiObject = virtualMachineObject(
      this,
      {
        name: props.name,
        namespace: props.namespace,
        labels: props.labels,
        annotations: { ...props.annotations, [RESTORE_RUN_STRATEGY_ANNOTATION]: props.restoreRunStrategy },
        syncWave: props.syncWave ?? SyncWave.RECEIVER,
      },
      {
        runStrategy: props.arrived ? props.restoreRunStrategy : ('WaitAsReceiver' satisfies RunStrategy),
        instancetype: props.instancetype,
        preference: props.preference,
        template: props.template,
      },
    );
  }
}
