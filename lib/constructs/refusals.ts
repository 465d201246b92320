import { Chart } from 'cdk8s';
import type { Construct, IConstruct } from 'constructs';
import { DuplicateGuard, type FieldRefusal, type Refusal } from '../rules/migration.ts';

/** A prop and what is wrong with it, or nothing. */
export function field(name: string, refusal: Refusal | undefined): FieldRefusal[] {
  return refusal ? [{ field: name, ...refusal }] : [];
}

/**
 * Throws one error naming the construct's path and each refused prop, in the words of lib/rules (which the CLI uses
 * too): `MigrationPair "app/web": connectURL "http://..." is not host:port ...`.
 */
export function throwIfRefused(construct: Construct, kind: string, refusals: readonly FieldRefusal[]): void {
  if (refusals.length === 0) return;
  // The kind is given: the command line's bundle is minified, class names with it.
  const name = `${kind} "${construct.node.path}"`;
  throw new Error(refusals.map((r) => `${name}: ${r.field} ${r.message}${r.hint ? ` (${r.hint})` : ''}`).join('\n'));
}

/** The duplicate guards of one app: migrations anywhere in the tree, each chart taken for a cluster. */
const guards = new WeakMap<IConstruct, DuplicateGuard<string>>();
export function duplicateGuardOf(construct: IConstruct): DuplicateGuard<string> {
  const root = construct.node.root;
  let guard = guards.get(root);
  if (!guard) guards.set(root, (guard = new DuplicateGuard()));
  return guard;
}

/** The cluster a construct's objects go to, for the duplicate guards: its chart. */
export function clusterOf(construct: IConstruct): string {
  return Chart.of(construct).node.path;
}
