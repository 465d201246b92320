import type { LoadedConfig } from '../config/load-config.ts';
import type { DiagnosticBag } from '../diagnostics.ts';
import { boundedName, MAX_NAME_LENGTH, shortHash } from '../names.ts';
import type { MigrationPlan } from './plan.ts';

/** Above this many migrations, each gets its own Application / Kustomization unless `fleet.isolation` says otherwise. */
export const ISOLATION_THRESHOLD = 10;

/**
 * What one Argo CD Application or Flux Kustomization syncs: a whole cluster folder, or one migration's file in it
 * (per-migration isolation: a stuck disk or a failed hook stays in its own lane).
 */
export interface Lane {
  readonly cluster: string;
  /** The migration, for a per-migration lane. */
  readonly migration?: string;
  /** `kvmigrate-<cluster>` or `kvmigrate-<cluster>-<migration>`, within 63 characters (see {@link laneName}). */
  readonly name: string;
  /** The migrations whose objects the lane holds. */
  readonly plans: readonly MigrationPlan[];
  /** The batch of a per-migration lane; 1 for a cluster lane. */
  readonly batch: number;
  /**
   * Lanes that must be done first: for the source side of a migration across clusters, its destination lane (the
   * receiver parked before the hook starts). The order between batches is each engine's own (Argo CD: sync waves of
   * the Applications; Flux: a gate per batch, see planFlux).
   */
  readonly after: readonly string[];
}

/** Whether each migration gets lanes of its own. Batches need them: a batch is a set of lanes. */
export function perMigration(config: LoadedConfig, plans: readonly MigrationPlan[], bag: DiagnosticBag): boolean {
  const isolation = config.fleet.isolation ?? 'auto';
  const batches = new Set(plans.map((p) => p.batch)).size;
  if (isolation === 'cluster' && batches > 1) {
    bag.error(
      `${batches} batches, but fleet.isolation is cluster: a batch is a set of per-migration Applications or Kustomizations`,
      config.locate(['fleet', 'isolation']),
      'set `fleet.isolation: migration` (or auto), or drop the batches',
    );
  }
  return isolation === 'migration' || (isolation === 'auto' && (plans.length > ISOLATION_THRESHOLD || batches > 1));
}

/**
 * `kvmigrate-<cluster>[-<migration>]`, its head and a hash of the whole when longer than 63 characters:
 * kustomize-controller puts a Kustomization's name in a label on every object it applies (`SetOwnerLabels`), and the
 * API server refuses a label value longer than 63; Argo CD's label tracking cuts the instance label to 63, where two
 * long names would share one.
 */
export function laneName(cluster: string, migration?: string): string {
  const name = ['kvmigrate', cluster, ...(migration === undefined ? [] : [migration])].join('-');
  return name.length <= MAX_NAME_LENGTH ? name : boundedName(name, shortHash(name));
}

/** The lanes of the cluster folders that have output (`files`: `[cluster, migration]` of each rendered file). */
export function planLanes(plans: readonly MigrationPlan[], files: readonly (readonly [string, string])[], isolated: boolean): Lane[] {
  const byName = new Map(plans.map((p) => [p.name, p]));
  if (!isolated) {
    const clusters = [...new Set(files.map(([cluster]) => cluster))];
    return clusters.map((cluster) => ({
      cluster,
      name: laneName(cluster),
      plans: files.filter(([c]) => c === cluster).map(([, m]) => byName.get(m)!),
      batch: 1,
      after: [],
    }));
  }
  const lanes = files.map(([cluster, migration]) => ({ cluster, migration, plan: byName.get(migration)! }));
  return lanes.map(({ cluster, migration, plan }) => {
    const crossCluster = plan.source.cluster !== plan.destination.cluster;
    const destinationFirst = crossCluster && cluster === plan.source.cluster && lanes.some((l) => l.migration === migration && l.cluster === plan.destination.cluster);
    return {
      cluster,
      migration,
      name: laneName(cluster, migration),
      plans: [plan],
      batch: plan.batch,
      after: destinationFirst ? [laneName(plan.destination.cluster, migration)] : [],
    };
  });
}
