import type { LoadedConfig } from '../config/load-config.ts';
import type { DiagnosticBag } from '../diagnostics.ts';
import { hookJobDeadlineSeconds } from '../hook-timeouts.ts';
import { outdirPath, runStrategyOwners, type OutdirInRepository, type RunStrategyOwner } from './argocd.ts';
import type { Lane } from './fleet.ts';
import { DEFAULT_CLUSTER, type MigrationPlan } from './plan.ts';

/**
 * The out dir's folder for the kustomization.yaml of each per-migration Kustomization: beside `_flux`, never in it, so
 * a Kustomization applying `_flux` does not take in every migration's objects (Flux's generated kustomization.yaml
 * lists the sub-folders that hold one).
 */
export const FLUX_LANES_FOLDER = '_flux-lanes';

/** Flux's default interval for the Kustomizations kvmigrate emits. */
const DEFAULT_INTERVAL = '5m';
/** Room above the longest hook Job's deadline before the Kustomization's wait gives up. */
const TIMEOUT_MARGIN_SECONDS = 60;
/** Flux's own timeout when nothing in the folder takes longer (the Kustomization's default is its interval). */
const MINIMUM_TIMEOUT_SECONDS = 300;

export interface KustomizationPlan {
  readonly cluster: string;
  /** For a per-migration Kustomization: its migration, whose file the lane's kustomization.yaml lists. */
  readonly migration?: string;
  /** Kustomizations that must be Ready first (the destination side, the previous batch). */
  readonly dependsOn: readonly string[];
  readonly name: string;
  readonly namespace: string;
  /** The folder in the source, `./`-prefixed as Flux writes it. */
  readonly path: string;
  readonly interval: string;
  /** Long enough for the slowest hook Job of the folder: `wait` includes the Job's completion. */
  readonly timeout: string;
  readonly sourceRef: { readonly kind: string; readonly name: string; readonly namespace: string };
  /** The Secret holding a kubeconfig of a remote cluster; absent for the cluster Flux runs in. */
  readonly kubeConfigSecret?: string;
  /** VMs of this folder whose runStrategy KubeVirt owns right now. */
  readonly runStrategyOwnedByKubeVirt: readonly RunStrategyOwner[];
}

export interface FluxPlan {
  readonly kustomizations: readonly KustomizationPlan[];
}

/** The Kustomization's timeout for a cluster folder: the longest hook Job deadline there, plus a margin. */
function timeoutFor(plans: readonly MigrationPlan[], cluster: string): string {
  const deadlines = plans.filter((p) => p.hook && p.source.cluster === cluster).map((p) => hookJobDeadlineSeconds(p.hook!) + TIMEOUT_MARGIN_SECONDS);
  return `${Math.max(MINIMUM_TIMEOUT_SECONDS, ...deadlines)}s`;
}

/**
 * One Kustomization per lane (a cluster folder, or one migration's file in it), when the config asks for Flux output.
 * Every cluster but the default one (where Flux runs) needs `clusters.<name>.kubeConfigSecret`. Order between lanes is
 * `dependsOn`, which waits for Ready (with `wait`, every object healthy and the hook Job complete).
 */
export function planFlux(config: LoadedConfig, lanes: readonly Lane[], outdir: OutdirInRepository, bag: DiagnosticBag): FluxPlan | undefined {
  const flux = config.flux;
  if (!flux) return undefined;
  const path = outdirPath('flux', flux.path, outdir, config, bag);
  const namespace = flux.namespace ?? 'flux-system';
  const sourceRef = {
    kind: flux.sourceRef?.kind ?? 'GitRepository',
    name: flux.sourceRef?.name ?? 'flux-system',
    namespace: flux.sourceRef?.namespace ?? namespace,
  };
  const kustomizations: KustomizationPlan[] = [];
  const missing = new Set<string>();
  for (const lane of lanes) {
    const { cluster } = lane;
    const kubeConfigSecret = config.clusters.get(cluster)?.kubeConfigSecret;
    if (cluster !== DEFAULT_CLUSTER && !kubeConfigSecret) {
      if (missing.has(cluster)) continue;
      missing.add(cluster);
      bag.error(
        `no kubeconfig Secret for cluster "${cluster}", which Flux needs to apply its folder there`,
        config.locate(config.clusters.has(cluster) ? ['clusters', cluster] : [config.clusters.size > 0 ? 'clusters' : 'flux'], { key: true }),
        `add \`clusters: { ${cluster}: { kubeConfigSecret: <Secret in ${namespace} with key value> } }\``,
      );
      continue;
    }
    kustomizations.push({
      cluster,
      migration: lane.migration,
      dependsOn: lane.after,
      name: lane.name,
      namespace,
      path: lane.migration ? `./${path}/${FLUX_LANES_FOLDER}/${cluster}/${lane.migration}` : `./${path}/${cluster}`,
      interval: flux.interval ?? DEFAULT_INTERVAL,
      timeout: timeoutFor(lane.plans, cluster),
      sourceRef,
      kubeConfigSecret,
      runStrategyOwnedByKubeVirt: runStrategyOwners(lane.plans, cluster),
    });
  }
  return { kustomizations };
}
