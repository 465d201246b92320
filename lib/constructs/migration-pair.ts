import { Construct } from 'constructs';
import { VirtualMachineInstanceMigration } from '../../imports/kubevirt-vmim-kubevirt.io.ts';
import { connectUrlRefusal, dnsLabelRefusal, dnsSubdomainRefusal, migrationIdRefusal, sameNamespaceRefusal } from '../rules/migration.ts';
import { field, throwIfRefused } from './refusals.ts';
import { migrationObjectNames } from '../names.ts';
import { remoteScope } from './remote-scope.ts';
import { ONE_SHOT_MIGRATION, SyncWave, withSyncWave } from './argocd-annotations.ts';

/** Properties of a {@link MigrationPair}. */
export interface MigrationPairProps {
  /** Name of the VM instance being moved (the VM name, identical at both ends). */
  readonly vmiName: string;
  /** The ID that pairs the two migration objects. A migration is one-shot: a retry needs a new ID. */
  readonly migrationID: string;
  /** Namespace of the receiver VM, where the receive migration goes. */
  readonly destinationNamespace: string;
  /** Namespace of the source VM, where the sendTo migration goes. */
  readonly sourceNamespace: string;
  /**
   * Address of the destination's synchronization controller (`host:port`, `[ipv6]:port`, no scheme). When set, the
   * sendTo migration is emitted too; otherwise it is left to the post-sync hook, which discovers the address.
   * @default - no sendTo migration
   */
  readonly connectURL?: string;
  /**
   * Name of the receive migration.
   * @default - `<vmiName>-receive-<hash of migrationID>`
   */
  readonly receiveName?: string;
  /**
   * Name of the sendTo migration.
   * @default - `<vmiName>-send-<hash of migrationID>`
   */
  readonly sendName?: string;
  /**
   * Where the sendTo migration is defined, for a source in another cluster (another chart or app).
   * @default - this construct: both ends in one chart
   */
  readonly sourceScope?: Construct;
  /**
   * Labels of both migration objects.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations added to both migration objects (besides Argo CD's sync wave, `Prune=false` and `IgnoreExtraneous`).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The two VirtualMachineInstanceMigrations of a decentralized live migration, paired by one migrationID: the receive
 * side (`spec.receive`) in the destination namespace and the sending side (`spec.sendTo`) in the source namespace.
 * KubeVirt rejects any change to a migration's spec, so both are immutable once applied.
 *
 * For a one-shot apply only (`kubectl apply`, a pipeline step). Not for a folder that Argo CD or Flux keeps syncing:
 * KubeVirt deletes finished migrations, the GitOps engine re-creates them, and KubeVirt refuses the copy or takes it
 * for a new migration. {@link DecentralizedMigration} leaves both to its hook, which reads the cluster first.
 */
export class MigrationPair extends Construct {
  /** The receive migration. */
  public readonly receive: VirtualMachineInstanceMigration;
  /** The sendTo migration; undefined when the address is discovered at run time. */
  public readonly send?: VirtualMachineInstanceMigration;
  /** Name of the receive migration. */
  public readonly receiveName: string;
  /** Name of the sendTo migration (emitted only with a connectURL). */
  public readonly sendName: string;

  public constructor(scope: Construct, id: string, props: MigrationPairProps) {
    super(scope, id);
    const defaults = migrationObjectNames(props.vmiName, props.migrationID);
    this.receiveName = props.receiveName ?? defaults.receive;
    this.sendName = props.sendName ?? defaults.send;
    throwIfRefused(this, 'MigrationPair', migrationPairRefusals(props, this.receiveName, this.sendName));
    const metadata = (name: string, namespace: string, wave: number) => ({
      name,
      namespace,
      labels: props.labels && { ...props.labels },
      annotations: withSyncWave({ ...props.annotations, ...ONE_SHOT_MIGRATION }, wave),
    });

    this.receive = new VirtualMachineInstanceMigration(this, 'Receive', {
      metadata: metadata(this.receiveName, props.destinationNamespace, SyncWave.RECEIVE_MIGRATION),
      spec: { vmiName: props.vmiName, receive: { migrationId: props.migrationID } },
    });
    if (props.connectURL !== undefined) {
      const sourceScope = props.sourceScope ? remoteScope(this, props.sourceScope) : this;
      this.send = new VirtualMachineInstanceMigration(sourceScope, 'Send', {
        metadata: metadata(this.sendName, props.sourceNamespace, SyncWave.SEND_MIGRATION),
        spec: { vmiName: props.vmiName, sendTo: { migrationId: props.migrationID, connectUrl: props.connectURL } },
      });
      if (!props.sourceScope) this.send.addDependency(this.receive);
    }
  }
}

/** What KubeVirt or the API server would reject, or what could never pair, refused at synthesis (lib/rules). */
function migrationPairRefusals(props: MigrationPairProps, receiveName: string, sendName: string) {
  return [
    ...field('vmiName', dnsLabelRefusal(props.vmiName)),
    ...field('sourceNamespace', dnsLabelRefusal(props.sourceNamespace)),
    ...field('destinationNamespace', dnsLabelRefusal(props.destinationNamespace)),
    ...field('receiveName', dnsSubdomainRefusal(receiveName)),
    ...field('sendName', dnsSubdomainRefusal(sendName)),
    ...field('migrationID', migrationIdRefusal(props.migrationID)),
    // Both ends in one chart means one cluster: a VMI cannot migrate to its own namespace of its own cluster.
    ...field('destinationNamespace', props.sourceScope === undefined && props.sourceNamespace === props.destinationNamespace ? sameNamespaceRefusal(props.sourceNamespace) : undefined),
    ...field('connectURL', props.connectURL === undefined ? undefined : connectUrlRefusal(props.connectURL)),
  ];
}
