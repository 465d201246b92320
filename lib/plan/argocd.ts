import type { LoadedConfig } from '../config/load-config.ts';
import type { DiagnosticBag } from '../diagnostics.ts';
import type { Lane } from './fleet.ts';
import { DEFAULT_CLUSTER, type MigrationPlan } from './plan.ts';

/** Argo CD's name for the cluster it runs in. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/** A VM whose `spec.runStrategy` KubeVirt rewrites, so the GitOps engine must neither compare nor write it. */
export interface RunStrategyOwner {
  readonly name: string;
  readonly namespace: string;
}

export interface ApplicationPlan {
  readonly cluster: string;
  readonly name: string;
  readonly namespace: string;
  readonly project: string;
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly path: string;
  /** For a per-migration Application: the one file of the folder it syncs. */
  readonly include?: string;
  /** The sync wave of a per-migration Application in a fleet with batches: its batch. */
  readonly syncWave?: number;
  readonly server: string;
  readonly automated: boolean;
  readonly selfHeal: boolean;
  /** VMs of this cluster whose runStrategy KubeVirt owns right now. */
  readonly runStrategyOwnedByKubeVirt: readonly RunStrategyOwner[];
}

export interface ArgoCdPlan {
  readonly namespace: string;
  readonly healthChecks: boolean;
  /**
   * With the health checks: the check of `argoproj.io/Application` too, when the Applications carry batches as sync
   * waves (a parent Application waits on a wave of Applications only with it).
   */
  readonly applicationHealth: boolean;
  readonly applications: readonly ApplicationPlan[];
}

/** Where the out dir is in its Git repository: the path from the repository root, or why there is none. */
export type OutdirInRepository = { readonly path: string } | { readonly path?: undefined; readonly outside: string };

/**
 * The folder an engine's objects read: the out dir's path in its Git repository, so `--out` moves them too. The
 * engine's `path` wins when set; a warning says when it disagrees with where the out dir is, or when the out dir is in
 * no Git repository (the engine would find nothing at the path).
 */
export function outdirPath(engine: 'argocd' | 'flux', configured: string | undefined, outdir: OutdirInRepository, config: LoadedConfig, bag: DiagnosticBag): string {
  const trim = (path: string) => path.replace(/\/+$/, '');
  const objects = engine === 'argocd' ? 'Applications' : 'Kustomizations';
  if (outdir.path === undefined) {
    const repository = engine === 'argocd' ? config.argocd!.repoURL : 'their source';
    bag.warning(
      `the out dir is in no Git repository (${outdir.outside}): the ${objects} read ${trim(configured ?? 'dist')}/<cluster> of ${repository}`,
      config.locate([engine], { key: true }),
      `synthesize into the repository ${engine === 'argocd' ? 'Argo CD' : 'Flux'} reads, or set ${engine}.path to where the files will be committed`,
    );
    return trim(configured ?? 'dist');
  }
  if (configured !== undefined && trim(configured) !== outdir.path) {
    bag.warning(
      `${engine}.path is ${trim(configured)}, but the out dir is ${outdir.path} in its Git repository: the ${objects} will read ${trim(configured)}/<cluster>`,
      config.locate([engine, 'path']),
      `remove ${engine}.path (it defaults to where the out dir is) or set it to ${outdir.path}`,
    );
    return trim(configured);
  }
  return outdir.path;
}

/** The VMs of `cluster` whose runStrategy KubeVirt rewrites during their migration's current phase. */
export function runStrategyOwners(plans: readonly MigrationPlan[], cluster: string): RunStrategyOwner[] {
  const owners: RunStrategyOwner[] = [];
  for (const plan of plans) {
    if (plan.phase === 'cutover') continue;
    const receiverKept = !(plan.phase === 'abort' && plan.removeReceiverOnAbort);
    if (receiverKept && plan.destination.cluster === cluster) owners.push({ name: plan.vm, namespace: plan.destination.namespace });
    if (plan.sourceVm && plan.source.cluster === cluster) owners.push({ name: plan.vm, namespace: plan.source.namespace });
  }
  return owners.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/**
 * One Application per lane (a cluster folder, or one migration's file in it), when the config asks for Argo CD output.
 * Every cluster but the default one needs its API server in `clusters.<name>.server`.
 */
export function planArgoCd(config: LoadedConfig, lanes: readonly Lane[], outdir: OutdirInRepository, bag: DiagnosticBag): ArgoCdPlan | undefined {
  const argocd = config.argocd;
  if (!argocd) return undefined;
  const path = outdirPath('argocd', argocd.path, outdir, config, bag);
  const namespace = argocd.namespace ?? 'argocd';
  const servers = new Map<string, string>([[DEFAULT_CLUSTER, IN_CLUSTER_SERVER]]);
  for (const [name, cluster] of config.clusters) if (cluster.server) servers.set(name, cluster.server);
  const batches = new Set(lanes.map((l) => l.batch)).size;
  const applications: ApplicationPlan[] = [];
  const missing = new Set<string>();
  for (const lane of lanes) {
    const { cluster } = lane;
    const server = servers.get(cluster);
    if (!server) {
      if (!missing.has(cluster)) {
        bag.error(
          `no API server for cluster "${cluster}", which Argo CD needs for its Application`,
          config.locate(config.clusters.has(cluster) ? ['clusters', cluster] : [config.clusters.size > 0 ? 'clusters' : 'argocd'], { key: true }),
          `add \`clusters: { ${cluster}: { server: https://<its API server> } }\` (as registered in Argo CD)`,
        );
      }
      missing.add(cluster);
      continue;
    }
    applications.push({
      cluster,
      name: lane.name,
      namespace,
      project: argocd.project ?? 'default',
      repoURL: argocd.repoURL,
      targetRevision: argocd.targetRevision ?? 'HEAD',
      path: `${path}/${cluster}`,
      include: lane.migration && `${lane.migration}.k8s.yaml`,
      syncWave: batches > 1 ? lane.batch : undefined,
      server,
      automated: argocd.automated ?? true,
      selfHeal: argocd.selfHeal ?? false,
      runStrategyOwnedByKubeVirt: runStrategyOwners(lane.plans, cluster),
    });
  }
  const healthChecks = argocd.healthChecks ?? true;
  return { namespace, healthChecks, applicationHealth: healthChecks && batches > 1, applications };
}
