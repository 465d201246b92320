import { Chart, type ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  RESTORE_RUN_STRATEGY_ANNOTATION,
  type InstancetypeMatcher,
  type RunStrategy,
  type VirtualMachineInstanceTemplate,
} from '../kubevirt/api.ts';
import { dnsLabelRefusal, runStrategyRefusal, type RestoreRunStrategy } from '../rules/migration.ts';
import { field, throwIfRefused } from './refusals.ts';
import { SyncWave } from './argocd-annotations.ts';
import { BlankDataVolume } from './blank-data-volume.ts';
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
  readonly restoreRunStrategy: RestoreRunStrategy;
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
   * DataVolumes and claims the template's volumes name that exist at the destination without a
   * {@link BlankDataVolume} in this app (created some other way).
   * @default - none: every PVC and DataVolume volume needs a BlankDataVolume of that name in the VM's namespace
   */
  readonly externalVolumes?: readonly string[];
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
    throwIfRefused(this, 'ReceiverVirtualMachine', [
      ...field('name', dnsLabelRefusal(props.name)),
      ...field('namespace', props.namespace === undefined ? undefined : dnsLabelRefusal(props.namespace)),
      ...field('restoreRunStrategy', runStrategyRefusal(props.restoreRunStrategy)),
    ]);
    this.name = props.name;
    // Checked at synthesis, when every BlankDataVolume of the app exists.
    this.node.addValidation({ validate: () => this.unprovidedVolumes(props) });
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

  /**
   * The volumes whose disk nothing provides: the target pod of the migration would wait for a claim that never comes.
   * A blank DataVolume of the same name in the same namespace provides a `dataVolume` or `persistentVolumeClaim`
   * volume (CDI names the claim after the DataVolume).
   */
  private unprovidedVolumes(props: ReceiverVirtualMachineProps): string[] {
    const namespace = props.namespace ?? Chart.of(this).namespace;
    const provided = new Set(
      this.node.root.node
        .findAll()
        .filter((c): c is BlankDataVolume => c instanceof BlankDataVolume && (c.namespace ?? Chart.of(c).namespace) === namespace)
        .map((disk) => disk.name),
    );
    for (const name of props.externalVolumes ?? []) provided.add(name);
    return (props.template.spec?.volumes ?? []).flatMap((volume) => {
      const claim = volume.dataVolume?.name ?? volume.persistentVolumeClaim?.claimName;
      return claim === undefined || provided.has(claim)
        ? []
        : [`volume "${volume.name}" uses "${claim}", which no BlankDataVolume in namespace "${namespace ?? '(none)'}" provides: add one named "${claim}", or list it in externalVolumes`];
    });
  }
}
