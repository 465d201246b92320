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
/** The folder under FLUX_LANES_FOLDER of the batch gates' kustomization.yaml; a cluster name (a DNS label) has no `_`. */
const BATCH_GATES_FOLDER = '_batches';

/** Flux's default interval for the Kustomizations kvmigrate emits. */
const DEFAULT_INTERVAL = '5m';
/** Room above the longest hook Job's deadline before the Kustomization's wait gives up. */
const TIMEOUT_MARGIN_SECONDS = 60;
/** Flux's own timeout when nothing in the folder takes longer (the Kustomization's default is its interval). */
const MINIMUM_TIMEOUT_SECONDS = 300;

/** The kustomization.yaml a Kustomization's folder holds, written by synth: where, and the files it lists. */
export interface KustomizationFile {
  /** The folder, relative to the out dir. */
  readonly folder: string;
  /** Paths relative to the folder. */
  readonly resources: readonly string[];
}

export interface KustomizationPlan {
  /** The kustomization.yaml of its folder, for a per-migration Kustomization (its migration's file) or a gate (none). */
  readonly kustomizationFile?: KustomizationFile;
  /** Kustomizations that must be Ready first (the destination side, the previous batch's gate; a gate: its batch). */
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
 * The name of the gate of batch `batch`: `kvmigrate.batch-<n>`. Lane names start with `kvmigrate-`, so no lane can
 * take it.
 */
function batchGateName(batch: number): string {
  return `kvmigrate.batch-${batch}`;
}

/**
 * A gate for each batch that has a next one: a Kustomization that applies nothing (an empty kustomization.yaml, which
 * kustomize-controller reconciles to Ready: `TestKustomizationReconciler_PruneEmpty`, "reconciles empty kustomization")
 * and `dependsOn` every lane of its batch. kustomize-controller `checkDependencies` holds a Kustomization until each
 * dependency is Ready at the source's current revision, so the gate is Ready once the whole batch is, at this commit;
 * the next batch's lanes depend on the gate alone. Without it each of them would list every lane of the batch before:
 * a batch's size in every Kustomization, and one migration added to a batch would change every one of the next.
 */
function batchGates(lanes: readonly Lane[], batches: readonly number[], template: Pick<KustomizationPlan, 'namespace' | 'interval' | 'sourceRef'>, outPath: string): KustomizationPlan[] {
  return batches.slice(0, -1).map((batch) => {
    const folder = `${FLUX_LANES_FOLDER}/${BATCH_GATES_FOLDER}/${batch}`;
    return {
      ...template,
      kustomizationFile: { folder, resources: [] },
      dependsOn: lanes.filter((lane) => lane.batch === batch).map((lane) => lane.name),
      name: batchGateName(batch),
      path: `./${outPath}/${folder}`,
      timeout: `${MINIMUM_TIMEOUT_SECONDS}s`,
      runStrategyOwnedByKubeVirt: [],
    };
  });
}

/**
 * One Kustomization per lane (a cluster folder, or one migration's file in it), when the config asks for Flux output,
 * and with batches a gate per batch (see batchGates). Every cluster but the default one (where Flux runs) needs
 * `clusters.<name>.kubeConfigSecret`. Order between lanes is `dependsOn`, which waits for Ready (with `wait`, every
 * object healthy and the hook Job complete).
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
  const interval = flux.interval ?? DEFAULT_INTERVAL;
  const batches = [...new Set(lanes.map((lane) => lane.batch))].sort((a, b) => a - b);
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
    const previous = batches[batches.indexOf(lane.batch) - 1];
    // A per-migration lane's folder, three levels below the out dir, lists its migration's file in the cluster folder.
    const file = lane.migration ? { folder: `${FLUX_LANES_FOLDER}/${cluster}/${lane.migration}`, resources: [`../../../${cluster}/${lane.migration}.k8s.yaml`] } : undefined;
    kustomizations.push({
      kustomizationFile: file,
      dependsOn: [...lane.after, ...(previous === undefined ? [] : [batchGateName(previous)])],
      name: lane.name,
      namespace,
      path: `./${path}/${file ? file.folder : cluster}`,
      interval,
      timeout: timeoutFor(lane.plans, cluster),
      sourceRef,
      kubeConfigSecret,
      runStrategyOwnedByKubeVirt: runStrategyOwners(lane.plans, cluster),
    });
  }
  return { kustomizations: [...kustomizations, ...batchGates(lanes, batches, { namespace, interval, sourceRef }, path)] };
}
