import { ClusterApi } from '../cluster/cluster-api.ts';
import { ClusterFailure } from '../cluster/cluster-failure.ts';
import { createStepLog } from '../cluster/step-log.ts';
import { connect } from '../cluster/kube-clients.ts';
import { sendMigration } from '../cluster/send-migration.ts';
import { flag, stringOption, type CommandRun } from './command.ts';
import { ExitCode, UsageError } from './output.ts';
import { DEFAULT_MIGRATION_TIMEOUT_SECONDS, DEFAULT_SYNCHRONIZING_TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS } from '../hook-timeouts.ts';
import type { AddressFamily } from '../cluster/address-probe.ts';

function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new UsageError(`--${name} must be a positive number of seconds (got "${value}")`);
  return parsed;
}

function addressFamily(value: string | undefined): AddressFamily | undefined {
  if (value === undefined || value === 'IPv4' || value === 'IPv6') return value;
  throw new UsageError(`--address-family must be IPv4 or IPv6 (got "${value}")`);
}

/** `kvmigrate hook send ...`: the arguments start after `hook`. */
export const hookCommand: CommandRun = async (args, streams) => {
  const [subcommand, ...extra] = args.positionals;
  if (subcommand !== 'send') throw new UsageError(subcommand === undefined ? 'missing the hook command: send' : `unknown hook command "${subcommand}" (the hook has one: send)`);
  if (extra.length > 0) throw new UsageError(`hook send takes no further arguments (got "${extra.join(' ')}")`);
  const required = ['source-namespace', 'vmi', 'migration-id', 'name', 'destination-namespace', 'receive-name'] as const;
  const missing = required.filter((option) => !stringOption(args, option));
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
  const format = stringOption(args, 'log-format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--log-format must be text or json (got "${format}")`);
  const options = {
    sourceNamespace: stringOption(args, 'source-namespace')!,
    vmi: stringOption(args, 'vmi')!,
    migrationID: stringOption(args, 'migration-id')!,
    name: stringOption(args, 'name')!,
    destinationNamespace: stringOption(args, 'destination-namespace')!,
    receiveName: stringOption(args, 'receive-name')!,
    kubevirtNamespace: stringOption(args, 'kubevirt-namespace'),
    connectURL: stringOption(args, 'connect-url'),
    publishedOnly: flag(args, 'published-address-only'),
    timeoutSeconds: seconds('timeout', stringOption(args, 'timeout'), DEFAULT_TIMEOUT_SECONDS),
    wait: flag(args, 'wait'),
    migrationTimeoutSeconds: seconds('migration-timeout', stringOption(args, 'migration-timeout'), DEFAULT_MIGRATION_TIMEOUT_SECONDS),
    synchronizingTimeoutSeconds: seconds('synchronizing-timeout', stringOption(args, 'synchronizing-timeout'), DEFAULT_SYNCHRONIZING_TIMEOUT_SECONDS),
    addressChoice: { family: addressFamily(stringOption(args, 'address-family')), probe: !flag(args, 'no-address-probe') },
    pollMs: seconds('poll-interval', stringOption(args, 'poll-interval'), 2) * 1000,
  };
  const requestTimeoutMs = seconds('request-timeout', stringOption(args, 'request-timeout'), 30) * 1000;
  const log = createStepLog(format, streams.stderr);
  try {
    const source = new ClusterApi(connect({}, requestTimeoutMs));
    const destinationKubeconfig = stringOption(args, 'destination-kubeconfig');
    const destination = destinationKubeconfig ? new ClusterApi(connect({ kubeconfig: destinationKubeconfig }, requestTimeoutMs)) : source;
    log.info('start', `sendTo migration ${options.sourceNamespace}/${options.name} for VMI ${options.vmi}, migrationID ${options.migrationID}`, {
      source: source.server,
      destination: destination.server,
    });
    await sendMigration(source, destination, options, log);
    return ExitCode.OK;
  } catch (error) {
    if (!(error instanceof ClusterFailure)) throw error;
    log.error('failed', error.message);
    return ExitCode.INPUT;
  }
};
