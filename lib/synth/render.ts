import { App, Chart } from 'cdk8s';
import { argocdConfigMap } from '../argocd/health-checks.ts';
import { ClusterApplication } from '../constructs/cluster-application.ts';
import { ClusterKustomization } from '../constructs/cluster-kustomization.ts';
import { DecentralizedMigration } from '../constructs/decentralized-migration.ts';
import { plannedMigrationProps } from '../constructs/planned-migration.ts';
import type { ArgoCdPlan } from '../plan/argocd.ts';
import { FLUX_LANES_FOLDER, type FluxPlan } from '../plan/flux.ts';
import type { MigrationPlan } from '../plan/plan.ts';
import { manifestYaml } from './yaml-output.ts';

/** The out dir's folder for Argo CD's own objects; a leading `_` cannot clash with a cluster name (a DNS label). */
export const ARGOCD_FOLDER = '_argocd';
/** The out dir's folder for Flux's objects. */
export const FLUX_FOLDER = '_flux';

/** One manifest file of the output, relative to the out dir. */
export interface RenderedFile {
  readonly cluster: string;
  /** `<cluster>/<migration>.k8s.yaml` */
  readonly path: string;
  readonly content: string;
  readonly objects: number;
  /** The migration the file belongs to; absent for Argo CD's own objects. */
  readonly migration?: string;
}

/** Builds the construct tree of one migration: a chart for each cluster it touches. */
function buildMigrationCharts(plan: MigrationPlan): Map<string, Chart> {
  // One app per migration keeps synthesis linear: cdk8s resolves dependencies across the whole app for every chart.
  const app = new App();
  const charts = new Map<string, Chart>();
  const chartFor = (cluster: string) => {
    let chart = charts.get(cluster);
    if (!chart) {
      chart = new Chart(app, `${cluster}-${plan.name}`, { disableResourceNameHashes: true });
      charts.set(cluster, chart);
    }
    return chart;
  };
  const destination = chartFor(plan.destination.cluster);
  const source = chartFor(plan.source.cluster);
  new DecentralizedMigration(destination, plan.name, plannedMigrationProps(plan, source === destination ? undefined : source));
  return charts;
}

/** Renders every plan to multi-document YAML, one file per migration and cluster, in a stable order. */
export function renderPlans(plans: readonly MigrationPlan[]): RenderedFile[] {
  const files: RenderedFile[] = [];
  for (const plan of plans) {
    for (const [cluster, chart] of buildMigrationCharts(plan)) {
      const objects = chart.toJson();
      if (objects.length === 0) continue;
      files.push({ cluster, migration: plan.name, path: `${cluster}/${plan.name}.k8s.yaml`, content: manifestYaml(objects), objects: objects.length });
    }
  }
  return files.sort(byPath);
}

function byPath(a: RenderedFile, b: RenderedFile): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** Renders Argo CD's objects: the Applications, and the argocd-cm health checks when asked for. */
export function renderArgoCd(plan: ArgoCdPlan | undefined): RenderedFile[] {
  if (!plan) return [];
  const files: RenderedFile[] = [];
  const file = (name: string, objects: unknown[]) =>
    files.push({ cluster: ARGOCD_FOLDER, path: `${ARGOCD_FOLDER}/${name}`, content: manifestYaml(objects), objects: objects.length });
  if (plan.applications.length > 0) {
    const chart = new Chart(new App(), 'applications', { disableResourceNameHashes: true });
    for (const application of plan.applications) {
      new ClusterApplication(chart, application.name, application);
    }
    file('applications.k8s.yaml', chart.toJson());
  }
  if (plan.healthChecks) file('argocd-cm.k8s.yaml', [argocdConfigMap(plan.namespace, { applications: plan.applicationHealth })]);
  return files.sort(byPath);
}

/**
 * Renders Flux's objects: the Kustomizations, and for each per-migration one the kustomization.yaml that lists its
 * migration's file (kustomize-controller builds with fluxcd/pkg kustomize `Build`, LoadRestrictionsNone, inside the
 * source: a file outside the kustomization's folder may be listed).
 */
export function renderFlux(plan: FluxPlan | undefined): RenderedFile[] {
  if (!plan || plan.kustomizations.length === 0) return [];
  const chart = new Chart(new App(), 'kustomizations', { disableResourceNameHashes: true });
  for (const kustomization of plan.kustomizations) new ClusterKustomization(chart, kustomization.name, kustomization);
  const objects = chart.toJson();
  const files: RenderedFile[] = [{ cluster: FLUX_FOLDER, path: `${FLUX_FOLDER}/kustomizations.k8s.yaml`, content: manifestYaml(objects, { repeatedAt: ['spec', 'healthCheckExprs'] }), objects: objects.length }];
  for (const { kustomizationFile: file } of plan.kustomizations) {
    if (!file) continue;
    const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', ...(file.resources.length > 0 && { resources: file.resources }) };
    files.push({ cluster: FLUX_LANES_FOLDER, path: `${file.folder}/kustomization.yaml`, content: manifestYaml([kustomization]), objects: 0 });
  }
  return files.sort(byPath);
}
