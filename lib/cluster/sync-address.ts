import { DEFAULT_KUBEVIRT_NAMESPACE, DEFAULT_SYNCHRONIZATION_PORT, SYNC_CONTROLLER_LEASE as SYNC_CONTROLLER } from '../kubevirt/api.ts';
import type { ClusterApi, KubeObject } from './cluster-api.ts';
import { call, type CallContext } from './cluster-calls.ts';
import { ClusterFailure } from './cluster-failure.ts';

/** Where KubeVirt is installed upstream and on OpenShift, searched in this order when not given. */
export const KUBEVIRT_NAMESPACES = [DEFAULT_KUBEVIRT_NAMESPACE, 'openshift-cnv'] as const;

/** Either the addresses found (in the order their source lists them) and where, or what is still missing. */
export type AddressLookup = { readonly addresses: readonly string[]; readonly source: string } | { readonly addresses?: undefined; readonly missing: string };

/** `host:port`, with an IPv6 address in brackets as gRPC targets need. */
export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The destination's KubeVirt CR: in `namespace`, or the first of the usual namespaces that has one. */
export async function findKubeVirt(api: ClusterApi, context: CallContext, namespace: string | undefined): Promise<KubeObject | undefined> {
  for (const candidate of namespace ? [namespace] : KUBEVIRT_NAMESPACES) {
    try {
      const [kubevirt] = (await call(context, `list KubeVirt in ${candidate}`, () => api.listKubeVirts(candidate))) ?? [];
      if (kubevirt) return kubevirt;
    } catch (error) {
      // While searching, a namespace we may not read is a namespace without KubeVirt for us; no server is not.
      if (namespace || !(error instanceof ClusterFailure) || error.reach) throw error;
    }
  }
  return undefined;
}

/** The pod annotation Multus writes each attached network's interface and IPs into. */
const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';
/** The interface KubeVirt gives a pod on the dedicated migration network (`v1.MigrationInterfaceName`). */
const MIGRATION_INTERFACE = 'migration0';

/**
 * The leader pod's IPs as virt-operator publishes them (`updateSynchronizationAddress`): the migration network's
 * (`getIpsFromAnnotations`, interface migration0 in the Multus network-status annotation), else every pod IP.
 */
function leaderIps(pod: { metadata?: { annotations?: Record<string, string> }; status?: { podIP?: string; podIPs?: { ip: string }[] } }): string[] {
  let statuses: { interface?: string; ips?: string[] }[] = [];
  try {
    const parsed = JSON.parse(pod.metadata?.annotations?.[NETWORK_STATUS_ANNOTATION] ?? '[]');
    if (Array.isArray(parsed)) statuses = parsed;
  } catch {
    // Upstream logs an unreadable annotation and goes on with the pod IPs.
  }
  const migration = statuses.find((s) => s?.interface === MIGRATION_INTERFACE)?.ips ?? [];
  if (migration.length > 0) return migration;
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  return ips.length > 0 ? ips : pod.status?.podIP ? [pod.status.podIP] : [];
}

/**
 * The lab's manual method, used last: Lease holder -> its pod -> its IPs (the migration network's when it has one)
 * and the configured port, as virt-operator would publish them.
 */
async function addressFromLease(api: ClusterApi, context: CallContext, namespace: string, port: number): Promise<AddressLookup> {
  const lease = await call(context, `read Lease ${namespace}/${SYNC_CONTROLLER}`, () => api.getLease(namespace, SYNC_CONTROLLER));
  const holder = lease?.spec?.holderIdentity;
  if (!holder) return { missing: `a leader in Lease ${namespace}/${SYNC_CONTROLLER}` };
  const pod = await call(context, `read Pod ${namespace}/${holder}`, () => api.getPod(namespace, holder));
  if (!pod) return { missing: `the leader pod ${namespace}/${holder} (the Lease names it, but it is gone)` };
  // virt-operator publishes no address for a terminating leader (`updateSynchronizationAddress`): neither do we.
  if (pod.metadata?.deletionTimestamp) return { missing: `a new leader (pod ${namespace}/${holder} is terminating)` };
  if (pod.status?.phase !== 'Running') return { missing: `the leader pod ${namespace}/${holder} to run (phase ${pod.status?.phase ?? 'unknown'})` };
  const ips = leaderIps(pod as never);
  if (ips.length === 0) return { missing: `an IP for the leader pod ${namespace}/${holder}` };
  return { addresses: ips.map((ip) => hostPort(ip, port)), source: `Lease ${namespace}/${SYNC_CONTROLLER} -> Pod ${holder}` };
}

/**
 * The destination's synchronization addresses, in order of trust: a static `connectURL`; the destination KubeVirt
 * CR's `status.synchronizationAddresses`; the receive migration's copy of them; the Lease holder's pod IPs.
 */
export async function lookUpSyncAddress(
  api: ClusterApi,
  context: CallContext,
  options: { readonly connectURL?: string; readonly kubevirtNamespace?: string; readonly receiveMigration: KubeObject; readonly publishedOnly?: boolean },
): Promise<AddressLookup> {
  if (options.connectURL) return { addresses: [options.connectURL], source: '--connect-url' };
  const mirrored: string[] = options.receiveMigration.status?.synchronizationAddresses ?? [];
  const fromReceive = { addresses: mirrored, source: `receive migration ${options.receiveMigration.metadata?.name} status` };
  if (options.publishedOnly) {
    // KubeVirt mirrors its published addresses onto every migration's status (migration.go
    // `setSynchronizationAddressStatus`): the receive migration is enough, without access to KubeVirt's namespace.
    return mirrored.length > 0 ? fromReceive : { missing: `KubeVirt to publish the synchronization address on receive migration ${options.receiveMigration.metadata?.name} (status.synchronizationAddresses)` };
  }
  const kubevirt = await findKubeVirt(api, context, options.kubevirtNamespace);
  const published: string[] = kubevirt?.status?.synchronizationAddresses ?? [];
  if (published.length > 0) return { addresses: published, source: `KubeVirt ${kubevirt!.metadata?.namespace}/${kubevirt!.metadata?.name} status` };
  if (mirrored.length > 0) return fromReceive;
  const namespace = kubevirt?.metadata?.namespace ?? options.kubevirtNamespace;
  if (!namespace) return { missing: `a KubeVirt CR in ${KUBEVIRT_NAMESPACES.join(' or ')} (pass --kubevirt-namespace)` };
  const port = Number(kubevirt?.spec?.synchronizationPort ?? DEFAULT_SYNCHRONIZATION_PORT);
  return addressFromLease(api, context, namespace, port);
}
