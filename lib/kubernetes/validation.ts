// Kubernetes' own syntax rules for the values kvmigrate writes into objects (apimachinery `validation.IsDNS1123Label`,
// `IsDNS1123Subdomain`, `IsValidPortNum`), so an invalid value fails at synthesis instead of at the API server.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[-A-Za-z0-9.]*[A-Za-z0-9])?)):(\d{1,5})$/;

/** apimachinery `IsDNS1123Label`: namespaces, VM names (a VMI's name is a hostname). */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** apimachinery `IsDNS1123Subdomain`: names of most objects (DataVolumes, claims, storage classes). */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/**
 * A gRPC target as KubeVirt dials `connectURL`: `host:port`, `ip:port` or `[ipv6]:port`, no scheme, a port in
 * 1..65535 (apimachinery `IsValidPortNum`). An IPv6 address must be in brackets, or the port is ambiguous.
 */
export function isHostPort(value: string): boolean {
  const match = HOST_PORT.exec(value);
  if (!match) return false;
  const port = Number(match[3]);
  return port >= 1 && port <= 65535 && (match[1] === undefined || match[1].includes(':'));
}
