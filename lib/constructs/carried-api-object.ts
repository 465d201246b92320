import { ApiObject, type ApiObjectProps } from 'cdk8s';
import type { Construct } from 'constructs';

// cdk8s's sanitizer takes an object with an own `constructor` key for a class instance and refuses it
// ("can't render non-simple object"), yet `constructor` is a valid label, annotation or field name in data carried
// over from a source VM. Such keys travel under this stand-in and are put back after cdk8s has rendered the object.
const STAND_IN = '\u0000kvmigrate:constructor';

/** Whether any object in `value` has a `constructor` key: a walk without allocations, so that most objects skip the copies. */
function hasConstructorKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasConstructorKey);
  for (const key in value) {
    if (key === 'constructor' || hasConstructorKey((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function escapeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(escapeKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k === 'constructor' ? STAND_IN : k, escapeKeys(v)]));
}

/** Puts the keys back, keeping cdk8s's key order (sorted), as if the stand-in had never been there. */
function restoreKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(restoreKeys);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([k, v]) => [k === STAND_IN ? 'constructor' : k, restoreKeys(v)] as const);
  const restored = entries.some(([k]) => k === 'constructor') ? entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : entries;
  const result: Record<string, unknown> = {};
  for (const [k, v] of restored) Object.defineProperty(result, k, { value: v, enumerable: true, writable: true, configurable: true });
  return result;
}

/** An ApiObject holding data copied from a source object as it is, whatever its keys are named. */
export class CarriedApiObject extends ApiObject {
  private readonly escaped: boolean;

  public constructor(scope: Construct, id: string, props: ApiObjectProps & Record<string, unknown>) {
    const escaped = hasConstructorKey(props);
    super(scope, id, (escaped ? escapeKeys(props) : props) as ApiObjectProps);
    this.escaped = escaped;
  }

  public override toJson(): any {
    return this.escaped ? restoreKeys(super.toJson()) : super.toJson();
  }
}
