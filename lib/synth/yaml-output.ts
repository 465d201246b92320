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

/**
 * Multi-document YAML for manifests: keys in the given order (cdk8s sorts them), no folding, no anchors, strings
 * quoted wherever YAML 1.1 or 1.2 would read them as anything but strings. js-yaml's dumper, about five times faster
 * than building a `yaml` Document per object, which matters for thousands of migrations.
 */
export function manifestYaml(objects: readonly unknown[], options: { sortKeys?: boolean } = {}): string {
  return objects.map((object) => dump(object, { schema: OUTPUT_SCHEMA, lineWidth: -1, noRefs: true, quotingType: '"', sortKeys: options.sortKeys ?? false })).join('---\n');
}
