import type { MigrationPlan } from '../plan/plan.ts';
import type { ClusterApi, KubeObject } from './cluster-api.ts';
import { call, type CallContext } from './cluster-calls.ts';
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
}

type Condition = { type?: string; status?: string; reason?: string; message?: string };

function conditionsOf(object: KubeObject | undefined, ...types: string[]): string[] {
  return ((object?.status?.conditions ?? []) as Condition[])
    .filter((c) => types.length === 0 || types.includes(c.type ?? ''))
    .filter((c) => c.status === 'True')
    .map((c) => `${c.type}${c.reason ? `: ${c.reason}` : ''}${c.message ? ` (${c.message})` : ''}`);
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
    conditions: [...conditionsOf(failed), ...conditionsOf(objects.sourceVmi, 'DecentralizedLiveMigrationFailure'), ...conditionsOf(objects.receiverVmi, 'DecentralizedLiveMigrationFailure')],
    outcome,
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
  return {
    sourceVm: await call(context, `read VM ${src}/${plan.vm}`, () => source.getVirtualMachine(src, plan.vm)),
    sourceVmi: await call(context, `read VMI ${src}/${plan.vm}`, () => source.getInstance(src, plan.vm)),
    receiverVm: await call(context, `read VM ${dst}/${plan.vm}`, () => destination.getVirtualMachine(dst, plan.vm)),
    receiverVmi: await call(context, `read VMI ${dst}/${plan.vm}`, () => destination.getInstance(dst, plan.vm)),
    receive: await call(context, `read migration ${dst}/${plan.receiveMigrationName}`, () => destination.getMigration(dst, plan.receiveMigrationName)),
    send: await call(context, `read migration ${src}/${plan.sendMigrationName}`, () => source.getMigration(src, plan.sendMigrationName)),
  };
}
