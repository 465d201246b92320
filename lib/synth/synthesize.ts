import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { DiagnosticBag, type Diagnostic } from '../diagnostics.ts';
import { planArgoCd, type OutdirInRepository } from '../plan/argocd.ts';
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

/** The out dir's path from the root of the Git repository holding it (the nearest folder above with a `.git`). */
function outdirInRepository(outdir: string): OutdirInRepository {
  const target = resolve(outdir);
  for (let dir = dirname(target); ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, '.git'))) return { path: relative(dir, target).split(sep).join('/') };
    if (dirname(dir) === dir) return { outside: target };
  }
}

/** The out dir is replaced wholesale: it must not be (or hold) the working directory or the config. */
function checkOutdir(outdir: string, configPath: string, bag: DiagnosticBag): void {
  const target = resolve(outdir);
  const inside = (path: string) => path === target || path.startsWith(`${target}${sep}`);
  if (inside(process.cwd()) || inside(resolve(configPath))) {
    bag.error(`refusing to replace ${target}: it holds ${inside(process.cwd()) ? 'the working directory' : 'the config'}`, undefined, 'choose an out dir of its own, such as dist');
  }
}

/**
 * config -> plans -> constructs -> files. Throws an InputError (with every error found) before anything is written;
 * the out dir is replaced only when the whole synthesis succeeded.
 */
export function synthesize(options: SynthesisOptions): SynthesisResult {
  const bag = new DiagnosticBag();
  checkOutdir(options.outdir, options.configPath, bag);
  bag.throwIfErrors();
  const config = loadConfig(options.configPath, bag);
  bag.throwIfErrors();
  const { plans, warnings } = planMigrations(config!);
  const migrationFiles = renderPlans(plans);
  const argocd = planArgoCd(config!, plans, [...new Set(migrationFiles.map((f) => f.cluster))], outdirInRepository(options.outdir), bag);
  bag.throwIfErrors();
  const files = [...migrationFiles, ...renderArgoCd(argocd)];
  replaceOutputDirectory(options.outdir, files);
  return { outdir: options.outdir, plans, files, warnings: [...bag.warnings, ...warnings], clusters: summarize(files) };
}
