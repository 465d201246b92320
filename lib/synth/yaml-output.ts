import { isDeepStrictEqual } from 'node:util';
import { CORE_SCHEMA, dump, Type } from 'js-yaml';

/** YAML 1.1's implicit scalars (yaml.org/type, 2005): what a 1.1 parser reads as anything but a string. */
const YAML11_IMPLICIT = [
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/, // bool
  /^(?:~|null|Null|NULL)$/, // null
  /^[-+]?(?:0b[01_]+|0[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*|[1-9][0-9_]*(?::[0-5]?[0-9])+)$/, // int
  // float; the exponent form as loosely as the `yaml` package reads it (`e0` included), to be safe with any reader
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9._]*(?:[eE][-+][0-9]+)?$|^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$|^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/,
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$/, // timestamp
  /^(?:<<|=)$/, // merge, value
];

const YAML11_FIRST_CHARACTER = /^[yYnNtTfFoOeE~+\-.0-9<=]/;

/**
 * Strings that YAML 1.1 would read as something else (`on`, `yes`, `0777`, `1:20`, dates). Kubernetes tools still
 * parse YAML 1.1 (go-yaml v2 behind sigs.k8s.io/yaml), so such strings must be quoted even though YAML 1.2 reads them
 * as strings. Declared as an implicit type, they make the dumper quote them.
 */
const YAML11_LOOKALIKES = new Type('tag:kvmigrate.io,2026:yaml11-lookalike', {
  kind: 'scalar',
  // Every look-alike starts with one of these characters; most strings (names, paths) do not, and skip the patterns.
  resolve: (data: string) => YAML11_FIRST_CHARACTER.test(data) && YAML11_IMPLICIT.some((pattern) => pattern.test(data)),
  construct: (data: string) => data,
});

const OUTPUT_SCHEMA = CORE_SCHEMA.extend({ implicit: [YAML11_LOOKALIKES] });

const DUMP_OPTIONS = { schema: OUTPUT_SCHEMA, lineWidth: -1, noRefs: true, quotingType: '"' } as const;

export interface ManifestYamlOptions {
  /** Sort every mapping's keys (default: keep the given order; cdk8s has sorted them). */
  readonly sortKeys?: boolean;
  /**
   * A path of mapping keys whose value repeats across the objects (every Kustomization's `spec.healthCheckExprs`,
   * 9 KB of CEL): its text is dumped once and reused in each object whose value there is deep-equal to the first's.
   * The output is the same as without it, byte for byte.
   */
  readonly repeatedAt?: readonly string[];
}

/**
 * Multi-document YAML for manifests: keys in the given order (cdk8s sorts them), no folding, no anchors, strings
 * quoted wherever YAML 1.1 or 1.2 would read them as anything but strings. js-yaml's dumper, about five times faster
 * than building a `yaml` Document per object, which matters for thousands of migrations.
 */
export function manifestYaml(objects: readonly unknown[], options: ManifestYamlOptions = {}): string {
  const dumpOptions = { ...DUMP_OPTIONS, sortKeys: options.sortKeys ?? false };
  const dumpOne = (object: unknown) => dump(object, dumpOptions);
  const dumpObject = options.repeatedAt?.length ? repeatedValueDumper(objects, options.repeatedAt, dumpOne) : dumpOne;
  return objects.map(dumpObject).join('---\n');
}

/** Stands for the repeated value in an object's dump: a plain scalar, replaced by the value's text afterwards. */
const PLACEHOLDER = 'kvmigrate-repeated-value-placeholder';

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function valueAt(object: unknown, path: readonly string[]): unknown {
  let value = object;
  for (const key of path) {
    if (!isMapping(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** `object` with the value at `path` replaced, copying only the mappings on the way. */
function withValueAt(object: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const [key, ...rest] = path as [string, ...string[]];
  return { ...object, [key]: rest.length === 0 ? value : withValueAt(object[key] as Record<string, unknown>, rest, value) };
}

/**
 * A dumper that writes the value at `path` (the first object's) once. The same path holding the placeholder dumps to
 * the same lines up to the key's line, in the object as in a lone template, since js-yaml indents a block mapping
 * by its depth alone: that line, `<indent><key>: <placeholder>`, is swapped for the value's text. An object whose
 * value differs, or whose own data holds the placeholder's text, is dumped whole.
 */
export function repeatedValueDumper(objects: readonly unknown[], path: readonly string[], dumpOne: (object: unknown) => string): (object: unknown) => string {
  const first = objects.find((object) => valueAt(object, path) !== undefined);
  if (first === undefined) return dumpOne;
  const repeated = valueAt(first, path);
  const template = (value: unknown) => path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
  const withPlaceholder = dumpOne(template(PLACEHOLDER));
  const keyLine = withPlaceholder.slice(withPlaceholder.lastIndexOf('\n', withPlaceholder.length - 2) + 1);
  const valueText = dumpOne(template(repeated)).slice(withPlaceholder.length - keyLine.length);
  return (object) => {
    if (!isMapping(object) || !isDeepStrictEqual(valueAt(object, path), repeated)) return dumpOne(object);
    const text = dumpOne(withValueAt(object, path, PLACEHOLDER));
    const at = text.indexOf(keyLine);
    // With the placeholder in the text once, the key's line is the one match.
    if (at === -1 || text.indexOf(PLACEHOLDER) !== text.lastIndexOf(PLACEHOLDER)) return dumpOne(object);
    return text.slice(0, at) + valueText + text.slice(at + keyLine.length);
  };
}
