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
  /** Name of the receive migration, which the hook creates once the receiver is parked. */
  readonly receiveName: string;
  /** Where the destination's KubeVirt lives; searched in kubevirt and openshift-cnv when absent. */
  readonly kubevirtNamespace?: string;
  /** A static address; skips discovery. */
  readonly connectURL?: string;
  /** Only the address KubeVirt publishes on the receive migration: no access to KubeVirt's namespace needed. */
  readonly publishedOnly?: boolean;
  /** How long to wait for the receive side and the address. */
  readonly timeoutSeconds: number;
  /** Follow both migrations until the end. */
  readonly wait: boolean;
  /** With `wait`: how long to follow the transfer, on a clock of its own that starts once the sendTo migration exists. */
  readonly migrationTimeoutSeconds: number;
  /** Base interval between polls and retries. */
  readonly pollMs: number;
}

/** Receiver instance phases from which the receive side is ready for the migrations. */
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

/** What is wrong with an existing object of our name, or undefined when it is the migration we would create. */
function differenceFrom(existing: KubeObject, wanted: KubeObject): string | undefined {
  const spec = existing.spec ?? {};
  const side = wanted.spec.sendTo ? 'sendTo' : 'receive';
  if (!spec[side]) return `it is not a ${side} migration (spec: ${JSON.stringify(spec)})`;
  const differences = [
    spec[side].migrationID !== wanted.spec[side].migrationID && `migrationID is "${spec[side].migrationID}", not "${wanted.spec[side].migrationID}"`,
    spec.vmiName !== wanted.spec.vmiName && `vmiName is "${spec.vmiName}", not "${wanted.spec.vmiName}"`,
  ].filter(Boolean);
  return differences.length > 0 ? differences.join('; ') : undefined;
}

/** A migration object as the hook creates it: kvmigrate's label and ID, no Argo CD tracking marks (Argo would prune it). */
export function hookMigrationObject(name: string, namespace: string, options: Pick<SendMigrationOptions, 'vmi' | 'migrationID'>, side: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY }, annotations: { [MIGRATION_ID_ANNOTATION]: options.migrationID } },
    spec: { vmiName: options.vmi, ...side },
  };
}

/**
 * Creates `body` unless it exists; an object of that name that is not `body`'s migration is a failure. A one-shot
 * object is only ever created here, after reading the cluster: never re-created blindly by a sync.
 */
async function ensureMigration(api: ClusterApi, context: CallContext, body: KubeObject, what: string, readFirst = true): Promise<'created' | 'exists'> {
  const { name, namespace } = body.metadata as { name: string; namespace: string };
  const target = `${namespace}/${name}`;
  const check = (existing: KubeObject | undefined, fault?: unknown): 'exists' => {
    const difference = existing ? differenceFrom(existing, body) : `it vanished after the create conflict (${describeFailure(fault)})`;
    if (difference) throw new ClusterFailure(`migration ${target} exists but is not ours to reuse: ${difference}`);
    return 'exists';
  };
  const existing = readFirst ? await call(context, `read ${what} ${target}`, () => api.getMigration(namespace, name)) : undefined;
  if (existing) return check(existing);
  try {
    await call(context, `create ${what} ${target}`, () => api.createMigration(namespace, body));
    return 'created';
  } catch (error) {
    if (classify(error) !== 'conflict') throw error;
    // Another run created it between our read and our create.
    return check(await call(context, `read ${what} ${target}`, () => api.getMigration(namespace, name)), error);
  }
}

/**
 * Whether the VM has already arrived: KubeVirt copies the restore annotation into the receiver's runStrategy on
 * success (vm.go), and deletes finished migrations once their VMI is gone (migration.go). A sync after that must
 * create nothing: a new migration would be refused, or would start a bogus one.
 */
async function arrived(destination: ClusterApi, context: CallContext, options: SendMigrationOptions): Promise<string | undefined> {
  const receiver = await call(context, `read VirtualMachine ${options.destinationNamespace}/${options.vmi}`, () =>
    destination.getVirtualMachine(options.destinationNamespace, options.vmi),
  );
  const strategy = receiver?.spec?.runStrategy;
  if (receiver && strategy !== 'WaitAsReceiver') return `receiver VM ${options.destinationNamespace}/${options.vmi} has arrived (runStrategy ${strategy ?? 'unset'})`;
  const receive = await findReceive(destination, context, options);
  if (receive?.status?.phase === 'Succeeded') return `receive migration ${options.destinationNamespace}/${receive.metadata?.name} already Succeeded`;
  if (receive?.status?.phase === 'Failed') throw failedMigration('receive', receive);
  return undefined;
}

/**
 * Drives one decentralized live migration from the cluster's state, so every sync may run it again: once the receiver
 * is parked it creates the receive migration, reads the synchronization controller's address as late as possible,
 * and creates the sendTo migration. Idempotent: after arrival, or with the migrations already there, it changes
 * nothing. Throws ClusterFailure when the migration cannot go on or failed.
 */
export async function sendMigration(source: ClusterApi, destination: ClusterApi, options: SendMigrationOptions, log: StepLog): Promise<void> {
  const context: CallContext = { log, deadline: new Deadline(options.timeoutSeconds), pollMs: options.pollMs };
  const target = `${options.sourceNamespace}/${options.name}`;

  // 1. What is already there: hooks re-run on every sync and on retries.
  const done = await arrived(destination, context, options);
  if (done) {
    log.info('done', `${done}; nothing to do`);
    return;
  }
  const existing = await call(context, `read migration ${target}`, () => source.getMigration(options.sourceNamespace, options.name));
  if (existing) {
    const difference = differenceFrom(existing, hookMigrationObject(options.name, options.sourceNamespace, options, { sendTo: { migrationID: options.migrationID, connectURL: '' } }));
    if (difference) throw new ClusterFailure(`migration ${target} exists but is not ours to reuse: ${difference}`);
    if (existing.status?.phase === 'Failed') throw failedMigration('sendTo', existing);
    log.info('exists', `sendTo migration ${target} already exists for migrationID ${options.migrationID} (phase ${phaseOf(existing)})`);
    if (options.wait) await follow(source, destination, options, log);
    return;
  }

  // 2. The receiver parked, then the receive migration (KubeVirt refuses it before the receiver's VMI exists).
  let waitingFor = '';
  const waiting = (what: string) => {
    if (what !== waitingFor) log.info('wait', `waiting for ${what}`);
    waitingFor = what;
  };
  const pause = async () => {
    if (context.deadline.remainingMs < options.pollMs) throw new ClusterFailure(`timed out after ${options.timeoutSeconds}s waiting for ${waitingFor}`);
    await sleep(options.pollMs);
  };
  for (;;) {
    const receiver = await call(context, `read VMI ${options.destinationNamespace}/${options.vmi}`, () => destination.getInstance(options.destinationNamespace, options.vmi));
    if (receiver && RECEIVER_READY_PHASES.has(receiver.status?.phase)) break;
    waiting(`receiver VMI ${options.destinationNamespace}/${options.vmi} to be WaitingForSync (now: ${receiver ? phaseOf(receiver) : 'absent'}, on ${destination.server})`);
    await pause();
  }
  const receiveBody = hookMigrationObject(options.receiveName, options.destinationNamespace, options, { receive: { migrationID: options.migrationID } });
  const receiveState = await ensureMigration(destination, context, receiveBody, 'receive migration');
  log.info(receiveState, `receive migration ${options.destinationNamespace}/${options.receiveName} ${receiveState === 'created' ? 'created' : 'already exists'} for migrationID ${options.migrationID}`);

  // 3. The address, as late as possible.
  let address: { address: string; source: string } | undefined;
  for (;;) {
    const receive = await findReceive(destination, context, options);
    if (receive?.status?.phase === 'Failed') throw failedMigration('receive', receive);
    const lookup = await lookUpSyncAddress(destination, context, {
      connectURL: options.connectURL,
      kubevirtNamespace: options.kubevirtNamespace,
      receiveMigration: receive ?? receiveBody,
      publishedOnly: options.publishedOnly,
    });
    if (lookup.address !== undefined) {
      address = lookup;
      break;
    }
    waiting(lookup.missing);
    await pause();
  }
  log.info('address', `synchronization address ${address.address} (from ${address.source})`);

  // 4. The sendTo migration.
  const sendBody = hookMigrationObject(options.name, options.sourceNamespace, options, { sendTo: { migrationID: options.migrationID, connectURL: address.address } });
  // Step 1 read it: absent then.
  const sendState = await ensureMigration(source, context, sendBody, 'migration', false);
  log.info(sendState, sendState === 'created' ? `created sendTo migration ${target} -> ${address.address}` : `sendTo migration ${target} was created concurrently for migrationID ${options.migrationID}`);
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
