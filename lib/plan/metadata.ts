import { RESTORE_RUN_STRATEGY_ANNOTATION, type ObjectMeta } from '../kubevirt/api.ts';

/** Written by controllers and tools, never part of the VM's identity: not carried to the receiver. */
const CONTROLLER_OWNED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'kubevirt.io/latest-observed-api-version',
  'kubevirt.io/storage-observed-api-version',
  'kubemacpool.io/transaction-timestamp',
  RESTORE_RUN_STRATEGY_ANNOTATION,
]);
/** GitOps tracking: carried over, they would make the source's Application claim (and prune) the receiver. */
const CONTROLLER_OWNED_PREFIXES = ['argocd.argoproj.io/', 'kustomize.toolkit.fluxcd.io/', 'kvmigrate.io/'];
const CONTROLLER_OWNED_LABELS = new Set(['app.kubernetes.io/instance']);

function carried(map: Readonly<Record<string, string>> | undefined, owned: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map ?? {}).filter(([key]) => !owned.has(key) && !CONTROLLER_OWNED_PREFIXES.some((p) => key.startsWith(p))),
  );
}

/** A VM's own labels and annotations: what it carries wherever it is emitted, without what controllers wrote. */
export function ownMetadata(metadata: ObjectMeta | undefined): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: carried(metadata?.labels, CONTROLLER_OWNED_LABELS),
    annotations: carried(metadata?.annotations, CONTROLLER_OWNED_ANNOTATIONS),
  };
}
