import { readFileSync } from 'node:fs';
import { editMigrationPhase, type PhaseChange, type PhaseEdit } from '../config/edit-config.ts';
import { displayPath, loadConfig } from '../config/load-config.ts';
import { DiagnosticBag } from '../diagnostics.ts';
import type { MigrationPhase } from '../lifecycle.ts';
import { planMigrations, type MigrationPlan } from '../plan/plan.ts';
import { flag, type CommandRun } from './command.ts';
import { ClusterFailure } from '../cluster/cluster-failure.ts';
import type { KubeObject } from '../cluster/cluster-api.ts';
import { ClusterConnections, loadPlans } from './cluster-options.ts';
import { clusterFlags, configPath, expectPositionals, outputFormat, type ClusterFlags } from './common-options.ts';
import { ExitCode, UsageError, type Streams } from './output.ts';
import { unifiedDiff } from './unified-diff.ts';
import { withFileLock, writeFileAtomically } from './write-file.ts';

/** What the clusters show of a migration, in one line, and whether it has arrived and runs at the destination. */
interface Observation {
  readonly seen: string;
  readonly arrivedAndRunning: boolean;
}

/** Reads the migration's objects at both ends through the same access as `status`. */
async function observe(plan: MigrationPlan, connections: ClusterConnections): Promise<Observation> {
  const { readMigrationObjects } = await import('../cluster/migration-status.ts');
  const { Deadline } = await import('../cluster/cluster-calls.ts');
  const { createStepLog } = await import('../cluster/step-log.ts');
  const context = { log: createStepLog('text', () => {}), deadline: new Deadline(connections.requestTimeoutMs / 1000), pollMs: 500 };
  const objects = await readMigrationObjects(plan, { source: connections.cluster(plan.source.cluster), destination: connections.cluster(plan.destination.cluster) }, context);
  const phase = (o: KubeObject | undefined, absent = 'absent') => (o ? (o.status?.phase ?? 'no phase') : absent);
  const strategy = objects.receiverVm?.spec?.runStrategy;
  const arrived = objects.receive?.status?.phase === 'Succeeded' || (objects.receiverVm !== undefined && strategy !== 'WaitAsReceiver');
  const seen = [
    `receive migration ${plan.receiveMigrationName}: ${phase(objects.receive)}`,
    `sendTo migration ${plan.sendMigrationName}: ${phase(objects.send, 'absent (KubeVirt deletes it after success)')}`,
    `receiver VM: ${objects.receiverVm ? `runStrategy ${strategy ?? 'unset'}` : 'absent'}, VMI ${phase(objects.receiverVmi)}`,
    `source VMI: ${phase(objects.sourceVmi)}`,
  ].join('; ');
  return { seen, arrivedAndRunning: arrived && objects.receiverVmi?.status?.phase === 'Running' };
}

/**
 * What the next sync does after `change`, in the words of the objects involved. `destinationContext` is the kubeconfig
 * context that reaches the destination (a cross-cluster move's receive side is there).
 */
function nextSync(change: PhaseChange, plan: MigrationPlan, destinationContext: string | undefined): string[] {
  const destination = `${plan.destination.namespace}/${plan.vm}`;
  const disks = plan.disks.map((d) => d.dataVolumeName).join(' ');
  const kubectl = `kubectl${destinationContext ? ` --context ${destinationContext}` : ''}`;
  switch (change.to) {
    case 'cutover':
      return [
        `write VM ${destination} with runStrategy ${plan.receiver.restoreRunStrategy}, as KubeVirt set it on arrival, and keep its disks (${disks || 'none'})`,
        'stop running the hook; the migrations it created are not Argo CD\'s (KubeVirt garbage-collects finished ones)',
        plan.sourceVm
          ? `write the source VM ${plan.source.namespace}/${plan.vm} with runStrategy Halted, so no sync starts it again`
          : `leave the source VM ${plan.source.namespace}/${plan.vm} alone (KubeVirt halted it); delete it and its disks once you need no way back`,
      ];
    case 'abort':
      return [
        // Since v1.7 a cancel of either side reaches the other (the synchronization controller carries it over).
        `stop running the hook; the migrations it created are not Argo CD's, so to cancel a running migration delete its receive migration (since KubeVirt v1.7 deleting either side cancels both): ${kubectl} delete vmim -n ${plan.destination.namespace} ${plan.receiveMigrationName}`,
        plan.removeReceiverOnAbort
          ? `stop applying the receiver VM ${destination} and its disks; they carry Prune=false,Delete=false, so delete them yourself: kubectl delete vm -n ${plan.destination.namespace} ${plan.vm}; kubectl delete dv -n ${plan.destination.namespace} ${disks}`
          : `keep the receiver VM ${destination} (WaitAsReceiver) and its disks for a retry`,
        `retry with: kvmigrate retry ${plan.name}`,
      ];
    case 'migrate':
      return [
        `attempt ${plan.attempt}: migrationID ${plan.migrationID}${change.droppedMigrationID ? ` (the explicit migrationID ${change.droppedMigrationID} was removed: KubeVirt needs a fresh one)` : ''}`,
        `the hook creates migrations ${plan.destination.namespace}/${plan.receiveMigrationName} and ${plan.source.namespace}/${plan.sendMigrationName}; the receiver and its disks are reused`,
        'delete the previous attempt\'s migrations first if they still exist (kubectl get vmim -A -l app.kubernetes.io/managed-by=kvmigrate)',
      ];
  }
}

/**
 * Applies a lifecycle step to the config: edits it in memory, checks that the edited config compiles (so a step cannot
 * leave a config that synthesis refuses), then replaces the file atomically.
 */
async function runLifecycle(
  configPath: string,
  target: string,
  edit: PhaseEdit,
  cluster: { flags: ClusterFlags; force: boolean },
  output: 'text' | 'json',
  streams: Streams,
  dryRun: boolean,
): Promise<number> {
  // A first, dry edit refuses an unknown migration or step before the clusters are asked.
  const { seen, verdict } = await checkCluster(configPath, editMigrationPhase(configPath, target, edit).change, edit, cluster);
  // The edit that is written, from the file as it is now, under a lock: an edit made meanwhile is not lost.
  const { change, plan, diff, destinationContext } = withFileLock(configPath, () => {
    const edited = editMigrationPhase(configPath, target, edit);
    const bag = new DiagnosticBag();
    const config = loadConfig(configPath, bag, edited.text);
    bag.throwIfErrors();
    // Planned before writing: a step whose result synthesis would refuse (the split-brain guard) writes nothing.
    const planned = planMigrations(config!).plans.find((p) => p.name === edited.change.name)!;
    const shown = displayPath(configPath);
    if (!dryRun) writeFileAtomically(configPath, edited.text);
    return {
      change: edited.change,
      plan: planned,
      diff: unifiedDiff(shown, `${shown} (after ${edit.phase === 'migrate' ? 'retry' : edit.phase})`, readFileSync(configPath, 'utf8'), edited.text),
      destinationContext: config!.clusters.get(planned.destination.cluster)?.kubeContext ?? cluster.flags.context,
    };
  });
  const steps = nextSync(change, plan, destinationContext);
  if (output === 'json') {
    streams.stdout(`${JSON.stringify({ ...change, config: displayPath(configPath), dryRun, ...(dryRun && { diff }), migrationID: plan.migrationID, seen, verdict, nextSync: steps }, null, 2)}\n`);
  } else if (dryRun) {
    streams.stdout(`Seen in the clusters: ${seen}\n${verdict ? `${verdict}\n` : ''}${diff}`);
    streams.stdout(`Dry run: ${displayPath(configPath)} was not written. After the step, the next sync would:\n${steps.map((s) => `  - ${s}\n`).join('')}`);
  } else {
    const phase = (p: MigrationPhase) => (p === 'migrate' && change.attempt > 1 && change.to === 'migrate' ? `migrate (attempt ${change.attempt})` : p);
    streams.stdout(`Seen in the clusters: ${seen}\n`);
    if (verdict) streams.stdout(`${verdict}\n`);
    streams.stdout(`${change.name}: ${change.from} -> ${phase(change.to)} in ${displayPath(configPath)}\n`);
    streams.stdout(`Run \`kvmigrate synth\`, review and commit dist/ with it. The next sync will:\n${steps.map((s) => `  - ${s}\n`).join('')}`);
  }
  return ExitCode.OK;
}

/**
 * What the clusters show of the migration before the step, in words, and for a cutover what was (or was not) checked.
 * A cutover is refused unless the migration arrived and runs: written early, it stops a running source mid-migration
 * (a managed source is written Halted).
 */
async function checkCluster(
  configPath: string,
  change: PhaseChange,
  edit: PhaseEdit,
  cluster: { flags: ClusterFlags; force: boolean },
): Promise<{ seen: string; verdict?: string }> {
  if (cluster.force) {
    return { seen: 'not checked (--force)', verdict: 'Not checked (--force): whether the migration arrived and runs at the destination; see kvmigrate status before you commit' };
  }
  const { config, plans } = loadPlans(configPath, change.name);
  const connections = new ClusterConnections(cluster.flags, config);
  let observation: Observation;
  try {
    observation = await observe(plans[0]!, connections);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (edit.phase === 'cutover') throw new ClusterFailure(`cutover refused, config untouched: could not read the clusters (${reason}); pass --force to cut over without the check`);
    return { seen: `could not read the clusters (${reason})` };
  }
  if (edit.phase === 'cutover' && !observation.arrivedAndRunning) {
    throw new ClusterFailure(
      `cutover refused, config untouched: the migration has not arrived and run at the destination. Seen: ${observation.seen}. ` +
        'Wait for the receive migration to succeed (kvmigrate status), or pass --force',
    );
  }
  return {
    seen: observation.seen,
    ...(edit.phase === 'cutover' && { verdict: 'Checked: the migration arrived at the destination (receive migration Succeeded, or the receiver VM left WaitAsReceiver) and the receiver\'s VMI runs' }),
  };
}

/** `cutover`, `abort` or `retry`: one lifecycle step of one migration. */
export function lifecycleCommand(step: 'cutover' | 'abort' | 'retry'): CommandRun {
  return (args, streams) => {
    expectPositionals(args, step, 1, 'one migration name');
    const removeReceiver = flag(args, 'remove-receiver');
    if (removeReceiver && step !== 'abort') throw new UsageError('--remove-receiver goes with abort');
    const force = flag(args, 'force');
    if (force && step !== 'cutover') throw new UsageError('--force goes with cutover');
    const edit: PhaseEdit = step === 'retry' ? { phase: 'migrate', newAttempt: true } : { phase: step, removeReceiver };
    return runLifecycle(configPath(args), args.positionals[0]!, edit, { flags: clusterFlags(args), force }, outputFormat(args), streams, flag(args, 'dry-run'));
  };
}
