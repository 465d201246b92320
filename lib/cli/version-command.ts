import { VERSION } from '../package-info.generated.ts';
import { Deadline, call } from '../cluster/cluster-calls.ts';
import { checkKubeVirt } from '../cluster/preflight.ts';
import { createStepLog } from '../cluster/step-log.ts';
import type { CommandRun } from './command.ts';
import { clusterFlags, expectPositionals, outputFormat } from './common-options.ts';
import { ClusterConnections } from './cluster-options.ts';
import { ExitCode, type Streams } from './output.ts';

/** What one cluster runs: KubeVirt's and CDI's versions as their CRs report them, and the feature gate's state. */
interface ServerVersions {
  readonly server: string;
  readonly kubevirt?: string;
  readonly cdi?: string;
  readonly featureGate: { readonly result: string; readonly detail: string };
}

/** `kvmigrate version`: this kvmigrate's version; with --context or --kubeconfig, also what that cluster runs. */
export const versionCommand: CommandRun = async (args, streams: Streams) => {
  expectPositionals(args, 'version', 0);
  const output = outputFormat(args);
  const flags = clusterFlags(args);
  const server = flags.context !== undefined || flags.kubeconfig !== undefined ? await serverVersions(new ClusterConnections(flags)) : undefined;
  if (output === 'json') {
    streams.stdout(`${JSON.stringify({ client: VERSION, ...(server && { cluster: server }) }, null, 2)}\n`);
    return ExitCode.OK;
  }
  streams.stdout(`kvmigrate: ${VERSION}\n`);
  if (server) {
    streams.stdout(`cluster: ${server.server}\n  KubeVirt: ${server.kubevirt ?? 'not found'}\n  CDI: ${server.cdi ?? 'not found'}\n`);
    streams.stdout(`  feature gate DecentralizedLiveMigration: ${server.featureGate.result === 'pass' ? 'on' : 'off'} (${server.featureGate.detail})\n`);
  }
  return ExitCode.OK;
};

async function serverVersions(connections: ClusterConnections): Promise<ServerVersions> {
  const api = connections.cluster('default');
  const context = { log: createStepLog('text', () => {}), deadline: new Deadline(connections.requestTimeoutMs / 1000), pollMs: 500 };
  // The same reading of the KubeVirt CR (and the HyperConverged CR on OpenShift) as preflight's.
  const kubevirt = await checkKubeVirt(api, context, 'cluster', undefined);
  const gate = kubevirt.checks.find((c) => c.check === 'cluster: feature gate') ?? kubevirt.checks[0]!;
  const [cdi] = (await call(context, 'list CDI', () => api.listCdis())) ?? [];
  return { server: api.server, kubevirt: kubevirt.version, cdi: cdi?.status?.observedVersion, featureGate: { result: gate.result, detail: gate.detail } };
}
