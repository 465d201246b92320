import type { ErrorObject } from 'ajv';
import { abbreviate, fieldLabel } from '../diagnostics.ts';
import type { YamlPath } from './yaml-file.ts';

/** An ajv error turned into words a user can act on, with the YAML path it points at. */
export interface SchemaFinding {
  readonly path: YamlPath;
  /** Point at the key rather than the value (an unknown field). */
  readonly key: boolean;
  readonly message: string;
  readonly hint?: string;
}

function pathOf(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The value at `path` in the validated document (ajv's non-verbose errors, as the CRD validators', carry no value). */
function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((value, segment) => (value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[segment] : undefined), root);
}

/**
 * How to mend a value of the wrong type where the mistake is a common one: a quantity written as a bare number (YAML
 * reads `size: 40` as the number 40, and a bare quantity means bytes), or `key:value` without the space YAML needs to
 * see a key, which reads as one string where a mapping belongs.
 */
function typeHint(type: string, data: unknown, description: string | undefined): string | undefined {
  if (type === 'string' && typeof data === 'number' && description?.includes('quantity')) return `give the unit: ${data}Gi (a bare number is bytes)`;
  const missingSpace = typeof data === 'string' ? /^([\w.-]+):(\S.*)$/.exec(data) : null;
  if (type.includes('object') && missingSpace) return `"${data}" is one string: YAML needs a space after the colon, "${missingSpace[1]}: ${missingSpace[2]}"`;
  return undefined;
}

/** `error` of a validation of `root`, in words. */
export function describeSchemaError(error: ErrorObject, root: unknown): SchemaFinding {
  const path = pathOf(error.instancePath);
  const label = fieldLabel(path);
  const data = valueAt(root, path);
  const parent = error.parentSchema as { description?: string; properties?: Record<string, unknown> } | undefined;
  switch (error.keyword) {
    case 'required':
      return { path, key: false, message: `${label}: missing required field "${error.params.missingProperty}"` };
    case 'additionalProperties': {
      const field = String(error.params.additionalProperty);
      const known = Object.keys(parent?.properties ?? {});
      return {
        path: [...path, field],
        key: true,
        message: `${label}: unknown field "${abbreviate(field)}"`,
        hint: known.length > 0 ? `known fields: ${known.join(', ')}` : undefined,
      };
    }
    case 'pattern':
    case 'format':
      return {
        path,
        key: false,
        message: `${label}: ${abbreviate(JSON.stringify(data) ?? String(data))} is not valid${parent?.description ? `: ${parent.description}` : ` (${error.message})`}`,
      };
    case 'const':
      return { path, key: false, message: `${label}: must be ${JSON.stringify(error.params.allowedValue)}` };
    case 'type': {
      const type = String(error.params.type);
      const article = /^[aeiou]/.test(type) ? 'an' : 'a';
      return { path, key: false, message: `${label}: must be ${type === 'array' ? 'a list' : `${article} ${type}`}`, hint: typeHint(type, data, parent?.description) };
    }
    case 'enum':
      return { path, key: false, message: `${label}: ${abbreviate(JSON.stringify(data) ?? String(data))} is not one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { path, key: false, message: `${label}: ${error.message}` };
  }
}

/**
 * ajv reports a value that matches no branch of an `anyOf` once per branch and once for the `anyOf` itself. Keeps
 * what the user can act on: the errors of the branch of the value's type, else one "must be a string or object".
 * Every error at or under the `anyOf`'s value comes from its branches (the value is nothing else's).
 */
export function collapseAnyOf(errors: readonly ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  if (unions.length === 0) return [...errors];
  const inUnion = (e: ErrorObject, union: ErrorObject) => e !== union && (e.instancePath === union.instancePath || e.instancePath.startsWith(`${union.instancePath}/`));
  const kept = errors.filter((e) => !unions.some((u) => inUnion(e, u) && e.keyword === 'type' && e.instancePath === u.instancePath));
  return kept.flatMap((e) => {
    if (e.keyword !== 'anyOf') return [e];
    if (kept.some((other) => inUnion(other, e))) return [];
    const types = errors.filter((other) => inUnion(other, e) && other.keyword === 'type').map((other) => String(other.params.type));
    return [{ ...e, keyword: 'type', params: { type: [...new Set(types)].join(' or ') } }];
  });
}
