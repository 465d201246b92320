import { ClusterApi } from '../cluster/cluster-api.ts';
import { ClusterFailure } from '../cluster/cluster-failure.ts';
import { createStepLog } from '../cluster/step-log.ts';
import { connect } from '../cluster/kube-clients.ts';
import { sendMigration } from '../cluster/send-migration.ts';
import { flag, stringOption, type CliCommand } from './command.ts';
import { ExitCode, UsageError } from './output.ts';
import { DEFAULT_MIGRATION_TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS } from '../hook-timeouts.ts';

const HOOK_HELP = `Usage: kvmigrate hook send --source-namespace NS --vmi NAME --migration-id ID --name NAME
                          --destination-namespace NS --receive-name NAME [options]

Drives a decentralized live migration from the clusters' state: once the receiver VM is parked (its VMI
WaitingForSync) it creates the receive VirtualMachineInstanceMigration, reads the destination's synchronization
controller address at run time and creates the sendTo migration. Runs as an Argo CD PostSync hook on every sync, so
it creates nothing a second time: a receiver that has arrived, a Succeeded receive migration, or migrations already
there of that name and ID are success; a Failed one is a failure.

Address, first found: --connect-url; with --published-address-only, the receive migration's
status.synchronizationAddresses[0] alone; otherwise the destination KubeVirt CR's status.synchronizationAddresses[0],
the receive migration's copy, and the Lease ${'virt-synchronization-controller'} holder's pod IP with
KubeVirt.spec.synchronizationPort (default 9185).

Options:
      --source-namespace NS         namespace of the source VM (where the sendTo migration is created)
      --vmi NAME                    the VM instance to move
      --migration-id ID             the migrationID shared with the receive migration
      --name NAME                   name of the sendTo migration
      --destination-namespace NS    namespace of the receiver VM and the receive migration
      --receive-name NAME           name of the receive migration, created once the receiver is parked
      --kubevirt-namespace NS       KubeVirt's namespace at the destination (default: kubevirt, then openshift-cnv)
      --connect-url HOST:PORT       a static address; skips discovery
      --published-address-only      only the address KubeVirt publishes on the receive migration (no access to
                                    KubeVirt's namespace needed; without it, also the KubeVirt CR and the Lease)
      --destination-kubeconfig F    kubeconfig for the destination cluster (default: the source's credentials)
      --timeout SECONDS             how long to wait for the receive side and the address (default 600)
      --wait                        follow both migrations and exit 0 only when the migration succeeded
      --migration-timeout SECONDS   with --wait: how long to follow the transfer once the sendTo migration exists
                                    (default 3600)
      --poll-interval SECONDS       between polls; transient API errors back off from it (default 2)
      --request-timeout SECONDS     per API request (default 30)
      --log-format text|json        log lines on stderr (default text)
  -h, --help                        show this help

Credentials: $KUBECONFIG, ~/.kube/config, or the in-cluster service account.
Exit codes: 0 created (or already there / already succeeded), 1 failed or timed out, 2 bad usage.
`;

function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new UsageError(`--${name} must be a positive number of seconds (got "${value}")`);
  return parsed;
}

export const hookCommand: CliCommand = {
  options: {
    'source-namespace': { type: 'string' },
    vmi: { type: 'string' },
    'migration-id': { type: 'string' },
    name: { type: 'string' },
    'destination-namespace': { type: 'string' },
    'receive-name': { type: 'string' },
    'kubevirt-namespace': { type: 'string' },
    'connect-url': { type: 'string' },
    'published-address-only': { type: 'boolean' },
    'destination-kubeconfig': { type: 'string' },
    timeout: { type: 'string' },
    wait: { type: 'boolean' },
    'migration-timeout': { type: 'string' },
    'poll-interval': { type: 'string' },
    'request-timeout': { type: 'string' },
    'log-format': { type: 'string' },
  },
  help: HOOK_HELP,
  /** `kvmigrate hook send ...`: the arguments start after `hook`. */
  async run(args, streams) {
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
  },
};
