import { MANAGED_BY, MANAGED_BY_LABEL, MIGRATION_ID_ANNOTATION } from '../constructs/labels.ts';
import { classify, describeFailure } from './api-errors.ts';
import type { ClusterApi, KubeObject } from './cluster-api.ts';
import { call, Deadline, sleep, type CallContext } from './cluster-calls.ts';
import { ClusterFailure } from './cluster-failure.ts';
import type { StepLog } from './step-log.ts';
import { chooseAddress, type AddressChoice } from './address-probe.ts';
import { conflictingMigrations, FINISHED_MIGRATION_PHASES, notMigratable } from './migration-admission.ts';
import { decentralizedFailures, describeQueue, queuedBehind, readClusterMigrations } from './migration-status.ts';
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
  /** With `wait`: how long the sendTo migration may stay Synchronizing (it never reached the receiver) before the hook gives up. */
  readonly synchronizingTimeoutSeconds: number;
  /** Which of the published addresses to take: a family, and whether to probe them. */
  readonly addressChoice: AddressChoice;
  /** Base interval between polls and retries. */
  readonly pollMs: number;
}

/**
 * A failure after which this attempt cannot go on: the hook deletes the receive migration it created, so the receiver's
 * VMI is free for a retry (KubeVirt admits one unfinished migration per VMI).
 */
class Unrecoverable extends ClusterFailure {}

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
  return new Unrecoverable(`${side} migration ${migration.metadata?.namespace}/${migration.metadata?.name} Failed: ${failureOf(migration)}`);
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
  let refusal: unknown;
  try {
    await call(context, `create ${what} ${target}`, () =>
      api.createMigration(namespace, body).catch((error: unknown) => {
        if (classify(error) === 'fatal') refusal = error;
        throw error;
      }),
    );
    return 'created';
  } catch (error) {
    // KubeVirt's admission refused it: no retry will change that.
    if (refusal && error instanceof ClusterFailure) throw new Unrecoverable(error.message);
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
  try {
    await drive(source, destination, options, log);
  } catch (error) {
    if (error instanceof Unrecoverable) await withdrawReceive(destination, options, log);
    throw error;
  }
}

/** How long the clean-up after a failure may take: the run's own deadline may be over by then. */
const WITHDRAW_SECONDS = 30;

/**
 * Deletes this attempt's receive migration, and only it: by name, and only when it carries kvmigrate's label and this
 * migrationID (the delete's uid precondition keeps a namesake created meanwhile). Since v1.7 deleting either side of a
 * decentralized migration cancels both (the synchronization controller carries the cancel to the other side:
 * synchronization-controller.go, target-initiated cancel, `needsOrphanSourceAbortSync`), so the sendTo side goes
 * too. A failure here is logged: the failure that led here is the one reported.
 */
async function withdrawReceive(destination: ClusterApi, options: SendMigrationOptions, log: StepLog): Promise<void> {
  const context: CallContext = { log, deadline: new Deadline(WITHDRAW_SECONDS), pollMs: options.pollMs };
  const target = `${options.destinationNamespace}/${options.receiveName}`;
  try {
    const receive = await call(context, `read receive migration ${target}`, () => destination.getMigration(options.destinationNamespace, options.receiveName));
    if (!receive || FINISHED_MIGRATION_PHASES.has(receive.status?.phase)) return;
    const ours =
      receive.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY &&
      receive.metadata?.annotations?.[MIGRATION_ID_ANNOTATION] === options.migrationID &&
      receive.spec?.receive?.migrationID === options.migrationID;
    if (!ours) {
      log.info('cleanup', `receive migration ${target} is not this hook's (label ${MANAGED_BY_LABEL}=${MANAGED_BY} and migrationID ${options.migrationID}): left alone`);
      return;
    }
    await call(context, `delete receive migration ${target}`, () => destination.deleteMigration(options.destinationNamespace, options.receiveName, receive.metadata!.uid as string));
    log.info('cleanup', `deleted receive migration ${target} (KubeVirt cancels the sendTo side with it), so a retry starts clean`);
  } catch (error) {
    log.error('cleanup', `could not delete receive migration ${target}: ${error instanceof Error ? error.message : String(error)}; delete it before a retry (kubectl delete vmim -n ${options.destinationNamespace} ${options.receiveName})`);
  }
}

/**
 * The source side as KubeVirt's create admitter will judge the sendTo migration (migration-create-admitter.go): the
 * VMI exists and runs (a sendTo only leaves Pending for a running VMI), is live-migratable (`isMigratable`), and is
 * in no other unfinished migration (`ensureNoMigrationConflict`). Checked before the receive migration exists, so a
 * sendTo that would be refused never leaves a receive side waiting for it.
 */
async function checkSource(source: ClusterApi, context: CallContext, options: SendMigrationOptions): Promise<void> {
  const name = `${options.sourceNamespace}/${options.vmi}`;
  const vmi = await call(context, `read source VMI ${name}`, () => source.getInstance(options.sourceNamespace, options.vmi));
  if (!vmi) throw new Unrecoverable(`source VMI ${name} does not exist (on ${source.server}): start the source VM; nothing was created`);
  if (vmi.status?.phase !== 'Running') throw new Unrecoverable(`source VMI ${name} is ${phaseOf(vmi)}, not Running: only a running VM migrates live; nothing was created`);
  const refusal = notMigratable(vmi);
  if (refusal) {
    throw new Unrecoverable(`source VMI ${name} is not live-migratable (LiveMigratable=False, ${refusal.reason ?? 'no reason'}${refusal.message ? `: ${refusal.message}` : ''}): KubeVirt would refuse the sendTo migration; nothing was created`);
  }
  const migrations = (await call(context, `list migrations in ${options.sourceNamespace}`, () => source.listMigrations(options.sourceNamespace))) ?? [];
  // Our own sendTo, created meanwhile by a concurrent run, is no conflict: ensureMigration takes it over.
  const ownSend = hookMigrationObject(options.name, options.sourceNamespace, options, { sendTo: { migrationID: options.migrationID, connectURL: '' } });
  const conflict = conflictingMigrations(migrations, options.vmi).find((m) => m.metadata?.name !== options.name || differenceFrom(m, ownSend) !== undefined);
  if (conflict) {
    throw new Unrecoverable(
      `source VMI ${name} is already in migration ${conflict.metadata?.name} (phase ${phaseOf(conflict)}): KubeVirt admits one unfinished migration per VMI; ` +
        `wait for it to end or delete it (kubectl delete vmim -n ${options.sourceNamespace} ${conflict.metadata?.name}), then sync again; nothing was created`,
    );
  }
}

async function drive(source: ClusterApi, destination: ClusterApi, options: SendMigrationOptions, log: StepLog): Promise<void> {
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
  await checkSource(source, context, options);
  const receiveBody = hookMigrationObject(options.receiveName, options.destinationNamespace, options, { receive: { migrationID: options.migrationID } });
  const receiveState = await ensureMigration(destination, context, receiveBody, 'receive migration');
  log.info(receiveState, `receive migration ${options.destinationNamespace}/${options.receiveName} ${receiveState === 'created' ? 'created' : 'already exists'} for migrationID ${options.migrationID}`);

  // 3. The address, as late as possible.
  let address: { address: string; source: string };
  for (;;) {
    const receive = await findReceive(destination, context, options);
    if (receive?.status?.phase === 'Failed') throw failedMigration('receive', receive);
    const lookup = await lookUpSyncAddress(destination, context, {
      connectURL: options.connectURL,
      kubevirtNamespace: options.kubevirtNamespace,
      receiveMigration: receive ?? receiveBody,
      publishedOnly: options.publishedOnly,
    });
    // A static --connect-url is taken as it is.
    const chosen = lookup.addresses && (options.connectURL ? lookup.addresses[0] : await chooseAddress(lookup.addresses, options.addressChoice, log));
    if (lookup.addresses && chosen !== undefined) {
      address = { address: chosen, source: lookup.source };
      break;
    }
    waiting(lookup.addresses ? `an ${options.addressChoice.family} address (${lookup.source} has ${lookup.addresses.join(', ')})` : lookup.missing);
    try {
      await pause();
    } catch (error) {
      // The receive migration exists and waits for a sendTo that will not come.
      throw error instanceof ClusterFailure ? new Unrecoverable(error.message) : error;
    }
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
  let synchronizingSince: number | undefined;
  let queueReadable = true;
  for (;;) {
    const send = await call(context, `read migration ${options.sourceNamespace}/${options.name}`, () => source.getMigration(options.sourceNamespace, options.name));
    const receive = await findReceive(destination, context, options);
    const receiver = await call(context, `read VMI ${options.destinationNamespace}/${options.vmi}`, () => destination.getInstance(options.destinationNamespace, options.vmi));
    // Only a Pending receive side can be queued; the whole cluster is read for it, when the credentials allow.
    const cluster = queueReadable && receive?.status?.phase === 'Pending' ? await readClusterMigrations(destination, context, options.kubevirtNamespace) : undefined;
    if (queueReadable && receive?.status?.phase === 'Pending' && !cluster) queueReadable = false;
    const queue = cluster && queuedBehind(receive, receiver, cluster);
    // virt-controller usually deletes the sending side after success: the receive side decides.
    const failures = decentralizedFailures(receiver);
    const state = `send ${send ? phaseOf(send) : '(deleted)'}, receive ${queue ? describeQueue(queue) : phaseOf(receive)}${failures.length > 0 ? ` (receiver VMI: ${failures.join('; ')})` : ''}`;
    if (state !== last) log.info('progress', state);
    last = state;
    if (receive?.status?.phase === 'Succeeded') return;
    for (const [side, migration] of [['receive', receive], ['sendTo', send]] as const) {
      if (migration?.status?.phase === 'Failed') throw failedMigration(side, migration);
    }
    // Upstream has no bound here: a sendTo whose first contact failed (the leader changed in between) waits forever.
    synchronizingSince = send?.status?.phase === 'Synchronizing' ? (synchronizingSince ?? Date.now()) : undefined;
    if (synchronizingSince !== undefined && Date.now() - synchronizingSince > options.synchronizingTimeoutSeconds * 1000) {
      throw new Unrecoverable(
        `sendTo migration ${options.sourceNamespace}/${options.name} stayed Synchronizing for ${options.synchronizingTimeoutSeconds}s (hook.synchronizingTimeoutSeconds): ` +
          `the source never reached the destination's synchronization controller at ${send!.spec?.sendTo?.connectURL}, as when its leader changes before first contact, ` +
          `and a sendTo's connectURL never changes. Start a new attempt: kvmigrate retry ${options.vmi}`,
      );
    }
    if (context.deadline.remainingMs < options.pollMs) throw new ClusterFailure(`timed out after ${options.migrationTimeoutSeconds}s (hook.migrationTimeoutSeconds) waiting for the migration to finish (${state})`);
    await sleep(options.pollMs);
  }
}
