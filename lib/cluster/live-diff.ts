import { isDeepStrictEqual } from 'node:util';
import type { CallContext } from './cluster-calls.ts';
import type { KubeObject } from './cluster-api.ts';
import type { LiveObjects, ObjectReference } from './live-objects.ts';

/** What the next sync would do to one object. */
export type SyncChange = 'create' | 'update' | 'unchanged' | 'hook';

export interface ObjectDiff {
  readonly change: SyncChange;
  /** With update or unchanged: the live object, as compared (see {@link comparable}). */
  readonly live?: KubeObject;
  /** With update or unchanged: the object as the apply would leave it, as compared. */
  readonly merged?: KubeObject;
}

export interface DiffOptions {
  /** The GitOps engine's field manager: fields it applied before and no longer applies are removed by the apply. */
  readonly fieldManager: string;
  /** JSON pointers the engine neither compares nor writes on this object (its ignoreDifferences, its spec.ignore). */
  readonly ignored: readonly string[];
  /**
   * Whether the engine runs Argo CD hooks as hooks. Argo CD does; kustomize-controller knows no hooks and applies a
   * hook Job like any object (re-created when changed: `force: Enabled`), so under Flux it is compared.
   */
  readonly argoHooks: boolean;
  /** How this object's calls are retried, and until when. */
  readonly context: CallContext;
}

const HOOK_ANNOTATION = 'argocd.argoproj.io/hook';

/**
 * Whether Argo CD runs the object as a hook, created anew on each sync rather than kept in sync: gitops-engine
 * `hook.IsHook` (an `argocd.argoproj.io/hook` annotation, unless its only type is Skip, `hook.Skip`).
 */
export function isHook(object: KubeObject): boolean {
  const value = object.metadata?.annotations?.[HOOK_ANNOTATION];
  if (value === undefined) return false;
  const types = value.split(',').map((type) => type.trim());
  return !(types.length === 1 && types[0] === 'Skip');
}

/** Removes what a JSON pointer (RFC 6901) points at, when it is there. */
function removeAt(object: Record<string, unknown>, pointer: string): void {
  const keys = pointer.split('/').slice(1).map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'));
  let parent: unknown = object;
  for (const key of keys.slice(0, -1)) parent = typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[key] : undefined;
  if (typeof parent === 'object' && parent !== null) delete (parent as Record<string, unknown>)[keys.at(-1)!];
}

/**
 * An object as both engines compare it: without the server's bookkeeping that every write changes (managedFields,
 * as kubectl diff `omitManagedFields` and gitops-engine `serverSideDiff` drop them; resourceVersion and generation,
 * which a dry run may move), and without the fields the engine ignores (gitops-engine's ignore normalizer removes
 * them from both sides; fluxcd/pkg ssa `ResourceManager.Diff` strips them from both).
 */
export function comparable(object: KubeObject, ignored: readonly string[]): KubeObject {
  const copy = structuredClone(object);
  if (copy.metadata) {
    delete copy.metadata.managedFields;
    delete copy.metadata.resourceVersion;
    delete copy.metadata.generation;
  }
  for (const pointer of ignored) removeAt(copy as Record<string, unknown>, pointer);
  return copy;
}

/**
 * What the next sync would change on one object, decided by the server: a missing object is created; an existing one
 * is compared with the server's dry-run apply of the desired object (gitops-engine `diff.ServerSideDiff`, kubectl diff
 * `InfoObject.Merged` with --server-side). Argo CD's hooks are not compared: each sync creates them anew.
 */
export async function diffObject(objects: LiveObjects, desired: ObjectReference, options: DiffOptions): Promise<ObjectDiff> {
  if (options.argoHooks && isHook(desired)) return { change: 'hook' };
  const found = await objects.get(desired, options.context);
  if (!found) return { change: 'create' };
  const live = comparable(found, options.ignored);
  const merged = comparable(await objects.applyDryRun(desired, options.fieldManager, options.context), options.ignored);
  return { change: isDeepStrictEqual(live, merged) ? 'unchanged' : 'update', live, merged };
}
