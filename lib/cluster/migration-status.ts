import { parseQuantity, quantityValue } from '../kubernetes/quantity.ts';
import type { MigrationPlan } from '../plan/plan.ts';
import type { ClusterApi, KubeObject } from './cluster-api.ts';
import { call, type CallContext } from './cluster-calls.ts';
import { ClusterFailure } from './cluster-failure.ts';
import { findKubeVirt } from './sync-address.ts';
import { printable } from './printable.ts';

/** NotSynced: the sync has not created the receiver yet (nothing of the migration exists at the destination). */
export type Outcome = 'Succeeded' | 'Failed' | 'InProgress' | 'NotSynced';

/** Everything `kvmigrate status` shows about one migration. */
export interface MigrationStatus {
  readonly name: string;
  readonly phase: MigrationPlan['phase'];
  readonly source: { readonly vm?: string; readonly vmi?: string };
  readonly receiver: { readonly vm?: string; readonly vmi?: string };
  readonly receiveMigration?: string;
  readonly sendMigration?: string;
  /** PreCopy, PostCopy or Paused, from the VMI's migration state. */
  readonly mode?: string;
  readonly startTimestamp?: string;
  readonly endTimestamp?: string;
  readonly elapsedSeconds?: number;
  readonly failureReason?: string;
  readonly conditions: readonly string[];
  readonly outcome: Outcome;
  /** The receive migration is Pending behind KubeVirt's parallel-migration limits (see {@link queuedBehind}). */
  readonly queued?: QueuedBehind;
  /** With outcome NotSynced: what is missing, and what creates it. */
  readonly missing?: string;
}

/** The objects of one migration as they are now; absent ones are undefined. */
export interface MigrationObjects {
  readonly sourceVm?: KubeObject;
  readonly sourceVmi?: KubeObject;
  readonly receiverVm?: KubeObject;
  readonly receiverVmi?: KubeObject;
  readonly receive?: KubeObject;
  readonly send?: KubeObject;
  /** The destination's migrations, VMIs and KubeVirt CR, when readable: whether the receive side is queued. */
  readonly destinationCluster?: ClusterMigrations;
}

type Condition = { type?: string; status?: string; reason?: string; message?: string };

function conditionsOf(object: KubeObject | undefined, ...types: string[]): string[] {
  return ((object?.status?.conditions ?? []) as Condition[])
    .filter((c) => types.length === 0 || types.includes(c.type ?? ''))
    .filter((c) => c.status === 'True')
    .map((c) => `${c.type}${c.reason ? `: ${c.reason}` : ''}${c.message ? ` (${c.message})` : ''}`);
}

/**
 * The message virt-synchronization-controller sets in a VMI's DecentralizedLiveMigrationFailure condition while its
 * receive migration waits for the source (synchronization-controller.go `waitingForSyncErrorMessage`,
 * `updateDecentralizedFailureOnTarget`): a state every receive side goes through, not a failure.
 */
const WAITING_FOR_SYNC_MESSAGE = 'waiting for incoming synchronization, unable to proceed';

/** A VMI's DecentralizedLiveMigrationFailure conditions that report a failure (not the wait for the source). */
export function decentralizedFailures(vmi: KubeObject | undefined): string[] {
  const waiting = ((vmi?.status?.conditions ?? []) as Condition[]).some((c) => c.type === 'DecentralizedLiveMigrationFailure' && c.message === WAITING_FOR_SYNC_MESSAGE);
  return waiting ? [] : conditionsOf(vmi, 'DecentralizedLiveMigrationFailure');
}

/** The limit of KubeVirt's a migration waits behind, and how full it is. */
export interface QueuedBehind {
  readonly limit: 'parallelMigrationsPerCluster' | 'parallelOutboundMigrationsPerNode';
  readonly running: number;
  readonly max: number;
}

/** What a cluster runs, for {@link queuedBehind}: every migration and VMI, and its KubeVirt CR (for the limits). */
export interface ClusterMigrations {
  readonly migrations: readonly KubeObject[];
  readonly instances: readonly KubeObject[];
  readonly kubevirt?: KubeObject;
}

/**
 * KubeVirt's migration settings that decide how a fleet queues, from the KubeVirt CR's
 * `spec.configuration.migrations`, with KubeVirt's defaults (virt-config.go `ParallelMigrationsPerClusterDefault`,
 * `ParallelOutboundMigrationsPerNodeDefault`, `BandwidthPerMigrationDefault`, `MigrationCompletionTimeoutPerGiB`, set
 * in configuration.go `defaultClusterConfig`).
 */
export interface MigrationLimits {
  readonly parallelMigrationsPerCluster: number;
  readonly parallelOutboundMigrationsPerNode: number;
  /** Bytes per second; undefined when unlimited (KubeVirt's default `0Mi`). */
  readonly bandwidthPerMigration?: number;
  /** As the CR states it, e.g. `64Mi`. */
  readonly bandwidthText?: string;
  /** Seconds per GB of a migration's data before virt-launcher aborts it (live-migration-source.go `acceptableCompletionTime`). */
  readonly completionTimeoutPerGiB: number;
}

const PARALLEL_MIGRATIONS_PER_CLUSTER = 5;
const PARALLEL_OUTBOUND_MIGRATIONS_PER_NODE = 2;
const COMPLETION_TIMEOUT_PER_GIB = 150;

export function migrationLimits(kubevirt: KubeObject | undefined): MigrationLimits {
  const migrations = kubevirt?.spec?.configuration?.migrations ?? {};
  const bandwidth = migrations.bandwidthPerMigration === undefined ? undefined : parseQuantity(migrations.bandwidthPerMigration);
  const bytesPerSecond = bandwidth && Number(quantityValue(bandwidth));
  return {
    parallelMigrationsPerCluster: Number(migrations.parallelMigrationsPerCluster ?? PARALLEL_MIGRATIONS_PER_CLUSTER),
    parallelOutboundMigrationsPerNode: Number(migrations.parallelOutboundMigrationsPerNode ?? PARALLEL_OUTBOUND_MIGRATIONS_PER_NODE),
    // vcpu.go `QuantityToMebiByte`: 0 is no limit, and libvirt takes the rest as whole MiB/s.
    ...(bytesPerSecond ? { bandwidthPerMigration: Math.max(1, Math.round(bytesPerSecond / 2 ** 20)) * 2 ** 20, bandwidthText: String(migrations.bandwidthPerMigration) } : {}),
    completionTimeoutPerGiB: Number(migrations.completionTimeoutPerGiB ?? COMPLETION_TIMEOUT_PER_GIB),
  };
}

/** `VirtualMachineInstanceMigration.IsRunning`: past the phases before a target pod, a decentralized source's Scheduling excepted. */
function isRunning(migration: KubeObject): boolean {
  const phase = migration.status?.phase ?? '';
  if (['', 'Failed', 'Pending', 'Succeeded', 'WaitingForSync', 'Synchronizing'].includes(phase)) return false;
  return !(phase === 'Scheduling' && migration.spec?.sendTo);
}

/** The migrations running in `cluster` (virt-controller migration.go `findRunningMigrations`, those `IsRunning` says run), `except` one. */
export function runningMigrations(cluster: ClusterMigrations, except?: KubeObject): KubeObject[] {
  const uid = except?.metadata?.uid;
  return cluster.migrations.filter((m) => isRunning(m) && !(uid && m.metadata?.uid === uid));
}

/**
 * Those of `running` whose VMI is on `node` or leaving it (migration.go `outboundMigrationsOnNode`). A receiver's VMI
 * has no node until virt-handler acknowledges the migration's completion (migration-target.go
 * `ackMigrationCompletion`), so for receive sides `node` is '' and they count against one another.
 */
export function runningOnNode(cluster: ClusterMigrations, running: readonly KubeObject[], node: string): KubeObject[] {
  return running.filter((m) => {
    const instance = cluster.instances.find((i) => i.metadata?.namespace === m.metadata?.namespace && i.metadata?.name === m.spec?.vmiName);
    return instance !== undefined && ((instance.status?.nodeName ?? '') === node || instance.status?.migrationState?.sourceNode === node);
  });
}

/**
 * Why a Pending migration has no target pod yet, when KubeVirt's limits hold it back (virt-controller migration.go
 * `handleTargetPodCreation`): the running migrations reach `parallelMigrationsPerCluster`, or those whose VMI is on
 * the same node reach `parallelOutboundMigrationsPerNode`. Decentralized targets go through it too (since v1.8), and
 * receive sides count against each other's "node" (see {@link runningOnNode}). Undefined when it is not queued (or
 * the migration is not Pending).
 */
export function queuedBehind(migration: KubeObject | undefined, vmi: KubeObject | undefined, cluster: ClusterMigrations): QueuedBehind | undefined {
  if (migration?.status?.phase !== 'Pending') return undefined;
  const limits = migrationLimits(cluster.kubevirt);
  const running = runningMigrations(cluster, migration);
  const perCluster = limits.parallelMigrationsPerCluster;
  if (running.length >= perCluster) return { limit: 'parallelMigrationsPerCluster', running: running.length, max: perCluster };
  const onNode = runningOnNode(cluster, running, vmi?.status?.nodeName ?? '');
  const perNode = limits.parallelOutboundMigrationsPerNode;
  return onNode.length >= perNode ? { limit: 'parallelOutboundMigrationsPerNode', running: onNode.length, max: perNode } : undefined;
}

/** `Queued (parallelMigrationsPerCluster: 5 of 5 running)`. */
export function describeQueue(queue: QueuedBehind): string {
  return `Queued (${queue.limit}: ${queue.running} of ${queue.max} running)`;
}

/** Reads what {@link queuedBehind} needs; undefined when the credentials may not list migrations and VMIs cluster-wide. */
export async function readClusterMigrations(api: ClusterApi, context: CallContext, kubevirtNamespace?: string): Promise<ClusterMigrations | undefined> {
  try {
    const migrations = (await call(context, 'list migrations in every namespace', () => api.listMigrations())) ?? [];
    const instances = (await call(context, 'list VMIs in every namespace', () => api.listInstances())) ?? [];
    return { migrations, instances, kubevirt: await findKubeVirt(api, context, kubevirtNamespace) };
  } catch (error) {
    // A namespaced user (or the hook's namespaced Roles) cannot see the whole queue: nothing is said about it.
    if (error instanceof ClusterFailure && !error.reach) return undefined;
    throw error;
  }
}

/** The state a migration shows: its outcome, or Queued while in progress behind KubeVirt's limits. */
export type MigrationState = Outcome | 'Queued';

export function stateOf(status: MigrationStatus): MigrationState {
  return status.outcome === 'InProgress' && status.queued ? 'Queued' : status.outcome;
}

/** Every string of `status` made printable: all of it comes from the cluster (see `printable`). */
function printableStatus(status: MigrationStatus): MigrationStatus {
  const clean = (value: unknown): unknown =>
    typeof value === 'string' ? printable(value) : Array.isArray(value) ? value.map(clean) : value;
  return Object.fromEntries(
    Object.entries(status).map(([key, value]) => [key, value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)])) : clean(value)]),
  ) as unknown as MigrationStatus;
}

/** What the objects say, as one status, every string safe to print. Pure, so it is tested without a cluster. */
export function summarize(plan: MigrationPlan, objects: MigrationObjects, now: Date): MigrationStatus {
  return printableStatus(summarizeRaw(plan, objects, now));
}

function summarizeRaw(plan: MigrationPlan, objects: MigrationObjects, now: Date): MigrationStatus {
  const { receive, send } = objects;
  // Live progress is on the VMIs; the migrations copy it only at the end.
  const state = objects.sourceVmi?.status?.migrationState ?? objects.receiverVmi?.status?.migrationState ?? receive?.status?.migrationState ?? {};
  const receivePhase: string = receive?.status?.phase ?? '';
  const failed = [receive, send].find((m) => m?.status?.phase === 'Failed');
  const succeeded = receivePhase === 'Succeeded' || (plan.phase === 'cutover' && objects.receiverVm?.spec?.runStrategy !== 'WaitAsReceiver');
  // Before the first sync of the receiver there is nothing at the destination: not a migration in progress.
  const notSynced = plan.phase === 'migrate' && !objects.receiverVm && !receive && !send;
  const outcome: Outcome = failed ? 'Failed' : succeeded ? 'Succeeded' : notSynced ? 'NotSynced' : 'InProgress';
  const start = state.startTimestamp ? Date.parse(state.startTimestamp) : undefined;
  const end = state.endTimestamp ? Date.parse(state.endTimestamp) : undefined;
  return {
    name: plan.name,
    phase: plan.phase,
    source: { vm: objects.sourceVm?.status?.printableStatus, vmi: objects.sourceVmi?.status?.phase },
    receiver: { vm: objects.receiverVm?.status?.printableStatus, vmi: objects.receiverVmi?.status?.phase },
    receiveMigration: receive ? receivePhase || 'Pending' : undefined,
    sendMigration: send ? (send.status?.phase ?? 'Pending') : undefined,
    mode: state.mode,
    startTimestamp: state.startTimestamp,
    endTimestamp: state.endTimestamp,
    elapsedSeconds: start !== undefined ? Math.max(0, Math.round(((end ?? now.getTime()) - start) / 1000)) : undefined,
    failureReason: failed?.status?.migrationState?.failureReason ?? state.failureReason,
    conditions: [...conditionsOf(failed), ...decentralizedFailures(objects.sourceVmi), ...decentralizedFailures(objects.receiverVmi)],
    outcome,
    queued: outcome === 'InProgress' && objects.destinationCluster ? queuedBehind(receive, objects.receiverVmi, objects.destinationCluster) : undefined,
    ...(notSynced && {
      missing: `not synced yet: no receiver VM ${plan.destination.namespace}/${plan.vm} and no migrations; commit the synthesized folder and let Argo CD sync it`,
    }),
  };
}

/** The clusters a migration's objects live in. */
export interface StatusClusters {
  readonly source: ClusterApi;
  readonly destination: ClusterApi;
}

/** Reads a migration's objects (VMs, VMIs and both migrations) from both ends. */
export async function readMigrationObjects(plan: MigrationPlan, clusters: StatusClusters, context: CallContext): Promise<MigrationObjects> {
  const { source, destination } = clusters;
  const [src, dst] = [plan.source.namespace, plan.destination.namespace];
  const receive = await call(context, `read migration ${dst}/${plan.receiveMigrationName}`, () => destination.getMigration(dst, plan.receiveMigrationName));
  return {
    sourceVm: await call(context, `read VM ${src}/${plan.vm}`, () => source.getVirtualMachine(src, plan.vm)),
    sourceVmi: await call(context, `read VMI ${src}/${plan.vm}`, () => source.getInstance(src, plan.vm)),
    receiverVm: await call(context, `read VM ${dst}/${plan.vm}`, () => destination.getVirtualMachine(dst, plan.vm)),
    receiverVmi: await call(context, `read VMI ${dst}/${plan.vm}`, () => destination.getInstance(dst, plan.vm)),
    receive,
    send: await call(context, `read migration ${src}/${plan.sendMigrationName}`, () => source.getMigration(src, plan.sendMigrationName)),
    // Only a Pending receive side can be queued: the whole cluster is read for it alone.
    destinationCluster: receive?.status?.phase === 'Pending' ? await readClusterMigrations(destination, context, plan.hook?.kubevirtNamespace) : undefined,
  };
}
