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

// apimachinery pkg/util/validation `IsQualifiedName` and `IsValidLabelValue`, as the API server applies them to an
// object's labels (pkg/apis/meta/v1/validation `ValidateLabels`) and annotation keys (pkg/api/validation
// `ValidateAnnotations`, which also bounds their total size). Lengths are in bytes, as Go's len counts them.
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME_RULE = "alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";
/** `totalAnnotationSizeLimitB`: the keys and values of one object's annotations together. */
export const TOTAL_ANNOTATION_BYTES = 256 * 1024;

const bytes = (value: string) => Buffer.byteLength(value, 'utf8');

/** What is wrong with `value` as a qualified name (`[prefix/]name`, the prefix a DNS subdomain), or [] when nothing. */
export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) return [`a qualified name is a name of ${QUALIFIED_NAME_RULE}, with an optional DNS subdomain prefix and '/' (such as example.com/MyName)`];
  const [name, prefix] = parts.length === 2 ? [parts[1]!, parts[0]!] : [parts[0]!, undefined];
  const errors: string[] = [];
  if (prefix === '') errors.push('the prefix part must not be empty');
  else if (prefix !== undefined && !isDnsSubdomain(prefix)) errors.push('the prefix part must be a DNS subdomain: lowercase alphanumeric characters, \'-\' or \'.\', at most 253 characters');
  if (name === '') errors.push('the name part must not be empty');
  else if (bytes(name) > 63) errors.push('the name part must be at most 63 characters');
  if (!QUALIFIED_NAME_PART.test(name)) errors.push(`the name part must consist of ${QUALIFIED_NAME_RULE}`);
  return errors;
}

/** What is wrong with `value` as a label value, or [] when nothing. */
export function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (bytes(value) > 63) errors.push('a label value must be at most 63 characters');
  if (!LABEL_VALUE.test(value)) errors.push(`a label value must be empty or consist of ${QUALIFIED_NAME_RULE}`);
  return errors;
}

/** The size `ValidateAnnotations` bounds: every key and value, in bytes. */
export function annotationBytes(annotations: Readonly<Record<string, string>>): number {
  return Object.entries(annotations).reduce((total, [key, value]) => total + bytes(key) + bytes(String(value)), 0);
}
