// The Argo CD and Flux annotations kvmigrate puts on what it emits: sync order, and the per-resource options that
// keep either engine from deleting data or fighting KubeVirt. Both engines' are always there, so one out dir serves
// either.

/** Argo CD's annotation that orders objects within a sync. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
export const COMPARE_OPTIONS_ANNOTATION = 'argocd.argoproj.io/compare-options';
/** kustomize-controller's per-object delete policy (its garbage collection skips `Disabled`). */
export const FLUX_PRUNE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/prune';
/**
 * kustomize-controller's recreate policy: with `Enabled`, an apply refused for an immutable field deletes and
 * re-creates the object (fluxcd/pkg ssa `shouldForceApply`).
 */
export const FLUX_FORCE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/force';

/** Disks and VMs hold data: removing them from Git must never delete them (neither prune nor app deletion). */
export const KEEP_DATA: Readonly<Record<string, string>> = { [SYNC_OPTIONS_ANNOTATION]: 'Prune=false,Delete=false', [FLUX_PRUNE_ANNOTATION]: 'Disabled' };

/**
 * Migrations are one-shot and KubeVirt garbage-collects finished ones: never prune one (that cancels a running
 * migration) and do not report it missing or extraneous.
 */
export const ONE_SHOT_MIGRATION: Readonly<Record<string, string>> = {
  [SYNC_OPTIONS_ANNOTATION]: 'Prune=false',
  [COMPARE_OPTIONS_ANNOTATION]: 'IgnoreExtraneous',
  [FLUX_PRUNE_ANNOTATION]: 'Disabled',
};

/**
 * The order a migration must be applied in: the receive migration is rejected until the receiver VM's instance exists,
 * and the receiver VM needs its disks. Argo CD applies lower waves first and waits for them to be healthy.
 */
export const SyncWave = {
  /** A source VM managed in the same repository: it exists already. */
  SOURCE_VM: 0,
  /** The post-sync hook's ServiceAccount and Roles, before anything that could start the migration. */
  HOOK_ACCESS: 0,
  /** Blank DataVolumes at the destination. */
  DISKS: 1,
  /** Copies of the namespaced instancetype and preference the receiver names: before the receiver. */
  INSTANCETYPES: 1,
  /** The receiver VirtualMachine. */
  RECEIVER: 2,
  /** The receive VirtualMachineInstanceMigration. */
  RECEIVE_MIGRATION: 3,
  /** A sendTo VirtualMachineInstanceMigration with a static address, or the PostSync hook Job that creates it. */
  SEND_MIGRATION: 4,
} as const;

/** Annotations with the sync wave added (Argo CD reads the wave as a string). */
export function withSyncWave(annotations: Readonly<Record<string, string>> | undefined, wave: number): Record<string, string> {
  return { ...annotations, [SYNC_WAVE_ANNOTATION]: String(wave) };
}
