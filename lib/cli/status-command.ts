import { Deadline } from '../cluster/cluster-calls.ts';
import { mapLimit } from '../cluster/concurrency.ts';
import { describeQueue, readMigrationObjects, stateOf, summarize, type MigrationStatus } from '../cluster/migration-status.ts';
import { transferBytes, type TransferBytes } from '../cluster/prometheus.ts';
import { ResourceWatch } from '../cluster/resource-watch.ts';
import { createStepLog } from '../cluster/step-log.ts';
import type { MigrationPlan } from '../plan/plan.ts';
import { flag, stringOption, type CommandRun } from './command.ts';
import { clusterFlags, configPath, outputFormat, type ClusterFlags } from './common-options.ts';
import { ClusterConnections, loadPlans, migrationFilter, selectMigrations, type MigrationFilter } from './cluster-options.ts';
import { ExitCode, UsageError, useColour, type Streams } from './output.ts';
import { paint, renderTable } from './table.ts';
import { duration } from '../duration.ts';

interface StatusArguments extends ClusterFlags {
  readonly config: string;
  readonly filter: MigrationFilter;
  readonly watch: boolean;
  readonly prometheus?: string;
  readonly timeout?: string;
  readonly output: 'text' | 'json';
}

interface Row {
  readonly status: MigrationStatus;
  readonly bytes?: TransferBytes;
  /** The migration's batch and destination cluster: a fleet's table is grouped by them. */
  readonly batch: number;
  readonly cluster: string;
}

/** Rows grouped by batch, then destination cluster, in config order within a group (a stable sort). */
function grouped(rows: readonly Row[]): Row[] {
  return [...rows].sort((a, b) => a.batch - b.batch || (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
}

function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/**
 * The share of memory copied, from the bytes when Prometheus has them; none otherwise: the receive phases say where
 * a migration stands, not how much of it is done (it spends nearly all its time in Running).
 */
function fraction(row: Row): number | undefined {
  if (row.status.outcome === 'Succeeded') return 1;
  const { processed, remaining } = row.bytes ?? {};
  return processed !== undefined && remaining !== undefined && processed + remaining > 0 ? processed / (processed + remaining) : undefined;
}

const percent = (share: number) => `${Math.round(share * 100)}%`;

function bytesText(row: Row): string {
  const { processed, remaining } = row.bytes ?? {};
  return processed !== undefined && remaining !== undefined ? `${size(processed)}/${size(processed + remaining)}` : '';
}

function outcomeText(status: MigrationStatus): string {
  if (status.outcome === 'NotSynced') return status.missing!;
  if (status.outcome === 'Failed') return `Failed: ${status.failureReason ?? 'no reason reported'}${status.conditions.length > 0 ? ` (${status.conditions.join('; ')})` : ''}`;
  if (status.queued) return describeQueue(status.queued);
  return status.outcome === 'Succeeded' ? 'Succeeded' : (status.receiveMigration ?? 'not started');
}

/** One plain line per migration, for logs and pipes: it changes only when something but time does. */
function plainLine(row: Row): string {
  const s = row.status;
  const parts = [
    `receive ${s.receiveMigration ?? '-'}`,
    `send ${s.sendMigration ?? '-'}`,
    `source VMI ${s.source.vmi ?? '-'}`,
    `receiver VMI ${s.receiver.vmi ?? '-'}`,
    ...(s.mode ? [`mode ${s.mode}`] : []),
    ...(bytesText(row) ? [bytesText(row)] : []),
  ];
  const share = fraction(row);
  return `${s.name}: ${parts.join(', ')}${share === undefined ? '' : ` [${percent(share)}]`}${s.outcome === 'InProgress' && !s.queued ? '' : ` ${outcomeText(s)}`}`;
}

/** A bar while the bytes are known; without them, the phase alone (no made-up percentage). */
function barLine(row: Row, width: number, colour: boolean): string {
  const share = fraction(row);
  const shade = row.status.outcome === 'Failed' ? 'red' : row.status.outcome === 'Succeeded' ? 'green' : 'yellow';
  const done = Math.round((share ?? 0) * 24);
  const progress = share === undefined ? '' : `${paint(colour, shade, `${'█'.repeat(done)}${'░'.repeat(24 - done)}`)} ${percent(share).padStart(4)}  `;
  const extra = [row.status.mode, duration(row.status.elapsedSeconds), bytesText(row)].filter((x) => x && x !== '-').join('  ');
  return `${row.status.name.padEnd(width)}  ${progress}${share === undefined ? paint(colour, shade, outcomeText(row.status)) : outcomeText(row.status)}${extra ? `  ${extra}` : ''}`;
}

function table(rows: readonly Row[], colour: boolean): string {
  const shade = { Succeeded: 'green', Failed: 'red', InProgress: 'yellow', Queued: 'yellow', NotSynced: 'dim' } as const;
  // BATCH and CLUSTER columns only for a fleet that has more than one of either.
  const fleet = new Set(rows.map((r) => r.batch)).size > 1 || new Set(rows.map((r) => r.cluster)).size > 1;
  const group = (row: Row) => (fleet ? [String(row.batch), row.cluster] : []);
  const body = rows.map((row) => [...group(row), ...rowCells(row)]);
  const details = rows
    .filter((r) => r.status.outcome === 'Failed' || r.status.outcome === 'NotSynced' || r.status.queued)
    .map((r) => `${r.status.name}: ${outcomeText(r.status)}\n`)
    .join('');
  const heading = ['MIGRATION', 'PHASE', 'SOURCE VM/VMI', 'RECEIVER VM/VMI', 'RECEIVE', 'SEND', 'MODE', 'STARTED', 'ELAPSED', 'RESULT'];
  return renderTable([...(fleet ? ['BATCH', 'CLUSTER'] : []), ...heading], body) + details;

  function rowCells({ status: s }: Row): string[] {
    return [
      s.name,
      s.phase,
      `${s.source.vm ?? '-'}/${s.source.vmi ?? '-'}`,
      `${s.receiver.vm ?? '-'}/${s.receiver.vmi ?? '-'}`,
      s.receiveMigration ?? '-',
      s.sendMigration ?? '-',
      s.mode ?? '-',
      s.startTimestamp ?? '-',
      duration(s.elapsedSeconds),
      paint(colour, shade[stateOf(s)], stateOf(s)),
    ];
  }
}

/** `reading`, or undefined once the deadline passes first: a server that never answers cannot hold --timeout. */
async function beforeDeadline<T>(reading: Promise<T>, deadline: Deadline | undefined): Promise<T | undefined> {
  if (!deadline) return reading;
  // A read left behind may still fail; nobody waits for it any more.
  reading.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([reading, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), deadline.remainingMs)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function runStatus(args: StatusArguments, streams: Streams): Promise<number> {
  const { config, plans } = loadPlans(args.config);
  const selected = selectMigrations(config.file, plans, args.filter);
  const timeout = args.timeout === undefined ? undefined : Number(args.timeout);
  if (timeout !== undefined && !(timeout > 0)) throw new UsageError(`--timeout must be a positive number of seconds (got "${args.timeout}")`);
  const connections = new ClusterConnections(args, config);
  const log = createStepLog('text', streams.stderr);
  const clustersOf = (plan: MigrationPlan) => ({ source: connections.cluster(plan.source.cluster), destination: connections.cluster(plan.destination.cluster) });

  const read = async (): Promise<Row[]> =>
    mapLimit(selected, 8, async (plan) => {
        const context = { log, deadline: new Deadline(connections.requestTimeoutMs / 1000), pollMs: 500 };
        const status = summarize(plan, await readMigrationObjects(plan, clustersOf(plan), context), new Date());
        const bytes = args.prometheus && status.outcome === 'InProgress' ? await transferBytes(args.prometheus, plan.source.namespace, plan.vm).catch(() => undefined) : undefined;
        return { status, bytes, batch: plan.batch, cluster: plan.destination.cluster };
    });
  const failed = (rows: readonly Row[]) => rows.some((r) => r.status.outcome === 'Failed');
  const colour = useColour(streams);

  if (!args.watch) {
    const rows = grouped(await read());
    const json = () => JSON.stringify(rows.map((r) => ({ ...r.status, batch: r.batch, cluster: r.cluster, bytes: r.bytes })), null, 2);
    streams.stdout(args.output === 'json' ? `${json()}\n` : table(rows, colour));
    return failed(rows) ? ExitCode.INPUT : ExitCode.OK;
  }

  // --watch: wake on every watch event (and every few seconds, so elapsed time moves on a terminal).
  // A change seen while a read is under way is kept for the next wait, which then does not sleep.
  let wake: () => void = () => {};
  let changedSinceRead = false;
  const changed = () => {
    changedSinceRead = true;
    wake();
  };
  const watches = new Map<string, { paths: Set<string>; api: ReturnType<ClusterConnections['cluster']> }>();
  for (const plan of selected) {
    for (const [cluster, namespace] of [[plan.source.cluster, plan.source.namespace], [plan.destination.cluster, plan.destination.namespace]] as const) {
      const entry = watches.get(cluster) ?? { paths: new Set<string>(), api: connections.cluster(cluster) };
      entry.paths.add(`/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachineinstancemigrations`);
      entry.paths.add(`/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachineinstances`);
      watches.set(cluster, entry);
    }
  }
  // The deadline starts first, and streams open in the background (each within --request-timeout): a server that
  // never answers cannot hold the command past --timeout.
  const deadline = timeout === undefined ? undefined : new Deadline(timeout);
  const streamsOpen = [...watches.values()].map(({ api, paths }) => new ResourceWatch(api.clients.config, [...paths], changed, log, { openTimeoutMs: connections.requestTimeoutMs }));
  for (const watch of streamsOpen) void watch.start();
  const width = Math.max(...selected.map((p) => p.name.length), 9);
  const lastLines = new Map<string, string>();
  let drawn = 0;
  try {
    let last: readonly Row[] = [];
    for (;;) {
      changedSinceRead = false;
      const rows = await beforeDeadline(read(), deadline);
      if (!rows) {
        const running = last.filter((r) => r.status.outcome !== 'Succeeded' && r.status.outcome !== 'Failed').map((r) => r.status.name);
        streams.stderr(`error: timed out after ${timeout}s; still running: ${(last.length > 0 ? running : selected.map((p) => p.name)).join(', ')}\n`);
        return ExitCode.INPUT;
      }
      last = rows;
      const done = rows.every((r) => r.status.outcome === 'Succeeded' || r.status.outcome === 'Failed');
      if (args.output === 'json') {
        const line = JSON.stringify(rows.map((r) => ({ ...r.status, elapsedSeconds: undefined, bytes: r.bytes })));
        if (lastLines.get('') !== line) streams.stdout(`${JSON.stringify(rows.map((r) => ({ ...r.status, bytes: r.bytes })))}\n`);
        lastLines.set('', line);
      } else if (streams.tty) {
        const lines = rows.map((r) => barLine(r, width, colour));
        streams.stdout(`${drawn > 0 ? `\x1b[${drawn}F` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
        drawn = lines.length;
      } else {
        for (const row of rows) {
          const line = plainLine(row);
          if (lastLines.get(row.status.name) !== line) streams.stdout(`${line}\n`);
          lastLines.set(row.status.name, line);
        }
      }
      if (done) return failed(rows) ? ExitCode.INPUT : ExitCode.OK;
      if (deadline?.expired) {
        streams.stderr(`error: timed out after ${timeout}s; still running: ${rows.filter((r) => r.status.outcome !== 'Succeeded' && r.status.outcome !== 'Failed').map((r) => r.status.name).join(', ')}\n`);
        return ExitCode.INPUT;
      }
      await new Promise<void>((resolve) => {
        if (changedSinceRead) return resolve();
        const timer = setTimeout(resolve, Math.min(streams.tty ? 1000 : 5000, deadline?.remainingMs ?? Infinity));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    for (const watch of streamsOpen) watch.stop();
  }
}

export const statusCommand: CommandRun = (args, streams) =>
  runStatus(
    {
      ...clusterFlags(args),
      config: configPath(args),
      filter: migrationFilter(args, 'status'),
      watch: flag(args, 'watch'),
      prometheus: stringOption(args, 'prometheus'),
      timeout: stringOption(args, 'timeout'),
      output: outputFormat(args),
    },
    streams,
  );
