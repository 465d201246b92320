import { Deadline } from '../cluster/cluster-calls.ts';
import { hookKubeconfig } from '../cluster/hook-kubeconfig.ts';
import { createStepLog } from '../cluster/step-log.ts';
import { manifestYaml } from '../synth/yaml-output.ts';
import { flag, stringOption, type CommandRun } from './command.ts';
import { clusterFlags, configPath, expectPositionals } from './common-options.ts';
import { ClusterConnections, loadPlans } from './cluster-options.ts';
import { ExitCode, UsageError } from './output.ts';

const UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** `90m` -> 5400. Kubernetes refuses bound tokens shorter than ten minutes. */
function durationSeconds(text: string): number {
  const match = /^(\d+)(s|m|h|d)?$/.exec(text);
  const seconds = match ? Number(match[1]) * UNITS[match[2] ?? '']! : NaN;
  if (!(seconds >= 600)) throw new UsageError(`--duration must be at least 10 minutes, as 3600, 90m, 24h or 7d (got "${text}")`);
  return seconds;
}

export const hookKubeconfigCommand: CommandRun = async (args, streams) => {
  expectPositionals(args, 'hook-kubeconfig', 1, 'one migration name');
  const output = stringOption(args, 'output') ?? 'yaml';
  if (output !== 'yaml' && output !== 'json') throw new UsageError(`-o must be yaml or json (got "${output}")`);
  const seconds = durationSeconds(stringOption(args, 'duration') ?? '24h');
  const { config, plans } = loadPlans(configPath(args), args.positionals[0]);
  const plan = plans[0]!;
  const connections = new ClusterConnections(clusterFlags(args), config);
  const context = { log: createStepLog('text', streams.stderr), deadline: new Deadline(connections.requestTimeoutMs / 1000), pollMs: 500 };
  const made = await hookKubeconfig(plan, connections.cluster(plan.destination.cluster), context, seconds);
  if (!flag(args, 'create')) {
    streams.stdout(output === 'json' ? `${JSON.stringify(made.secret, null, 2)}\n` : manifestYaml([made.secret]));
    return ExitCode.OK;
  }
  const source = connections.cluster(plan.source.cluster);
  const outcome = await source.applySecret(made.secret);
  const where = `${made.secret.metadata!.namespace}/${made.secret.metadata!.name} on ${source.server}`;
  const summary = { secret: where, outcome, serviceAccount: made.serviceAccount, expires: made.expirationTimestamp };
  streams.stdout(output === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : `${outcome} Secret ${where}: a token of ${made.serviceAccount}, valid until ${made.expirationTimestamp ?? 'unknown'}\n`);
  return ExitCode.OK;
};
