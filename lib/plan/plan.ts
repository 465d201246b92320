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
}

export interface PlanResult {
  readonly plans: readonly MigrationPlan[];
  readonly warnings: readonly Diagnostic[];
}

/**
 * The split-brain guard. KubeVirt halts a migrated `Always` source VM; if Git then puts `Always` back, a second copy
 * boots from the stale source disks while the migrated one runs. So a managed source VM may only migrate when the
 * Application that syncs it ignores its runStrategy, which kvmigrate guarantees only for Applications it emits.
 */
function checkSplitBrain(entry: MigrationEntry, receiver: ReceiverPlan, argocdApplications: boolean, bag: DiagnosticBag): void {
  if (entry.phase !== 'migrate' || !entry.source.manage || receiver.restoreRunStrategy !== 'Always' || argocdApplications) return;
  bag.error(
    `migration "${entry.name}": the source VM is managed here with runStrategy Always, and nothing makes Argo CD ignore its runStrategy: ` +
      'after KubeVirt halts it, a sync would start it again from its stale disks while the migrated VM runs',
    entry.locate(['source', 'manage']),
    'add an `argocd:` section, so kvmigrate emits the Application with ignoreDifferences on /spec/runStrategy, or set `source.manage: false` and keep the source VM out of this repository',
  );
}

/** A VM spec whose template metadata is what the receiver carries too (carriedTemplateMetadata). */
function withCarriedTemplateMetadata(spec: NonNullable<VirtualMachineManifest['spec']>): NonNullable<VirtualMachineManifest['spec']> {
  const template = spec.template;
  return template?.metadata ? { ...spec, template: { ...template, metadata: carriedTemplateMetadata(template.metadata) } } : spec;
}

function planMigration(entry: MigrationEntry, config: LoadedConfig, bag: DiagnosticBag): MigrationPlan | undefined {
  const source = { cluster: entry.source.cluster ?? DEFAULT_CLUSTER, namespace: entry.source.namespace };
  const destination = { cluster: entry.destination.cluster ?? DEFAULT_CLUSTER, namespace: entry.destination.namespace };
  const disks = planDisks(entry, config, bag);
  const { object: sourceVm, locate } = entry.source.virtualMachine;
  checkCarriedMetadata(sourceVm.metadata, locate, ['metadata'], `VirtualMachine "${entry.vm}"`, bag);
  checkCarriedMetadata(sourceVm.spec?.template?.metadata, locate, ['spec', 'template', 'metadata'], `VirtualMachine "${entry.vm}" spec.template`, bag);
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
  checkSplitBrain(entry, receiver, config.argocd !== undefined, bag);
  const vm = entry.source.virtualMachine.object;
  const migrationID = entry.migrationID ?? deriveMigrationId({ vm: entry.vm, source, destination, attempt: entry.attempt });
  const names = migrationObjectNames(entry.vm, migrationID);
  return {
    name: entry.name,
    phase: entry.phase,
    removeReceiverOnAbort: entry.removeReceiverOnAbort,
    sourceVm: entry.source.manage ? { spec: withCarriedTemplateMetadata(vm.spec ?? {}), ...ownMetadata(vm.metadata) } : undefined,
    vm: entry.vm,
    migrationID,
    attempt: entry.attempt,
    source,
    destination,
    disks,
    receiver,
    instancetypes,
    receiveMigrationName: names.receive,
    sendMigrationName: names.send,
    connectURL: entry.connectURL,
    hook: entry.phase === 'migrate' ? entry.hook : undefined,
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

/** Two migrations must not create the same DataVolume: the second would silently take the first one's place. */
function checkDiskNames(entries: ReadonlyMap<MigrationPlan, MigrationEntry>, bag: DiagnosticBag): void {
  const owners = new Map<string, string>();
  for (const [plan, entry] of entries) {
    if (plan.phase === 'abort' && plan.removeReceiverOnAbort) continue;
    for (const disk of plan.disks) {
      const key = `${plan.destination.cluster}/${plan.destination.namespace}/${disk.dataVolumeName}`;
      const owner = owners.get(key);
      if (owner === undefined) owners.set(key, plan.name);
      else {
        bag.error(
          `migrations "${owner}" and "${plan.name}" both create DataVolume "${disk.dataVolumeName}" in namespace "${plan.destination.namespace}"`,
          entry.locate(['destination', 'namespace']),
          'move one of them to another namespace',
        );
      }
    }
  }
}
