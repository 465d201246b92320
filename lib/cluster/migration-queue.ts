import { DEFAULT_MIGRATION_TIMEOUT_SECONDS } from '../hook-timeouts.ts';
import { parseQuantity, quantityValue } from '../kubernetes/quantity.ts';
import type { MigrationPlan } from '../plan/plan.ts';
import { migrationLimits, runningMigrations, runningOnNode, type ClusterMigrations, type MigrationLimits } from './migration-status.ts';

// How a batch of a fleet queues behind KubeVirt's migration limits at one destination cluster. Only the receive sides
// wait: virt-controller migration.go `sync` takes a Pending migration to `handleTargetPodCreation` (where the limits
// are) only when it is local or a decentralized target (`IsLocalOrDecentralizedTarget`); a sendTo never waits there.

/** A batch's receive sides at one destination cluster, and how KubeVirt lets them through. */
export interface BatchQueue {
  readonly cluster: string;
  readonly batch: number;
  /** The batch's migrations into this cluster. */
  readonly migrations: number;
  readonly limits: MigrationLimits;
  /** Migrations running in the cluster now (`findRunningMigrations`), and those of them that are receive sides. */
  readonly runningNow: number;
  readonly receivingNow: number;
  /** What runs now fills a limit: the batch's first round starts only once some of it ends (not counted in time). */
  readonly behindRunning: boolean;
  /** The limit that sets the pace, and how many of the batch run at a time under it. */
  readonly limit: 'parallelMigrationsPerCluster' | 'parallelOutboundMigrationsPerNode';
  readonly atATime: number;
  /** Rounds of at most `atATime` migrations, in config order; the first also waits for what runs now. */
  readonly rounds: number;
  /**
   * With `bandwidthPerMigration`: the least time the rounds take, each as long as its largest migration's data at
   * that bandwidth (pages the guest dirties again are sent again, so it takes longer).
   */
  readonly leastSeconds?: number;
  /**
   * The most time the rounds can take before KubeVirt aborts a migration: each round as long as its largest
   * migration's completion timeout (`completionTimeoutPerGiB` x its data in GB). Undefined when
   * `completionTimeoutPerGiB` is 0: virt-launcher's `shouldTriggerTimeout` then never ends a migration.
   */
  readonly mostSeconds?: number;
  /** Migrations whose hook follows them (`hook.wait`) and whose time queued can reach `hook.migrationTimeoutSeconds`. */
  readonly hookDeadlines: readonly HookDeadline[];
}

export interface HookDeadline {
  readonly migration: string;
  /** The rounds before the migration's own, at most (completion timeouts) and, with a bandwidth, at least. */
  readonly queuedMostSeconds?: number;
  readonly queuedLeastSeconds?: number;
  readonly migrationTimeoutSeconds: number;
}

const GB = 1_000_000_000;

function bytes(text: string | undefined): number {
  const quantity = text === undefined ? undefined : parseQuantity(text);
  return quantity ? Number(quantityValue(quantity)) : 0;
}

/**
 * What a migration moves, as virt-launcher counts it for its completion timeout (manager.go
 * `getVMIMigrationDataSize`): the guest memory (`memory.guest`, else the memory request) and the migrated volumes
 * (here: the destination disks' planned sizes, which add CDI's filesystem overhead where a Filesystem target needs
 * room: a little more than the source claims). Memory an instancetype gives is not in the manifest, and not counted.
 */
export function migrationDataBytes(plan: MigrationPlan): number {
  const domain = plan.receiver.template.spec?.domain as { memory?: { guest?: string }; resources?: { requests?: Record<string, string> } } | undefined;
  const memory = bytes(domain?.memory?.guest ?? domain?.resources?.requests?.memory);
  return memory + plan.disks.reduce((sum, disk) => sum + bytes(disk.size), 0);
}

/**
 * The queue of each batch at `cluster`, from its live limits and running migrations. A receiver's VMI has no node
 * while it receives, so the batch's receive sides all count against one "node" (see `runningOnNode`): at most
 * `parallelOutboundMigrationsPerNode` of them run at once, and at most `parallelMigrationsPerCluster` migrations in
 * all, a same-cluster move counting twice (its sendTo runs there too). Sends from this cluster to others take
 * cluster slots as well; their timing depends on the other cluster, so they are not counted.
 */
export function batchQueues(cluster: string, plans: readonly MigrationPlan[], live: ClusterMigrations): BatchQueue[] {
  const limits = migrationLimits(live.kubevirt);
  const running = runningMigrations(live);
  const receiving = runningOnNode(live, running, '');
  const batches = [...new Set(plans.filter((p) => p.destination.cluster === cluster).map((p) => p.batch))].sort((a, b) => a - b);
  return batches.map((batch, index) => {
    const incoming = plans.filter((p) => p.destination.cluster === cluster && p.batch === batch);
    // Rounds in config order: a round takes migrations while both limits have room. What runs now shares the first
    // batch's first round (a later batch starts once the one before succeeded); when it fills both, it comes first.
    const rounds: MigrationPlan[][] = [];
    let round: MigrationPlan[] = [];
    const first = index === 0 ? { node: receiving.length, cluster: running.length } : { node: 0, cluster: 0 };
    let [nodeFree, clusterFree] = [limits.parallelOutboundMigrationsPerNode - first.node, limits.parallelMigrationsPerCluster - first.cluster];
    const behindRunning = nodeFree < 1 || clusterFree < 1;
    if (behindRunning) [nodeFree, clusterFree] = [limits.parallelOutboundMigrationsPerNode, limits.parallelMigrationsPerCluster];
    for (const plan of incoming) {
      const weight = plan.source.cluster === plan.destination.cluster ? 2 : 1;
      if (round.length > 0 && (nodeFree < 1 || clusterFree < weight)) {
        rounds.push(round);
        round = [];
        [nodeFree, clusterFree] = [limits.parallelOutboundMigrationsPerNode, limits.parallelMigrationsPerCluster];
      }
      round.push(plan);
      nodeFree -= 1;
      clusterFree -= weight;
    }
    rounds.push(round);
    const longest = (seconds: (plan: MigrationPlan) => number) => rounds.map((r) => Math.max(...r.map(seconds)));
    const completionOf = (p: MigrationPlan) => (limits.completionTimeoutPerGiB > 0 ? limits.completionTimeoutPerGiB * Math.ceil(migrationDataBytes(p) / GB) : Infinity);
    const completion = longest(completionOf);
    // A transfer slower than its completion timeout is aborted at it: no round lasts longer.
    const transfer =
      limits.bandwidthPerMigration === undefined ? undefined : longest((p) => Math.min(completionOf(p), Math.ceil(migrationDataBytes(p) / limits.bandwidthPerMigration!)));
    const before = (times: readonly number[], index: number) => times.slice(0, index).reduce((a, b) => a + b, 0);
    const hookDeadlines = rounds.flatMap((r, index) =>
      r.flatMap((plan) => {
        const migrationTimeoutSeconds = plan.hook?.migrationTimeoutSeconds ?? DEFAULT_MIGRATION_TIMEOUT_SECONDS;
        const queuedMostSeconds = before(completion, index);
        if (!plan.hook?.wait || queuedMostSeconds < migrationTimeoutSeconds) return [];
        return [{ migration: plan.name, ...(Number.isFinite(queuedMostSeconds) && { queuedMostSeconds }), ...(transfer && { queuedLeastSeconds: before(transfer, index) }), migrationTimeoutSeconds }];
      }),
    );
    const sameCluster = incoming.some((p) => p.source.cluster === p.destination.cluster);
    const byCluster = Math.floor(limits.parallelMigrationsPerCluster / (sameCluster ? 2 : 1));
    const [limit, atATime] =
      limits.parallelOutboundMigrationsPerNode <= byCluster
        ? (['parallelOutboundMigrationsPerNode', limits.parallelOutboundMigrationsPerNode] as const)
        : (['parallelMigrationsPerCluster', Math.max(1, byCluster)] as const);
    return {
      cluster,
      batch,
      migrations: incoming.length,
      limits,
      runningNow: running.length,
      receivingNow: receiving.length,
      behindRunning,
      limit,
      atATime,
      rounds: rounds.length,
      ...(transfer && { leastSeconds: before(transfer, transfer.length) }),
      ...(limits.completionTimeoutPerGiB > 0 && { mostSeconds: before(completion, completion.length) }),
      hookDeadlines,
    };
  });
}
