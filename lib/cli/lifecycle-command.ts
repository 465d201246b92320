import { editMigrationPhase, type PhaseChange, type PhaseEdit } from '../config/edit-config.ts';
import { displayPath, loadConfig } from '../config/load-config.ts';
import { DiagnosticBag } from '../diagnostics.ts';
import type { MigrationPhase } from '../lifecycle.ts';
import { planMigrations, type MigrationPlan } from '../plan/plan.ts';
import { flag, type CliCommand } from './command.ts';
import { CONFIG_OPTION, configPath, expectPositionals, OUTPUT_OPTION, outputFormat } from './common-options.ts';
import { ExitCode, UsageError, type Streams } from './output.ts';
import { writeFileAtomically } from './write-file.ts';

const LIFECYCLE_HELP = `Usage: kvmigrate cutover <migration> [--config FILE] [-o text|json]
       kvmigrate abort <migration> [--remove-receiver] [--config FILE] [-o text|json]
       kvmigrate retry <migration> [--config FILE] [-o text|json]

Moves a migration to its next lifecycle step by editing migrations.yaml in place (comments and layout kept), then
says what the next sync will do. <migration> is the entry's name, or its VM name. Commit each step on its own.

  cutover   after the migration Succeeded: the destination VM becomes a plain VM with its final run strategy,
            the migrations and the hook leave Git, a managed source VM is written Halted
  abort     stop: the migrations and the hook leave Git; the receiver VM and its disks stay unless
            --remove-receiver
  retry     back to migrate as a new attempt: a new migrationID and new migration objects

Options:
  -c, --config FILE     the migrations config (default: $KVMIGRATE_CONFIG, else migrations.yaml)
      --remove-receiver with abort: remove the receiver VM and its disks from Git too
  -o, --output FMT      text (default) or json
  -h, --help            show this help
`;

/** What the next sync does after `change`, in the words of the objects involved. */
function nextSync(change: PhaseChange, plan: MigrationPlan): string[] {
  const destination = `${plan.destination.namespace}/${plan.vm}`;
  const disks = plan.disks.map((d) => d.dataVolumeName).join(' ');
  const migrations = `kubectl delete vmim -n ${plan.destination.namespace} ${plan.receiveMigrationName}; kubectl delete vmim -n ${plan.source.namespace} ${plan.sendMigrationName}`;
  switch (change.to) {
    case 'cutover':
      return [
        `write VM ${destination} with runStrategy ${plan.receiver.restoreRunStrategy}, as KubeVirt set it on arrival, and keep its disks (${disks || 'none'})`,
        'stop applying the migrations and the hook; finished migrations are not pruned (KubeVirt garbage-collects them)',
        plan.sourceVm
          ? `write the source VM ${plan.source.namespace}/${plan.vm} with runStrategy Halted, so no sync starts it again`
          : `leave the source VM ${plan.source.namespace}/${plan.vm} alone (KubeVirt halted it); delete it and its disks once you need no way back`,
        `only cut over after the receive migration Succeeded: kubectl get vmim -n ${plan.destination.namespace} ${plan.receiveMigrationName}`,
      ];
    case 'abort':
      return [
        `stop applying the migrations and the hook; they carry Prune=false, so to cancel a running migration delete them: ${migrations}`,
        plan.removeReceiverOnAbort
          ? `stop applying the receiver VM ${destination} and its disks; they carry Prune=false,Delete=false, so delete them yourself: kubectl delete vm -n ${plan.destination.namespace} ${plan.vm}; kubectl delete dv -n ${plan.destination.namespace} ${disks}`
          : `keep the receiver VM ${destination} (WaitAsReceiver) and its disks for a retry`,
        `retry with: kvmigrate retry ${plan.name}`,
      ];
    case 'migrate':
      return [
        `attempt ${plan.attempt}: migrationID ${plan.migrationID}${change.droppedMigrationID ? ` (the explicit migrationID ${change.droppedMigrationID} was removed: KubeVirt needs a fresh one)` : ''}`,
        `create migrations ${plan.destination.namespace}/${plan.receiveMigrationName} and, through the hook or connectURL, ${plan.source.namespace}/${plan.sendMigrationName}; the receiver and its disks are reused`,
        'delete the previous attempt\'s migrations first if they still exist (kubectl get vmim -A -l app.kubernetes.io/managed-by=kvmigrate)',
      ];
  }
}

/**
 * Applies a lifecycle step to the config: edits it in memory, checks that the edited config compiles (so a step cannot
 * leave a config that synthesis refuses), then replaces the file atomically.
 */
function runLifecycle(configPath: string, target: string, edit: PhaseEdit, output: 'text' | 'json', streams: Streams): number {
  const { text, change } = editMigrationPhase(configPath, target, edit);
  const bag = new DiagnosticBag();
  const config = loadConfig(configPath, bag, text);
  bag.throwIfErrors();
  const plan = planMigrations(config!).plans.find((p) => p.name === change.name)!;
  writeFileAtomically(configPath, text);
  const steps = nextSync(change, plan);
  if (output === 'json') {
    streams.stdout(`${JSON.stringify({ ...change, config: displayPath(configPath), migrationID: plan.migrationID, nextSync: steps }, null, 2)}\n`);
  } else {
    const phase = (p: MigrationPhase) => (p === 'migrate' && change.attempt > 1 && change.to === 'migrate' ? `migrate (attempt ${change.attempt})` : p);
    streams.stdout(`${change.name}: ${change.from} -> ${phase(change.to)} in ${displayPath(configPath)}\n`);
    streams.stdout(`Run \`kvmigrate synth\`, review and commit dist/ with it. The next sync will:\n${steps.map((s) => `  - ${s}\n`).join('')}`);
  }
  return ExitCode.OK;
}

/** `cutover`, `abort` or `retry`: one lifecycle step of one migration. */
export function lifecycleCommand(step: 'cutover' | 'abort' | 'retry'): CliCommand {
  return {
    options: { ...CONFIG_OPTION, ...OUTPUT_OPTION, 'remove-receiver': { type: 'boolean' } },
    help: LIFECYCLE_HELP,
    run(args, streams) {
      expectPositionals(args, step, 1, 'one migration name');
      const removeReceiver = flag(args, 'remove-receiver');
      if (removeReceiver && step !== 'abort') throw new UsageError('--remove-receiver goes with abort');
      const edit: PhaseEdit = step === 'retry' ? { phase: 'migrate', newAttempt: true } : { phase: step, removeReceiver };
      return runLifecycle(configPath(args), args.positionals[0]!, edit, outputFormat(args), streams);
    },
  };
}
