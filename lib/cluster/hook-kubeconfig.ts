import { readFileSync } from 'node:fs';
import { MANAGED_BY, MANAGED_BY_LABEL, MIGRATION_LABEL } from '../constructs/labels.ts';
import { destinationServiceAccountName } from '../constructs/send-hook-access.ts';
import type { MigrationPlan } from '../plan/plan.ts';
import type { ClusterApi, KubeObject } from './cluster-api.ts';
import { call, type CallContext } from './cluster-calls.ts';
import { ClusterFailure } from './cluster-failure.ts';

/** The Secret a cross-cluster hook reads its destination kubeconfig from, and when its token expires. */
export interface HookKubeconfig {
  readonly secret: KubeObject;
  readonly serviceAccount: string;
  readonly expirationTimestamp?: string;
}

/** The destination API server as the kubeconfig that reaches it names it: its URL and CA (or the insecure flag). */
function clusterEntry(api: ClusterApi): Record<string, unknown> {
  const cluster = api.clients.config.getCurrentCluster();
  if (!cluster) throw new ClusterFailure('the destination context names no cluster');
  const ca = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  return {
    server: cluster.server,
    ...(ca ? { 'certificate-authority-data': ca } : {}),
    ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
  };
}

/**
 * Builds the destination kubeconfig Secret of a cross-cluster migration's hook: a bound token of the migration's
 * destination ServiceAccount (`<vm>-kvmigrate-hook`, the same for every attempt) from TokenRequest, with an expiry,
 * and the destination API server and CA. Nobody hand-crafts kubeconfigs; a new token is one command away.
 */
export async function hookKubeconfig(plan: MigrationPlan, destination: ClusterApi, context: CallContext, expirationSeconds: number): Promise<HookKubeconfig> {
  const secretName = plan.hook?.destinationKubeconfigSecret;
  if (plan.source.cluster === plan.destination.cluster || !secretName) {
    throw new ClusterFailure(`migration "${plan.name}" needs no destination kubeconfig: ${secretName ? 'both ends are one cluster' : 'it sets no hook.destinationKubeconfigSecret'}`);
  }
  const account = destinationServiceAccountName(plan.vm);
  const namespace = plan.destination.namespace;
  const request = await call(context, `request a token for ServiceAccount ${namespace}/${account}`, () =>
    destination.createToken(namespace, account, expirationSeconds),
  );
  const token = request?.status?.token;
  if (!token) throw new ClusterFailure(`ServiceAccount ${namespace}/${account} does not exist on ${destination.server} yet: sync the destination folder first (it is in wave 0)`);
  const expires = request.status?.expirationTimestamp;
  // RFC 3339 as Kubernetes writes it; the client hands back a Date.
  const expirationTimestamp = expires instanceof Date ? expires.toISOString().replace(/\.000Z$/, 'Z') : expires === undefined ? undefined : String(expires);
  const name = `${plan.destination.cluster}-${account}`;
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: plan.destination.cluster, cluster: clusterEntry(destination) }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: plan.destination.cluster, user: name, namespace } }],
    'current-context': name,
  };
  return {
    serviceAccount: `${namespace}/${account}`,
    expirationTimestamp,
    secret: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: secretName,
        namespace: plan.source.namespace,
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [MIGRATION_LABEL]: plan.name },
        annotations: { 'kvmigrate.io/token-expires': expirationTimestamp ?? 'unknown' },
      },
      type: 'Opaque',
      stringData: { kubeconfig: JSON.stringify(kubeconfig, null, 2) },
    } as KubeObject,
  };
}
