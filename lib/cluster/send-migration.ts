import { MANAGED_BY, MANAGED_BY_LABEL, MIGRATION_ID_ANNOTATION } from '../constructs/labels.ts';
import { classify, describeFailure } from './api-errors.ts';
import type { ClusterApi, KubeObject } from './cluster-api.ts';
import { call, Deadline, sleep, type CallContext } from './cluster-calls.ts';
import { ClusterFailure } from './cluster-failure.ts';
import type { StepLog } from './step-log.ts';
import { lookUpSyncAddress } from './sync-address.ts';

export interface SendMigrationOptions {
  /** Namespace of the source VM, where the sendTo migration is created. */
  readonly sourceNamespace: string;
  /** The VM instance to move. */
  readonly vmi: string;
  readonly migrationID: string;
  /** Name of the sendTo migration. */
  readonly name: string;
  /** Namespace of the receiver VM and its receive migration. */
  readonly destinationNamespace: string;
  /** Where the destination's KubeVirt lives; searched in kubevirt and openshift-cnv when absent. */
  readonly kubevirtNamespace?: string;
  /** A static address; skips discovery. */
  readonly connectURL?: string;
  /** How long to wait for the receive side and the address. */
  readonly timeoutSeconds: number;
  /** Follow both migrations until the end. */
  readonly wait: boolean;
  /** With `wait`: how long to follow the transfer, on a clock of its own that starts once the sendTo migration exists. */
  readonly migrationTimeoutSeconds: number;
  /** Base interval between polls and retries. */
  readonly pollMs: number;
}

/** Receiver instance phases from which the receive side is ready for the sending side. */
const RECEIVER_READY_PHASES = new Set(['WaitingForSync', 'Scheduling', 'Scheduled', 'Running']);

const phaseOf = (object: KubeObject | undefined): string => object?.status?.phase || '(none)';

function failureOf(migration: KubeObject): string {
  const reason = migration.status?.migrationState?.failureReason;
  const conditions = (migration.status?.conditions ?? []) as { type?: string; status?: string; reason?: string; message?: string }[];
  const listed = conditions.map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`);
  return [reason ? `failureReason: ${reason}` : 'no failureReason reported', ...(listed.length > 0 ? [`conditions: ${listed.join(', ')}`] : [])].join('; ');
}

/** The receive migration of this migrationID in the destination namespace, if it exists yet. */
async function findReceive(destination: ClusterApi, context: CallContext, options: SendMigrationOptions): Promise<KubeObject | undefined> {
  const migrations = (await call(context, `list migrations in ${options.destinationNamespace}`, () => destination.listMigrations(options.destinationNamespace))) ?? [];
  return migrations.find((m) => m.spec?.receive?.migrationID === options.migrationID);
}

function failedMigration(side: string, migration: KubeObject): ClusterFailure {
  return new ClusterFailure(`${side} migration ${migration.metadata?.namespace}/${migration.metadata?.name} Failed: ${failureOf(migration)}`);
}

/** What is wrong with an existing object of our name, or undefined when it is the sendTo migration we would create. */
function differenceFrom(existing: KubeObject, options: SendMigrationOptions): string | undefined {
  const spec = existing.spec ?? {};
  if (!spec.sendTo) return `it is not a sendTo migration (spec: ${JSON.stringify(spec)})`;
  const differences = [
    spec.sendTo.migrationID !== options.migrationID && `migrationID is "${spec.sendTo.migrationID}", not "${options.migrationID}"`,
    spec.vmiName !== options.vmi && `vmiName is "${spec.vmiName}", not "${options.vmi}"`,
  ].filter(Boolean);
  return differences.length > 0 ? differences.join('; ') : undefined;
}

/**
 * Creates the sendTo migration of a decentralized live migration once the receive side is ready, with the address of
 * the destination's synchronization controller read as late as possible. Idempotent: a re-run after success, or with
 * the migration already created, changes nothing. Throws ClusterFailure when the migration cannot go on or failed.
 */
export async function sendMigration(source: ClusterApi, destination: ClusterApi, options: SendMigrationOptions, log: StepLog): Promise<void> {
  const context: CallContext = { log, deadline: new Deadline(options.timeoutSeconds), pollMs: options.pollMs };
  const target = `${options.sourceNamespace}/${options.name}`;

  // 1. What is already there: hooks re-run on every sync and on retries.
  const existing = await call(context, `read migration ${target}`, () => source.getMigration(options.sourceNamespace, options.name));
  if (existing) {
    const difference = differenceFrom(existing, options);
    if (difference) throw new ClusterFailure(`migration ${target} exists but is not ours to reuse: ${difference}`);
    log.info('exists', `sendTo migration ${target} already exists for migrationID ${options.migrationID} (phase ${phaseOf(existing)})`);
    if (options.wait) await follow(source, destination, options, log);
    return;
  }
  const settled = await findReceive(destination, context, options);
  if (settled?.status?.phase === 'Succeeded') {
    log.info('done', `receive migration ${options.destinationNamespace}/${settled.metadata?.name} already Succeeded; nothing to do`);
    return;
  }
  if (settled?.status?.phase === 'Failed') {
    throw failedMigration('receive', settled);
  }

  // 2 and 3. Wait for the receive side, then for an address, saying what is missing whenever that changes.
  let waitingFor = '';
  const waiting = (what: string) => {
    if (what !== waitingFor) log.info('wait', `waiting for ${what}`);
    waitingFor = what;
  };
  let address: { address: string; source: string } | undefined;
  while (!address) {
    const receive = await findReceive(destination, context, options);
    if (receive?.status?.phase === 'Failed') throw failedMigration('receive', receive);
    const receiver = receive && (await call(context, `read VMI ${options.destinationNamespace}/${options.vmi}`, () => destination.getInstance(options.destinationNamespace, options.vmi)));
    if (!receive) waiting(`the receive migration for migrationID ${options.migrationID} in ${options.destinationNamespace} (on ${destination.server})`);
    else if (!receiver || !RECEIVER_READY_PHASES.has(receiver.status?.phase)) waiting(`receiver VMI ${options.destinationNamespace}/${options.vmi} to be WaitingForSync (now: ${receiver ? phaseOf(receiver) : 'absent'})`);
    else {
      const lookup = await lookUpSyncAddress(destination, context, { connectURL: options.connectURL, kubevirtNamespace: options.kubevirtNamespace, receiveMigration: receive });
      if (lookup.address !== undefined) address = lookup;
      else waiting(lookup.missing);
    }
    if (address) break;
    if (context.deadline.remainingMs < options.pollMs) throw new ClusterFailure(`timed out after ${options.timeoutSeconds}s waiting for ${waitingFor}`);
    await sleep(options.pollMs);
  }
  log.info('address', `synchronization address ${address.address} (from ${address.source})`);

  // 4. Create the sendTo migration, without Argo CD's tracking marks (Argo would prune it).
  const body: KubeObject = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: {
      name: options.name,
      namespace: options.sourceNamespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations: { [MIGRATION_ID_ANNOTATION]: options.migrationID },
    },
    spec: { vmiName: options.vmi, sendTo: { migrationID: options.migrationID, connectURL: address.address } },
  };
  try {
    await call(context, `create migration ${target}`, () => source.createMigration(options.sourceNamespace, body));
    log.info('created', `created sendTo migration ${target} -> ${address.address}`);
  } catch (error) {
    if (classify(error) !== 'conflict') throw error;
    // Another run created it between our read and our create.
    const raced = await call(context, `read migration ${target}`, () => source.getMigration(options.sourceNamespace, options.name));
    const difference = raced ? differenceFrom(raced, options) : `it vanished after the create conflict (${describeFailure(error)})`;
    if (difference) throw new ClusterFailure(`migration ${target} exists but is not ours to reuse: ${difference}`);
    log.info('exists', `sendTo migration ${target} was created concurrently for migrationID ${options.migrationID}`);
  }
  if (options.wait) await follow(source, destination, options, log);
}

/** 5. Prints phase changes of both migrations until the receive side ends. */
async function follow(source: ClusterApi, destination: ClusterApi, options: SendMigrationOptions, log: StepLog): Promise<void> {
  const context: CallContext = { log, deadline: new Deadline(options.migrationTimeoutSeconds), pollMs: options.pollMs };
  let last = '';
  for (;;) {
    const send = await call(context, `read migration ${options.sourceNamespace}/${options.name}`, () => source.getMigration(options.sourceNamespace, options.name));
    const receive = await findReceive(destination, context, options);
    // virt-controller usually deletes the sending side after success: the receive side decides.
    const state = `send ${send ? phaseOf(send) : '(deleted)'}, receive ${phaseOf(receive)}`;
    if (state !== last) log.info('progress', state);
    last = state;
    if (receive?.status?.phase === 'Succeeded') return;
    for (const [side, migration] of [['receive', receive], ['sendTo', send]] as const) {
      if (migration?.status?.phase === 'Failed') throw failedMigration(side, migration);
    }
    if (context.deadline.remainingMs < options.pollMs) throw new ClusterFailure(`timed out after ${options.migrationTimeoutSeconds}s (hook.migrationTimeoutSeconds) waiting for the migration to finish (${state})`);
    await sleep(options.pollMs);
  }
}
