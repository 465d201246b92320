import { Deadline } from '../cluster/cluster-calls.ts';
import type { BatchQueue } from '../cluster/migration-queue.ts';
import { preflightMigration, preflightQueue, type Check } from '../cluster/preflight.ts';
import { printable } from '../cluster/printable.ts';
import { createStepLog } from '../cluster/step-log.ts';
import { stringOption, type CommandRun } from './command.ts';
import { clusterFlags, configPath, expectPositionals, outputFormat, type ClusterFlags } from './common-options.ts';
import { ClusterConnections, loadPlans } from './cluster-options.ts';
import { ExitCode, useColour, type Streams } from './output.ts';
import { paint, renderTable } from './table.ts';

interface PreflightArguments extends ClusterFlags {
  readonly config: string;
  readonly migration?: string;
  readonly output: 'text' | 'json';
}

async function runPreflight(args: PreflightArguments, streams: Streams): Promise<number> {
  const { config, plans: selected, all: fleet } = loadPlans(args.config, args.migration);
  const connections = new ClusterConnections(args, config);
  const log = createStepLog('text', streams.stderr);
  const report: { migration: string; phase: string; checks: Check[] }[] = [];
  for (const plan of selected) {
    if (plan.phase !== 'migrate') {
      report.push({ migration: plan.name, phase: plan.phase, checks: [] });
      continue;
    }
    // Retries of one migration's checks end after twice --request-timeout (60s by default), as --help says.
    const context = { log, deadline: new Deadline((2 * connections.requestTimeoutMs) / 1000), pollMs: 500 };
    const clusters = { source: connections.cluster(plan.source.cluster), destination: connections.cluster(plan.destination.cluster) };
    report.push({ migration: plan.name, phase: plan.phase, checks: await preflightMigration(plan, clusters, context) });
  }
  // The fleet's queue at each destination of the migrations checked: every migration of the config still to move
  // counts, by batch.
  const migrating = fleet.filter((p) => p.phase === 'migrate');
  const queue: { checks: Check[]; queues: BatchQueue[] } = { checks: [], queues: [] };
  for (const cluster of [...new Set(selected.filter((p) => p.phase === 'migrate').map((p) => p.destination.cluster))].sort()) {
    const context = { log, deadline: new Deadline((2 * connections.requestTimeoutMs) / 1000), pollMs: 500 };
    const batches = new Set(selected.filter((p) => p.destination.cluster === cluster).map((p) => p.batch));
    const result = await preflightQueue(connections.cluster(cluster), context, cluster, migrating.filter((p) => batches.has(p.batch)));
    queue.checks.push(...result.checks);
    queue.queues.push(...result.queues);
  }
  const all = [...report.flatMap((r) => r.checks), ...queue.checks];
  const count = (result: Check['result']) => all.filter((c) => c.result === result).length;
  const ok = count('fail') === 0;
  if (args.output === 'json') {
    streams.stdout(`${JSON.stringify({ ok, migrations: report, queue }, null, 2)}\n`);
    return ok ? ExitCode.OK : ExitCode.INPUT;
  }
  const colour = useColour(streams);
  const shade = { pass: 'green', warn: 'yellow', fail: 'red' } as const;
  const checkRows = (checks: readonly Check[]) =>
    checks.flatMap((c) => [
      // Details quote what the clusters say (condition messages): never raw control characters on a terminal.
      [c.check, paint(colour, shade[c.result], c.result.toUpperCase()), printable(c.detail)],
      ...(c.fix && c.result !== 'pass' ? [['', '', paint(colour, 'dim', `fix: ${printable(c.fix)}`)]] : []),
    ]);
  for (const { migration, phase, checks } of report) {
    const plan = selected.find((p) => p.name === migration)!;
    streams.stdout(`${migration}: ${plan.source.cluster}/${plan.source.namespace} -> ${plan.destination.cluster}/${plan.destination.namespace}\n`);
    if (checks.length === 0) {
      streams.stdout(`  skipped: phase ${phase}\n\n`);
      continue;
    }
    streams.stdout(`${renderTable(['CHECK', 'RESULT', 'DETAIL'], checkRows(checks), '  ')}\n`);
  }
  if (queue.checks.length > 0) {
    streams.stdout(`queue behind KubeVirt's migration limits, by destination and batch:\n`);
    streams.stdout(`${renderTable(['CHECK', 'RESULT', 'DETAIL'], checkRows(queue.checks), '  ')}\n`);
  }
  streams.stdout(`${all.length} checks: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail\n`);
  return ok ? ExitCode.OK : ExitCode.INPUT;
}

export const preflightCommand: CommandRun = (args, streams) => {
  expectPositionals(args, 'preflight', 0);
  return runPreflight({ ...clusterFlags(args), config: configPath(args), migration: stringOption(args, 'migration'), output: outputFormat(args) }, streams);
};
