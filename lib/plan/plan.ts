import type { LoadedConfig, MigrationEntry } from '../config/load-config.ts';
import type { HookSettings } from '../config/types.generated.ts';
import type { MigrationPhase } from '../lifecycle.ts';
import type { VirtualMachineManifest } from '../kubevirt/api.ts';
import { carriedTemplateMetadata, checkCarriedMetadata, ownMetadata } from './metadata.ts';
import { DiagnosticBag, type Diagnostic } from '../diagnostics.ts';
import { migrationObjectNames } from '../names.ts';
import { planDisks, type DiskPlan } from './disks.ts';
import { deriveMigrationId } from './migration-id.ts';
import { planInstancetypes, type InstancetypePlan } from './instancetypes.ts';
import { checkPrerequisites, type Prerequisite } from './prerequisites.ts';
import { planReceiver, type ReceiverPlan } from './receiver.ts';
import { DuplicateGuard, splitBrainRefusal } from '../rules/migration.ts';

/** The output folder of objects for a config entry that names no cluster. */
export const DEFAULT_CLUSTER = 'default';

export interface Endpoint {
  /** Cluster name, which is also its output folder. */
  readonly cluster: string;
  readonly namespace: string;
}

/** A source VM managed in this repository, as kvmigrate emits it. */
export interface SourceVmPlan {
  readonly spec: NonNullable<VirtualMachineManifest['spec']>;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** Everything that one live migration compiles to, decided; constructs only render it. */
export interface MigrationPlan {
  readonly name: string;
  readonly phase: MigrationPhase;
  /** With phase abort: the receiver and its disks leave Git too. */
  readonly removeReceiverOnAbort: boolean;
  /** The source VM, when it is managed here. */
  readonly sourceVm?: SourceVmPlan;
  readonly vm: string;
  readonly migrationID: string;
  readonly attempt: number;
  /** The batch (1 first): it starts only after every lower batch succeeded. */
  readonly batch: number;
  readonly source: Endpoint;
  readonly destination: Endpoint;
  readonly disks: readonly DiskPlan[];
  readonly receiver: ReceiverPlan;
  /** The instancetype and preference the receiver names: copies to emit, and what preflight checks. */
  readonly instancetypes: readonly InstancetypePlan[];
  readonly receiveMigrationName: string;
  readonly sendMigrationName: string;
  /** Static sync-controller address; absent when it is discovered at run time. */
  readonly connectURL?: string;
  /** The post-sync hook that creates both migrations; only while migrating. */
  readonly hook?: HookSettings;
  /** What the destination must hold before the migration starts (Secrets, ConfigMaps, networks ...). */
  readonly prerequisites: readonly Prerequisite[];
  /** `source.allowRunStrategy`: the user accepts what KubeVirt does with a source that is not `Always`. */
  readonly allowRunStrategy: boolean;
}

export interface PlanResult {
  readonly plans: readonly MigrationPlan[];
  readonly warnings: readonly Diagnostic[];
}

/**
 * The split-brain guard (lib/rules): a managed source VM may only migrate when the Application that syncs it ignores
 * its runStrategy, which kvmigrate guarantees only for Applications it emits.
 */
function checkSplitBrain(entry: MigrationEntry, sourceVm: SourceVmPlan | undefined, engineObjects: boolean, bag: DiagnosticBag): void {
  if (!sourceVm) return;
  const refusal = splitBrainRefusal({ phase: entry.phase, sourceRunStrategy: sourceVm.spec.runStrategy ?? '', runStrategyIgnored: engineObjects });
  if (!refusal) return;
  bag.error(
    `migration "${entry.name}": ${refusal.message}`,
    entry.locate(['source', 'manage']),
    'add an `argocd:` section (or `flux:`), so kvmigrate emits the Application with ignoreDifferences (the Kustomization with ignore) on /spec/runStrategy, or set `source.manage: false` and keep the source VM out of this repository',
  );
}

/** A VM spec whose template metadata is what the receiver carries too (carriedTemplateMetadata). */
function withCarriedTemplateMetadata(spec: NonNullable<VirtualMachineManifest['spec']>): NonNullable<VirtualMachineManifest['spec']> {
  const template = spec.template;
  return template?.metadata ? { ...spec, template: { ...template, metadata: carriedTemplateMetadata(template.metadata) } } : spec;
}

/**
 * A managed source runs Always while it moves, the only strategy KubeVirt halts when the move completes (vm.go
 * `syncRunStrategy`): `running: true`, RerunOnFailure, Manual and Once are emitted as Always, which converts the live
 * VM on sync, unless `source.allowRunStrategy` keeps its own.
 */
function managedSourceSpec(entry: MigrationEntry, receiver: ReceiverPlan): SourceVmPlan['spec'] {
  const { running: _running, ...spec } = withCarriedTemplateMetadata(entry.source.virtualMachine.object.spec ?? {});
  return { ...spec, runStrategy: entry.source.allowRunStrategy ? receiver.restoreRunStrategy : 'Always' };
}

/** What a plan reads of the config besides its entry. */
export type PlanSettings = Pick<LoadedConfig, 'storageClassMap' | 'storageClasses' | 'argocd' | 'flux'>;

/** The plan of one migration; undefined (with the reasons in `bag`) when it cannot move. */
export function planMigration(entry: MigrationEntry, config: PlanSettings, bag: DiagnosticBag): MigrationPlan | undefined {
  const source = { cluster: entry.source.cluster ?? DEFAULT_CLUSTER, namespace: entry.source.namespace };
  const destination = { cluster: entry.destination.cluster ?? DEFAULT_CLUSTER, namespace: entry.destination.namespace };
  const disks = planDisks(entry, config, bag);
  const { object: vm, locate } = entry.source.virtualMachine;
  checkCarriedMetadata(vm.metadata, locate, ['metadata'], `VirtualMachine "${entry.vm}"`, bag);
  checkCarriedMetadata(vm.spec?.template?.metadata, locate, ['spec', 'template', 'metadata'], `VirtualMachine "${entry.vm}" spec.template`, bag);
  const receiver = planReceiver(entry, bag);
  const prerequisites = checkPrerequisites(entry, bag);
  const instancetypes = planInstancetypes(entry, bag);
  const crossCluster = source.cluster !== destination.cluster;
  if (crossCluster && entry.phase === 'migrate' && entry.hook.destinationKubeconfigSecret === undefined) {
    bag.error(
      `migration "${entry.name}" crosses clusters (${source.cluster} -> ${destination.cluster}) but its hook cannot reach the destination, where it creates the receive migration`,
      entry.locate(['destination', 'cluster']),
      `set \`hook: { destinationKubeconfigSecret: <Secret in the source namespace with key kubeconfig> }\`; \`kvmigrate hook-kubeconfig ${entry.name} --create\` makes it`,
    );
  }
  if (!receiver) return undefined;
  const sourceVm = entry.source.manage ? { spec: managedSourceSpec(entry, receiver), ...ownMetadata(vm.metadata) } : undefined;
  checkSplitBrain(entry, sourceVm, config.argocd !== undefined || config.flux !== undefined, bag);
  const migrationID = entry.migrationID ?? deriveMigrationId({ vm: entry.vm, source, destination, attempt: entry.attempt });
  const names = migrationObjectNames(entry.vm, migrationID);
  return {
    name: entry.name,
    phase: entry.phase,
    removeReceiverOnAbort: entry.removeReceiverOnAbort,
    sourceVm,
    vm: entry.vm,
    migrationID,
    attempt: entry.attempt,
    batch: entry.batch,
    source,
    destination,
    disks,
    receiver,
    instancetypes,
    receiveMigrationName: names.receive,
    sendMigrationName: names.send,
    connectURL: entry.connectURL,
    hook: entry.phase === 'migrate' ? entry.hook : undefined,
    // The field comes with the synth side's run-strategy rule (issue 18); read by name until its type does.
    allowRunStrategy: entry.source.allowRunStrategy,
    prerequisites,
  };
}

/**
 * Turns a loaded config into one plan per migration. Pure: reads nothing but its input. Throws an {@link InputError}
 * with every error found across all migrations; warnings are returned.
 */
export function planMigrations(config: LoadedConfig): PlanResult {
  const bag = new DiagnosticBag();
  const entries = new Map<MigrationPlan, MigrationEntry>();
  for (const entry of config.migrations) {
    const plan = planMigration(entry, config, bag);
    if (plan) entries.set(plan, entry);
  }
  checkDiskNames(entries, bag);
  bag.throwIfErrors();
  return { plans: [...entries.keys()], warnings: bag.warnings };
}

/** Two migrations must not create the same DataVolume (lib/rules). */
function checkDiskNames(entries: ReadonlyMap<MigrationPlan, MigrationEntry>, bag: DiagnosticBag): void {
  const guard = new DuplicateGuard<string>();
  for (const [plan, entry] of entries) {
    if (plan.phase === 'abort' && plan.removeReceiverOnAbort) continue;
    for (const disk of plan.disks) {
      const clash = guard.claimDisk(plan.destination, disk.dataVolumeName, plan.name, plan.name);
      if (clash) bag.error(clash.message, entry.locate(['destination', 'namespace']), clash.hint);
    }
  }
}
