import { loadConfig } from '../config/load-config.ts';
import { DiagnosticBag, type Diagnostic } from '../diagnostics.ts';
import { planArgoCd } from '../plan/argocd.ts';
import { planMigrations, type MigrationPlan } from '../plan/plan.ts';
import { renderArgoCd, renderPlans, type RenderedFile } from './render.ts';
import { replaceOutputDirectory } from './write-output.ts';

export interface SynthesisOptions {
  /** Path of migrations.yaml. */
  readonly configPath: string;
  /** Folder to replace with the manifests. */
  readonly outdir: string;
}

export interface ClusterSummary {
  readonly cluster: string;
  readonly migrations: number;
  readonly objects: number;
  readonly files: number;
}

export interface SynthesisResult {
  readonly outdir: string;
  readonly plans: readonly MigrationPlan[];
  readonly files: readonly RenderedFile[];
  readonly warnings: readonly Diagnostic[];
  readonly clusters: readonly ClusterSummary[];
}

function summarize(files: readonly RenderedFile[]): ClusterSummary[] {
  const byCluster = new Map<string, RenderedFile[]>();
  for (const file of files) byCluster.set(file.cluster, [...(byCluster.get(file.cluster) ?? []), file]);
  return [...byCluster].map(([cluster, clusterFiles]) => ({
    cluster,
    migrations: new Set(clusterFiles.flatMap((f) => f.migration ?? [])).size,
    objects: clusterFiles.reduce((n, f) => n + f.objects, 0),
    files: clusterFiles.length,
  }));
}

/**
 * config -> plans -> constructs -> files. Throws an InputError (with every error found) before anything is written;
 * the out dir is replaced only when the whole synthesis succeeded.
 */
export function synthesize(options: SynthesisOptions): SynthesisResult {
  const bag = new DiagnosticBag();
  const config = loadConfig(options.configPath, bag);
  bag.throwIfErrors();
  const { plans, warnings } = planMigrations(config!);
  const migrationFiles = renderPlans(plans);
  const argocd = planArgoCd(config!, plans, [...new Set(migrationFiles.map((f) => f.cluster))], bag);
  bag.throwIfErrors();
  const files = [...migrationFiles, ...renderArgoCd(argocd)];
  replaceOutputDirectory(options.outdir, files);
  return { outdir: options.outdir, plans, files, warnings: [...bag.warnings, ...warnings], clusters: summarize(files) };
}
