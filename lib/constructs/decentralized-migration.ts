import { Construct } from 'constructs';
import type { InstancetypeMatcher, VirtualMachineInstanceTemplate, VirtualMachineManifest } from '../kubevirt/api.ts';
import { connectUrlRefusal, dnsLabelRefusal, migrationIdRefusal, runStrategyRefusal, sameNamespaceRefusal, sourceNotHaltedRefusal, splitBrainRefusal, type AccessMode, type FieldRefusal, type RestoreRunStrategy, type VolumeMode } from '../rules/migration.ts';
import { BlankDataVolume, diskRefusals } from './blank-data-volume.ts';
import { clusterOf, duplicateGuardOf, field, throwIfRefused } from './refusals.ts';
import { InstancetypeCopy, type InstancetypeCopyProps } from './instancetype-copy.ts';
import { MigrationRecord } from './migration-record.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, MIGRATION_ID_ANNOTATION, MIGRATION_LABEL } from './labels.ts';
import { migrationObjectNames } from '../names.ts';
import { remoteScope } from './remote-scope.ts';
import { ReceiverVirtualMachine } from './receiver-virtual-machine.ts';
import { SendMigrationHook, type SendMigrationHookSettings } from './send-migration-hook.ts';
import { SourceVirtualMachine } from './source-virtual-machine.ts';
import type { MigrationPhase } from '../lifecycle.ts';
import { formatLocation, type Diagnostic } from '../diagnostics.ts';
import { planObjectMigration } from '../plan/from-objects.ts';
import { objectsByKind, objectsOf } from '../kubevirt/manifest-objects.ts';
import { plannedMigrationProps } from './planned-migration.ts';
import { Chart } from 'cdk8s';

/** One disk to pre-create at the destination. */
export interface MigratedDisk {
  /** Name of the blank DataVolume: the source DataVolume's or claim's name. */
  readonly name: string;
  /** Size, at least the source disk's (e.g. `30Gi`). */
  readonly size: string;
  /**
   * Storage class at the destination.
   * @default - the destination's default storage class
   */
  readonly storageClassName?: string;
  /**
   * `Block` or `Filesystem`.
   * @default - CDI's storage profile decides
   */
  readonly volumeMode?: VolumeMode;
  /**
   * Access modes: at least one, none twice.
   * @default - CDI's storage profile decides
   */
  readonly accessModes?: readonly AccessMode[];
  /**
   * Annotate with `cdi.kubevirt.io/storage.usePopulator: "true"`.
   * @default true
   */
  readonly usePopulator?: boolean;
  /**
   * The source disk's size: a smaller `size` is refused.
   * @default - not checked
   */
  readonly sourceSize?: string;
}

/** A source VM managed in the same repository as its migration. */
export interface ManagedSourceVirtualMachine {
  /** The source VM's `spec`, as it appears in YAML. */
  readonly spec: NonNullable<VirtualMachineManifest['spec']>;
  /**
   * The source VM's own labels.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * The source VM's own annotations.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Whether the sync that applies this VM ignores its `/spec/runStrategy` (a {@link ClusterApplication} lists it in
   * `runStrategyOwnedByKubeVirt`). A source with runStrategy Always is refused while migrating without it: KubeVirt
   * halts the migrated source, and a sync that puts Always back boots a second copy from the stale disks.
   * @default false
   */
  readonly runStrategyIgnored?: boolean;
}

/** Properties of a {@link DecentralizedMigration}. */
export interface DecentralizedMigrationProps {
  /** Name of the VM, identical at both ends. */
  readonly vmName: string;
  /** Namespace of the running source VM. */
  readonly sourceNamespace: string;
  /** Namespace the VM moves to. */
  readonly destinationNamespace: string;
  /**
   * The ID that pairs the two migration objects (letters, digits, `-`, `_` and `.`); a retry needs a new one. Two
   * migrations in one app may not share it.
   */
  readonly migrationID: string;
  /** The source VM's `spec.template`, as it appears in YAML. */
  readonly template: VirtualMachineInstanceTemplate;
  /** The source VM's run strategy, restored at the destination when the migration succeeds: a running one. */
  readonly restoreRunStrategy: RestoreRunStrategy;
  /**
   * Accept a source whose run strategy (a managed source's as emitted, else `restoreRunStrategy`) is RerunOnFailure,
   * Manual or Once: KubeVirt halts only an `Always` source when the move completes, so such a source can boot again
   * from its stale disks.
   * @default false - such a source is refused while migrating
   */
  readonly allowRunStrategy?: boolean;
  /** The disks to pre-create, one per PVC- or DataVolume-backed volume of the source VM. */
  readonly disks: readonly MigratedDisk[];
  /**
   * The source's instancetype, without `revisionName`.
   * @default - none
   */
  readonly instancetype?: InstancetypeMatcher;
  /**
   * The source's preference, without `revisionName`.
   * @default - none
   */
  readonly preference?: InstancetypeMatcher;
  /**
   * Copies of the source namespace's VirtualMachineInstancetype / VirtualMachinePreference the receiver names,
   * emitted in the destination namespace before the receiver.
   * @default - none
   */
  readonly instancetypes?: readonly Omit<InstancetypeCopyProps, 'namespace' | 'syncWave'>[];
  /**
   * Static address of the destination's synchronization controller, passed to the hook instead of discovery.
   * @default - none: the post-sync hook discovers the address at run time
   */
  readonly connectURL?: string;
  /**
   * Where the migration stands.
   * @default 'migrate'
   */
  readonly phase?: MigrationPhase;
  /**
   * With `phase: 'abort'`: leave the receiver VM and its disks out too.
   * @default false
   */
  readonly removeReceiverOnAbort?: boolean;
  /**
   * The source VM, when it is managed in the same repository: emitted as it is while migrating, Halted at cutover.
   * @default - the source VM is managed elsewhere
   */
  readonly sourceVirtualMachine?: ManagedSourceVirtualMachine;
  /**
   * Settings of the post-sync hook that creates both migrations.
   * @default - the hook's defaults: KubeVirt in `kubevirt`, the default image, destination in the same cluster
   */
  readonly hook?: SendMigrationHookSettings;
  /**
   * Name of this migration, put in the `kvmigrate.io/migration` label of every object; unique in the app.
   * @default - the VM name
   */
  readonly migrationName?: string;
  /**
   * Name of the receive migration object.
   * @default - derived from the VM name and migrationID
   */
  readonly receiveMigrationName?: string;
  /**
   * Name of the sendTo migration object.
   * @default - derived from the VM name and migrationID
   */
  readonly sendMigrationName?: string;
  /**
   * The source VM's own labels and annotations, carried to the receiver.
   * @default - none
   */
  readonly receiverLabels?: Readonly<Record<string, string>>;
  /**
   * The source VM's own annotations, carried to the receiver.
   * @default - none
   */
  readonly receiverAnnotations?: Readonly<Record<string, string>>;
  /**
   * Where the source-side objects are defined, when the source is another cluster (another chart).
   * @default - this construct's chart
   */
  readonly sourceScope?: Construct;
}

/** Overrides of one disk of a VM migrated {@link DecentralizedMigration.fromVirtualMachine}. */
export interface DiskOverride {
  /**
   * Size at the destination, at least the source disk's.
   * @default - the source disk's size, from the VM, its DataVolumes and claims
   */
  readonly size?: string;
  /**
   * Storage class at the destination.
   * @default - the migration's `destination.storageClass`, else the source disk's class
   */
  readonly storageClass?: string;
  /**
   * `Block` or `Filesystem`.
   * @default - the source disk's, else CDI's storage profile decides
   */
  readonly volumeMode?: VolumeMode;
  /**
   * Access modes at the destination.
   * @default - the source disk's, else CDI's storage profile decides
   */
  readonly accessModes?: readonly AccessMode[];
}

/** Properties of {@link DecentralizedMigration.fromVirtualMachine}: a parsed VM dump and where it goes. */
export interface FromVirtualMachineProps {
  /**
   * The source VirtualMachine as `kubectl get vm -o yaml` writes it (parsed), or its name: then the VirtualMachine of
   * that name in `related` (a `kind: List` is searched too).
   */
  readonly vm: VirtualMachineManifest | string;
  /**
   * The objects beside it in the dump (`kubectl get vm,dv,pvc,vminstancetype,vmpref -o yaml`): its DataVolumes and
   * claims give the disk sizes, its namespaced instancetype and preference are copied. Other kinds are left out.
   * @default - none: every disk needs a size in the VM's `dataVolumeTemplates` or in `disks`
   */
  readonly related?: readonly unknown[];
  /**
   * Namespace of the source VM.
   * @default - the VM's `metadata.namespace`
   */
  readonly sourceNamespace?: string;
  /**
   * Accept a source whose runStrategy is RerunOnFailure, Manual or Once: KubeVirt halts only an `Always` source when
   * the move completes, so such a source can boot again from its stale disks (the warnings say what happens).
   * @default false - such a source is refused, with the `kubectl patch` that makes it Always
   */
  readonly allowRunStrategy?: boolean;
  /** Where the VM goes. */
  readonly destination: {
    /** Namespace the VM moves to. */
    readonly namespace: string;
    /**
     * Storage class of every disk at the destination.
     * @default - each source disk's class
     */
    readonly storageClass?: string;
    /**
     * The destination already holds the VM's namespaced instancetype and preference: no copies.
     * @default false
     */
    readonly instancetypesPresent?: boolean;
  };
  /**
   * Overrides per volume name of the VM.
   * @default - none
   */
  readonly disks?: Readonly<Record<string, DiskOverride>>;
  /**
   * The ID that pairs the two migration objects.
   * @default - derived from the VM, both ends (charts and namespaces) and `attempt`
   */
  readonly migrationID?: string;
  /**
   * Attempt number: a new attempt derives a new migrationID.
   * @default 1
   */
  readonly attempt?: number;
  /**
   * Static address of the destination's synchronization controller (`host:port`, `[ipv6]:port`).
   * @default - discovered by the hook at run time
   */
  readonly connectURL?: string;
  /**
   * Where the migration stands.
   * @default 'migrate'
   */
  readonly phase?: MigrationPhase;
  /**
   * With `phase: 'abort'`: leave the receiver VM and its disks out too.
   * @default false
   */
  readonly removeReceiverOnAbort?: boolean;
  /**
   * Settings of the post-sync hook.
   * @default - the hook's defaults
   */
  readonly hook?: SendMigrationHookSettings;
  /**
   * Name of this migration (the `kvmigrate.io/migration` label).
   * @default - the VM name
   */
  readonly migrationName?: string;
  /**
   * Where the source-side objects are defined, when the source is another cluster (another chart).
   * @default - this construct's chart
   */
  readonly sourceScope?: Construct;
}

/** The metadata type of the warnings a {@link DecentralizedMigration.fromVirtualMachine} found. */
export const WARNING_METADATA = 'kvmigrate:warning';

/**
 * A whole decentralized live migration of one VM, ordered by Argo CD sync waves: the hook's access, blank disks and
 * instancetype copies, the receiver VM, then the PostSync hook that creates the receive and sendTo migrations from
 * the clusters' state. The migrations are never objects in Git: KubeVirt deletes finished ones, and Argo CD would
 * re-create them on the next sync, which KubeVirt refuses (or takes for a new migration).
 */
export class DecentralizedMigration extends Construct {
  /** The blank disks at the destination; none when an abort removes the receiver. */
  public readonly disks: readonly BlankDataVolume[];
  /** Copies of the namespaced instancetype and preference; none when an abort removes the receiver. */
  public readonly instancetypes: readonly InstancetypeCopy[];
  /** The receiver VM; undefined when an abort removes it. */
  public readonly receiver?: ReceiverVirtualMachine;
  /** The hook that creates both migrations; only while migrating. */
  public readonly hook?: SendMigrationHook;
  /** The managed source VM, when given. */
  public readonly source?: SourceVirtualMachine;

  /**
   * The migration of a VM as `kvmigrate synth` derives it from a dump, without typing its template: disks and sizes
   * (from the VM, its DataVolumes and claims), the receiver, instancetype copies, the migrationID. What the CLI would
   * refuse is thrown (naming this construct's path and the VM's field); what it would warn about is in
   * {@link DecentralizedMigration.warnings} and in the construct's metadata (`kvmigrate:warning`).
   */
  public static fromVirtualMachine(scope: Construct, id: string, props: FromVirtualMachineProps): DecentralizedMigration {
    const label = `DecentralizedMigration "${scope.node.path ? `${scope.node.path}/` : ''}${id}"`;
    const vm = typeof props.vm === 'string' ? findVirtualMachine(props.vm, props.related ?? [], label) : props.vm;
    const sourceNamespace = props.sourceNamespace ?? vm.metadata?.namespace;
    if (sourceNamespace === undefined) throw new Error(`${label}: sourceNamespace is needed: the VM has no metadata.namespace`);
    const { plan, errors, warnings } = planObjectMigration({
      label,
      name: props.migrationName ?? vm.metadata?.name ?? '',
      vm,
      related: props.related ?? [],
      source: { cluster: Chart.of(props.sourceScope ?? scope).node.path, namespace: sourceNamespace, allowRunStrategy: props.allowRunStrategy },
      destination: { cluster: Chart.of(scope).node.path, ...props.destination },
      migrationID: props.migrationID,
      attempt: props.attempt,
      connectURL: props.connectURL,
      disks: Object.fromEntries(Object.entries(props.disks ?? {}).map(([volume, disk]) => [volume, { ...disk, accessModes: disk.accessModes && [...disk.accessModes] }])),
      hook: props.hook,
      phase: props.phase,
      removeReceiverOnAbort: props.removeReceiverOnAbort,
    });
    const inWords = (d: Diagnostic) => `${d.message}${d.location ? ` (at ${formatLocation(d.location)})` : ''}${d.hint ? `; ${d.hint}` : ''}`;
    if (!plan) throw new Error(errors.map((d) => `${label}: ${inWords(d)}`).join('\n'));
    const migration = new DecentralizedMigration(scope, id, plannedMigrationProps(plan, props.sourceScope));
    for (const warning of warnings) migration.node.addMetadata(WARNING_METADATA, inWords(warning));
    return migration;
  }

  /** What {@link DecentralizedMigration.fromVirtualMachine} warned about (as `kvmigrate synth` does); none when built by hand. */
  public get warnings(): readonly string[] {
    return this.node.metadata.filter((m) => m.type === WARNING_METADATA).map((m) => String(m.data));
  }

  public constructor(scope: Construct, id: string, props: DecentralizedMigrationProps) {
    super(scope, id);
    throwIfRefused(this, 'DecentralizedMigration', decentralizedMigrationRefusals(this, props));
    const phase = props.phase ?? 'migrate';
    const labels = { [MANAGED_BY_LABEL]: MANAGED_BY, [MIGRATION_LABEL]: props.migrationName ?? props.vmName };
    const annotations = { [MIGRATION_ID_ANNOTATION]: props.migrationID };
    const sourceScope = props.sourceScope ? remoteScope(this, props.sourceScope) : this;

    if (props.sourceVirtualMachine) {
      this.source = new SourceVirtualMachine(sourceScope, 'Source', {
        name: props.vmName,
        namespace: props.sourceNamespace,
        spec: props.sourceVirtualMachine.spec,
        migratedAway: phase === 'cutover',
        // kvmigrate's labels let the health check tell its own halted sources from other stopped VMs.
        labels: { ...props.sourceVirtualMachine.labels, ...labels },
        annotations: props.sourceVirtualMachine.annotations,
      });
    }
    const record = (scope: Construct, id: string, namespace: string, role: 'source' | 'destination' | 'both') =>
      new MigrationRecord(scope, id, { migrationName: props.migrationName ?? props.vmName, vmName: props.vmName, namespace, role, phase, migrationID: props.migrationID, labels });
    if (props.sourceScope) {
      record(this, 'DestinationRecord', props.destinationNamespace, 'destination');
      record(sourceScope, 'SourceRecord', props.sourceNamespace, 'source');
    } else record(this, 'Record', props.destinationNamespace, 'both');
    const keepReceiver = !(phase === 'abort' && props.removeReceiverOnAbort);
    this.disks = keepReceiver
      ? props.disks.map(
          (disk) =>
            new BlankDataVolume(this, `Disk-${disk.name}`, {
              ...disk,
              namespace: props.destinationNamespace,
              labels,
              annotations,
            }),
        )
      : [];
    this.instancetypes = keepReceiver
      ? (props.instancetypes ?? []).map(
          (copy) =>
            new InstancetypeCopy(this, `${copy.kind}-${copy.name}`, {
              ...copy,
              namespace: props.destinationNamespace,
              labels: { ...copy.labels, ...labels },
              annotations: { ...copy.annotations, ...annotations },
            }),
        )
      : [];
    if (keepReceiver) {
      this.receiver = new ReceiverVirtualMachine(this, 'Receiver', {
        name: props.vmName,
        namespace: props.destinationNamespace,
        template: props.template,
        restoreRunStrategy: props.restoreRunStrategy,
        arrived: phase === 'cutover',
        instancetype: props.instancetype,
        preference: props.preference,
        labels: { ...props.receiverLabels, ...labels },
        annotations: { ...props.receiverAnnotations, ...annotations },
      });
      for (const prerequisite of [...this.disks, ...this.instancetypes]) this.receiver.node.addDependency(prerequisite);
    }
    if (phase !== 'migrate') return;

    const names = migrationObjectNames(props.vmName, props.migrationID);
    this.hook = new SendMigrationHook(sourceScope, 'SendHook', {
      ...props.hook,
      vmiName: props.vmName,
      migrationID: props.migrationID,
      sourceNamespace: props.sourceNamespace,
      destinationNamespace: props.destinationNamespace,
      sendMigrationName: props.sendMigrationName ?? names.send,
      receiveMigrationName: props.receiveMigrationName ?? names.receive,
      connectURL: props.connectURL,
      destinationScope: props.sourceScope ? this : undefined,
      labels,
      annotations,
    });
    if (!props.sourceScope) this.hook.job.node.addDependency(this.receiver!);
    // The hook's access comes first in this chart's file too, as its sync wave says.
    const accessHere = props.sourceScope ? this.hook.access.destinationAccess : this.hook.access;
    for (const disk of this.disks) disk.node.addDependency(accessHere);
  }
}

/** The VirtualMachine named `name` in a dump. */
function findVirtualMachine(name: string, related: readonly unknown[], label: string): VirtualMachineManifest {
  const found = objectsByKind(related.flatMap((object) => objectsOf(object, () => ({ file: label })))).virtualMachines.filter((v) => v.object.metadata?.name === name);
  if (found.length !== 1) throw new Error(`${label}: vm "${name}" names ${found.length === 0 ? 'no' : 'more than one'} VirtualMachine in related`);
  return found[0]!.object;
}

/**
 * What the CLI refuses in a migration, refused here in the same words (lib/rules): names, IDs, the address, the run
 * strategy, each disk, the split-brain guard, and the duplicate guards across the app (each chart taken for a cluster).
 */
function decentralizedMigrationRefusals(migration: DecentralizedMigration, props: DecentralizedMigrationProps): FieldRefusal[] {
  const phase = props.phase ?? 'migrate';
  const optional = <T>(value: T | undefined, rule: (value: T) => ReturnType<typeof dnsLabelRefusal>) => (value === undefined ? undefined : rule(value));
  const refusals = [
    ...field('vmName', dnsLabelRefusal(props.vmName)),
    ...field('migrationName', optional(props.migrationName, dnsLabelRefusal)),
    ...field('sourceNamespace', dnsLabelRefusal(props.sourceNamespace)),
    ...field('destinationNamespace', dnsLabelRefusal(props.destinationNamespace)),
    ...field('destinationNamespace', !props.sourceScope && props.sourceNamespace === props.destinationNamespace ? sameNamespaceRefusal(props.sourceNamespace) : undefined),
    ...field('migrationID', migrationIdRefusal(props.migrationID)),
    ...field('connectURL', optional(props.connectURL, connectUrlRefusal)),
    ...field('restoreRunStrategy', runStrategyRefusal(props.restoreRunStrategy)),
    ...field('allowRunStrategy', phase === 'migrate' && !props.allowRunStrategy ? sourceNotHaltedRefusal(sourceRunStrategy(props)) : undefined),
    ...field(
      'sourceVirtualMachine.runStrategyIgnored',
      props.sourceVirtualMachine && splitBrainRefusal({ phase, sourceRunStrategy: sourceRunStrategy(props), runStrategyIgnored: props.sourceVirtualMachine.runStrategyIgnored ?? false }),
    ),
    ...props.disks.flatMap((disk, index) => diskRefusals(disk, `disks[${index}].`)),
  ];
  if (refusals.length > 0) return refusals;
  const guard = duplicateGuardOf(migration);
  const path = migration.node.path;
  const source = { cluster: clusterOf(props.sourceScope ?? migration), namespace: props.sourceNamespace };
  const destination = { cluster: clusterOf(migration), namespace: props.destinationNamespace };
  const name = props.migrationName ?? props.vmName;
  const duplicates = guard.claim({ name, vm: props.vmName, source, destination, migrationID: props.migrationID }, path);
  const fields = {
    name: props.migrationName ? ['migrationName', name] : ['vmName', name],
    vm: ['vmName', props.vmName],
    destination: ['destinationNamespace', props.destinationNamespace],
    migrationID: ['migrationID', props.migrationID],
  } as const;
  const keepsDisks = !(phase === 'abort' && props.removeReceiverOnAbort);
  return [
    ...duplicates.map((d) => ({ field: fields[d.field][0], message: `"${fields[d.field][1]}": ${d.message} (first at "${d.first}")`, hint: d.hint })),
    ...(keepsDisks ? props.disks : []).flatMap((disk, index) => {
      const clash = guard.claimDisk(destination, disk.name, name, path);
      return field(`disks[${index}].name`, clash && { message: `"${disk.name}": ${clash.message} (first at "${clash.first}")`, hint: clash.hint });
    }),
  ];
}

/** The run strategy the source runs with while it moves: a managed source's as emitted, else the one the receiver restores. */
function sourceRunStrategy(props: DecentralizedMigrationProps): string {
  const spec = props.sourceVirtualMachine?.spec;
  if (!spec) return props.restoreRunStrategy;
  return spec.runStrategy ?? (spec.running ? 'Always' : '');
}
