import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { DiagnosticBag, type Diagnostic } from '../diagnostics.ts';
import { planArgoCd, type OutdirInRepository } from '../plan/argocd.ts';
import { planMigrations, type MigrationPlan } from '../plan/plan.ts';
import { unreleasedHookImageWarning } from './release.ts';
import { renderArgoCd, renderPlans, type RenderedFile } from './render.ts';
import { generatedHeader, refuseOutdir, replaceOutputDirectory } from './write-output.ts';

export interface SynthesisOptions {
  /** Path of migrations.yaml. */
  readonly configPath: string;
  /** Folder to replace with the manifests. */
  readonly outdir: string;
  /** Write the out dir (default true); false compiles the files as they would be written there, and writes nothing. */
  readonly write?: boolean;
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
  for (const file of files) {
    const clusterFiles = byCluster.get(file.cluster);
    if (clusterFiles) clusterFiles.push(file);
    else byCluster.set(file.cluster, [file]);
  }
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

/** The out dir is replaced wholesale: refuses one that holds anything but kvmigrate's own output (see refuseOutdir). */
function checkOutdir(outdir: string, protectedPaths: readonly string[], bag: DiagnosticBag): void {
  const refusal = refuseOutdir(outdir, protectedPaths);
  if (refusal) bag.error(`refusing to replace the out dir: ${refusal.reason}`, undefined, refusal.fix);
}

/**
 * config -> plans -> constructs -> files. Throws an InputError (with every error found) before anything is written;
 * the out dir is replaced only when the whole synthesis succeeded.
 */
export function synthesize(options: SynthesisOptions): SynthesisResult {
  const bag = new DiagnosticBag();
  const config = loadConfig(options.configPath, bag);
  bag.throwIfErrors();
  const write = options.write ?? true;
  if (write) checkOutdir(options.outdir, [options.configPath, ...new Set(config!.migrations.map((m) => m.source.manifest.path))], bag);
  bag.throwIfErrors();
  const { plans, warnings } = planMigrations(config!);
  const migrationFiles = renderPlans(plans);
  const argocd = planArgoCd(config!, plans, [...new Set(migrationFiles.map((f) => f.cluster))], outdirInRepository(options.outdir), bag);
  bag.throwIfErrors();
  const header = generatedHeader(options.outdir, options.configPath);
  const files = [...migrationFiles, ...renderArgoCd(argocd)].map((f) => ({ ...f, content: header + f.content }));
  if (write) replaceOutputDirectory(options.outdir, files);
  const unreleased = unreleasedHookImageWarning(plans, options.configPath);
  return { outdir: options.outdir, plans, files, warnings: [...bag.warnings, ...warnings, ...(unreleased ? [unreleased] : [])], clusters: summarize(files) };
}
