import { isIP, Socket } from 'node:net';
import type { StepLog } from './step-log.ts';

/** An IP family the hook may restrict the synchronization address to. */
export type AddressFamily = 'IPv4' | 'IPv6';

/** How the hook picks one of the addresses KubeVirt publishes. */
export interface AddressChoice {
  /** Only addresses of this family. @default - any */
  readonly family?: AddressFamily;
  /** Try each with a TCP connect and take the first that answers. @default true */
  readonly probe?: boolean;
}

/** How long one TCP connect may take: a reachable synchronization controller answers at once. */
const PROBE_TIMEOUT_MS = 1500;

/** `host:port` or `[v6]:port` split; undefined when it is not one. */
function splitHostPort(address: string): { host: string; port: number } | undefined {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
}

/** The IP family of `host:port`; undefined for a host name. */
export function familyOf(address: string): AddressFamily | undefined {
  const kind = isIP(splitHostPort(address)?.host ?? '');
  return kind === 4 ? 'IPv4' : kind === 6 ? 'IPv6' : undefined;
}

/** Whether something accepts a TCP connection at `address` within the probe timeout. */
function answers(address: string): Promise<boolean> {
  const target = splitHostPort(address);
  if (!target) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(target.port, target.host);
  });
}

/**
 * One of the synchronization addresses KubeVirt publishes: virt-operator publishes every address of the leader
 * (`updateSynchronizationAddress`, `getIpsFromAnnotations`: the migration network's IPs, else all pod IPs, so a
 * dual-stack cluster publishes both families), and a sendTo's connectURL never changes once created. So, of those of
 * the wanted family, the first that accepts a TCP connect from here; when none does (the hook's pod may not reach
 * the migration network the source's handler uses), the first, as KubeVirt lists it. Undefined when none is of the
 * wanted family.
 */
export async function chooseAddress(addresses: readonly string[], choice: AddressChoice, log: StepLog): Promise<string | undefined> {
  const candidates = choice.family ? addresses.filter((a) => familyOf(a) === choice.family) : [...addresses];
  if (candidates.length <= 1 || choice.probe === false) return candidates[0];
  for (const address of candidates) {
    if (await answers(address)) {
      log.info('probe', `${address} answers a TCP connect (of ${candidates.join(', ')})`);
      return address;
    }
    log.info('probe', `${address} does not answer a TCP connect from here`);
  }
  log.info('probe', `none of ${candidates.join(', ')} answers from here; taking the first, as KubeVirt lists them`);
  return candidates[0];
}
