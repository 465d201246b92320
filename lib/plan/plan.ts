import type { LoadedConfig, MigrationEntry } from '../config/load-config.ts';
import type { HookSettings } from '../config/types.generated.ts';
import { DiagnosticBag, type Diagnostic } from '../diagnostics.ts';
import { migrationObjectNames } from '../names.ts';
import { planDisks, type DiskPlan } from './disks.ts';
import { deriveMigrationId } from './migration-id.ts';
import { checkPrerequisites } from './prerequisites.ts';
import { planReceiver, type ReceiverPlan } from './receiver.ts';

/** The output folder of objects for a config entry that names no cluster. */
export const DEFAULT_CLUSTER = 'default';

export interface Endpoint {
  /** Cluster name, which is also its output folder. */
  readonly cluster: string;
  readonly namespace: string;
}

/** Everything that one live migration compiles to, decided; constructs only render it. */
export interface MigrationPlan {
  readonly name: string;
  readonly vm: string;
  readonly migrationID: string;
  readonly attempt: number;
  readonly source: Endpoint;
  readonly destination: Endpoint;
  readonly disks: readonly DiskPlan[];
  readonly receiver: ReceiverPlan;
  readonly receiveMigrationName: string;
  readonly sendMigrationName: string;
  /** Static sync-controller address; absent when it is discovered at run time. */
  readonly connectURL?: string;
  /** The post-sync hook that discovers the address and creates the sendTo migration; absent with a connectURL. */
  readonly hook?: HookSettings;
}

export interface PlanResult {
  readonly plans: readonly MigrationPlan[];
  readonly warnings: readonly Diagnostic[];
}

function planMigration(entry: MigrationEntry, storageClassMap: Readonly<Record<string, string>>, bag: DiagnosticBag): MigrationPlan | undefined {
  const source = { cluster: entry.source.cluster ?? DEFAULT_CLUSTER, namespace: entry.source.namespace };
  const destination = { cluster: entry.destination.cluster ?? DEFAULT_CLUSTER, namespace: entry.destination.namespace };
  const disks = planDisks(entry, storageClassMap, bag);
  const receiver = planReceiver(entry, bag);
  checkPrerequisites(entry, bag);
  const crossCluster = source.cluster !== destination.cluster;
  if (crossCluster && entry.connectURL === undefined && entry.hook.destinationKubeconfigSecret === undefined) {
    bag.error(
      `migration "${entry.name}" crosses clusters (${source.cluster} -> ${destination.cluster}) but its hook cannot reach the destination`,
      entry.locate(['destination', 'cluster']),
      'set `hook: { destinationKubeconfigSecret: <Secret in the source namespace with key kubeconfig> }`, or a static `connectURL`',
    );
  }
  if (!receiver) return undefined;
  const migrationID = entry.migrationID ?? deriveMigrationId({ vm: entry.vm, source, destination, attempt: entry.attempt });
  const names = migrationObjectNames(entry.vm, migrationID);
  return {
    name: entry.name,
    vm: entry.vm,
    migrationID,
    attempt: entry.attempt,
    source,
    destination,
    disks,
    receiver,
    receiveMigrationName: names.receive,
    sendMigrationName: names.send,
    connectURL: entry.connectURL,
    hook: entry.connectURL === undefined ? entry.hook : undefined,
  };
}

/**
 * Turns a loaded config into one plan per migration. Pure: reads nothing but its input. Throws an {@link InputError}
 * with every error found across all migrations; warnings are returned.
 */
export function planMigrations(config: LoadedConfig): PlanResult {
  const bag = new DiagnosticBag();
  const plans = config.migrations.flatMap((entry) => planMigration(entry, config.storageClassMap, bag) ?? []);
  bag.throwIfErrors();
  return { plans, warnings: bag.warnings };
}
