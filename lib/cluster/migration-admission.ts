// KubeVirt's create admitter for migrations (virt-api `migration-create-admitter.go`), as far as the cluster's state
// decides it: the hook and preflight read the source side with it before anything is created.
import type { KubeObject } from './cluster-api.ts';

/** Phases after which a migration no longer holds its VMI. */
export const FINISHED_MIGRATION_PHASES = new Set(['Succeeded', 'Failed']);

type Condition = { type?: string; status?: string; reason?: string; message?: string };

/**
 * Why KubeVirt refuses a decentralized migration of `vmi` (`isMigratable`): a LiveMigratable=False condition, for
 * every reason but DisksNotLiveMigratable, which a decentralized migration is exempt from (it copies the disks).
 */
export function notMigratable(vmi: KubeObject): Condition | undefined {
  const migratable = ((vmi.status?.conditions ?? []) as Condition[]).find((c) => c.type === 'LiveMigratable');
  return migratable?.status === 'False' && migratable.reason !== 'DisksNotLiveMigratable' ? migratable : undefined;
}

/**
 * The migrations that keep KubeVirt from admitting another one for VMI `vmiName` (`ensureNoMigrationConflict`): every
 * unfinished migration of it in its namespace. Upstream selects them by the `kubevirt.io/vmi-name` label, which its
 * mutating webhook copies from `spec.vmiName`; reading `spec.vmiName` finds the same ones.
 */
export function conflictingMigrations(migrations: readonly KubeObject[], vmiName: string): KubeObject[] {
  return migrations.filter((m) => m.spec?.vmiName === vmiName && !FINISHED_MIGRATION_PHASES.has(m.status?.phase));
}
