import { DEFAULT_KUBEVIRT_NAMESPACE, DEFAULT_SYNCHRONIZATION_PORT, SYNC_CONTROLLER_LEASE as SYNC_CONTROLLER } from '../kubevirt/api.ts';
import type { ClusterApi, KubeObject } from './cluster-api.ts';
import { call, type CallContext } from './cluster-calls.ts';
import { ClusterFailure } from './cluster-failure.ts';

/** Where KubeVirt is installed upstream and on OpenShift, searched in this order when not given. */
export const KUBEVIRT_NAMESPACES = [DEFAULT_KUBEVIRT_NAMESPACE, 'openshift-cnv'] as const;

/** Either an address and where it came from, or what is still missing. */
export type AddressLookup = { readonly address: string; readonly source: string } | { readonly address?: undefined; readonly missing: string };

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

/**
 * The lab's manual method, used last: Lease holder -> its pod -> pod IP and the configured port. It misses a
 * dedicated migration network, which the published addresses account for.
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
  const ip = pod.status?.podIP ?? pod.status?.podIPs?.[0]?.ip;
  if (!ip) return { missing: `an IP for the leader pod ${namespace}/${holder}` };
  return { address: hostPort(ip, port), source: `Lease ${namespace}/${SYNC_CONTROLLER} -> Pod ${holder}` };
}

/**
 * The destination's synchronization address, in order of trust: a static `connectURL`; the destination KubeVirt CR's
 * `status.synchronizationAddresses[0]`; the receive migration's copy of it; the Lease holder's pod IP.
 */
export async function lookUpSyncAddress(
  api: ClusterApi,
  context: CallContext,
  options: { readonly connectURL?: string; readonly kubevirtNamespace?: string; readonly receiveMigration: KubeObject; readonly publishedOnly?: boolean },
): Promise<AddressLookup> {
  if (options.connectURL) return { address: options.connectURL, source: '--connect-url' };
  if (options.publishedOnly) {
    // KubeVirt mirrors its published addresses onto every migration's status (migration.go
    // `setSynchronizationAddressStatus`): the receive migration is enough, without access to KubeVirt's namespace.
    const mirrored = options.receiveMigration.status?.synchronizationAddresses?.[0];
    const name = `${options.receiveMigration.metadata?.namespace}/${options.receiveMigration.metadata?.name}`;
    return mirrored ? { address: mirrored, source: `receive migration ${name} status` } : { missing: `KubeVirt to publish the synchronization address on receive migration ${name} (status.synchronizationAddresses)` };
  }
  const kubevirt = await findKubeVirt(api, context, options.kubevirtNamespace);
  const published = kubevirt?.status?.synchronizationAddresses?.[0];
  if (published) return { address: published, source: `KubeVirt ${kubevirt.metadata?.namespace}/${kubevirt.metadata?.name} status` };
  const mirrored = options.receiveMigration.status?.synchronizationAddresses?.[0];
  if (mirrored) return { address: mirrored, source: `receive migration ${options.receiveMigration.metadata?.name} status` };
  const namespace = kubevirt?.metadata?.namespace ?? options.kubevirtNamespace;
  if (!namespace) return { missing: `a KubeVirt CR in ${KUBEVIRT_NAMESPACES.join(' or ')} (pass --kubevirt-namespace)` };
  const port = Number(kubevirt?.spec?.synchronizationPort ?? DEFAULT_SYNCHRONIZATION_PORT);
  return addressFromLease(api, context, namespace, port);
}
