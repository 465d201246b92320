import type { Locator, YamlPath } from '../config/yaml-file.ts';
import { abbreviate, type DiagnosticBag } from '../diagnostics.ts';
import { RESTORE_RUN_STRATEGY_ANNOTATION, type ObjectMeta } from '../kubevirt/api.ts';
import { annotationBytes, labelValueErrors, qualifiedNameErrors, TOTAL_ANNOTATION_BYTES } from '../kubernetes/validation.ts';

/** Written by controllers and tools, never part of the VM's identity: not carried to the receiver. */
const CONTROLLER_OWNED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'kubevirt.io/latest-observed-api-version',
  'kubevirt.io/storage-observed-api-version',
  'kubemacpool.io/transaction-timestamp',
  RESTORE_RUN_STRATEGY_ANNOTATION,
]);
const CONTROLLER_OWNED_LABELS = new Set(['app.kubernetes.io/instance']);
/** Room kept in the API server's annotation budget for the annotations kvmigrate sets itself (a few hundred bytes). */
const OWN_ANNOTATION_BYTES = 4096;

/**
 * Keys of the GitOps engines, by the domain of their prefix: `argoproj.io` and its subdomains (`argocd.argoproj.io/
 * sync-wave`, `/sync-options`, `/tracking-id`, `/hook`, ...), `fluxcd.io` and its subdomains (`kustomize.toolkit.fluxcd.io/
 * reconcile`, `/ssa`, `/prune`, `fluxcd.io/ignore`, ...). On the source they say how the source's own Application or
 * Kustomization treats it; carried over, they would make the engine track, skip, prune or hook kvmigrate's objects as
 * the source's. kvmigrate sets the ones its objects need itself, so these are dropped, with a warning
 * (checkCarriedMetadata): refusing them would refuse every manifest pulled from a cluster an engine manages.
 */
function isEngineKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const domain = key.slice(0, slash);
  return ['argoproj.io', 'fluxcd.io'].some((engine) => domain === engine || domain.endsWith(`.${engine}`));
}

/** kvmigrate's own keys, from an earlier emission: it sets them again. */
const isOwnKey = (key: string) => key.startsWith('kvmigrate.io/');

function carried(map: Readonly<Record<string, string>> | undefined, owned: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).filter(([key]) => !owned.has(key) && !isEngineKey(key) && !isOwnKey(key)));
}

/** A VM's own labels and annotations: what it carries wherever it is emitted, without what controllers wrote. */
export function ownMetadata(metadata: ObjectMeta | undefined): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: carried(metadata?.labels, CONTROLLER_OWNED_LABELS),
    annotations: carried(metadata?.annotations, CONTROLLER_OWNED_ANNOTATIONS),
  };
}

/** A VM template's metadata as the receiver carries it: without the engines' keys (isEngineKey). */
export function carriedTemplateMetadata<T extends ObjectMeta>(metadata: T): T {
  const without = (map: Readonly<Record<string, string>> | undefined) => map && carried(map, new Set());
  // A template's name, generateName and namespace mean nothing to KubeVirt (the VMI takes the VM's): not carried.
  const { name: _name, generateName: _generateName, namespace: _namespace, ...rest } = metadata as T & { name?: string; generateName?: string; namespace?: string };
  return { ...(rest as T), ...(metadata.labels && { labels: without(metadata.labels) }), ...(metadata.annotations && { annotations: without(metadata.annotations) }) };
}

/**
 * Checks the labels and annotations at `path` (an object's `metadata`) that kvmigrate carries into its output, as the
 * API server checks them on create (apimachinery `ValidateObjectMetaAccessor`: `ValidateLabels` with
 * `IsQualifiedName` and `IsValidLabelValue`, `ValidateAnnotations` with `IsQualifiedName` of the lowercased key and
 * the total size), each fault at its key; warns about the engines' keys it drops.
 */
export function checkCarriedMetadata(metadata: ObjectMeta | undefined, locate: Locator, path: YamlPath, what: string, bag: DiagnosticBag): void {
  const at = (field: 'labels' | 'annotations', key?: string) => locate([...path, field, ...(key === undefined ? [] : [key])], { key: key !== undefined });
  const dropped: string[] = [];
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata?.[field] ?? {};
    for (const [key, value] of Object.entries(map)) {
      if (isEngineKey(key)) {
        dropped.push(key);
        continue;
      }
      const keyErrors = qualifiedNameErrors(field === 'annotations' ? key.toLowerCase() : key);
      const valueErrors = field === 'labels' ? labelValueErrors(String(value)) : [];
      const singular = field === 'labels' ? 'label' : 'annotation';
      if (keyErrors.length > 0) bag.error(`${what}: ${singular} key "${abbreviate(key)}" is not valid: ${keyErrors.join('; ')}`, at(field, key), 'the API server refuses the object: fix or remove the key');
      if (valueErrors.length > 0) bag.error(`${what}: label "${abbreviate(key)}" has value "${abbreviate(String(value))}", which is not valid: ${valueErrors.join('; ')}`, at(field, key), 'the API server refuses the object: fix the value');
    }
  }
  // kvmigrate adds annotations of its own (sync wave, run strategy, migration ID): the carried ones leave them room.
  const size = annotationBytes(carried(metadata?.annotations, CONTROLLER_OWNED_ANNOTATIONS));
  const limit = TOTAL_ANNOTATION_BYTES - OWN_ANNOTATION_BYTES;
  if (size > limit) {
    bag.error(
      `${what}: the annotations kvmigrate carries over total ${size.toLocaleString('en')} bytes, more than ${limit.toLocaleString('en')}: the API server's ${TOTAL_ANNOTATION_BYTES.toLocaleString('en')} less ${OWN_ANNOTATION_BYTES.toLocaleString('en')} kept for kvmigrate's own`,
      at('annotations'),
      'remove the large annotations from the manifest',
    );
  }
  if (dropped.length > 0) {
    const field = metadata?.labels && Object.hasOwn(metadata.labels, dropped[0]!) ? 'labels' : 'annotations';
    bag.warning(
      `${what}: dropped ${dropped.map((k) => `"${abbreviate(k)}"`).join(', ')}: keys of Argo CD or Flux on the source say how its engine treats the source, and would make it treat kvmigrate's objects as the source's`,
      at(field, dropped[0]),
      'nothing to do; to silence this, remove them from the manifest',
    );
  }
}
