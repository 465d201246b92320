import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { displayPath, loadConfig } from '../config/load-config.ts';
import { abbreviate, DiagnosticBag, fileFault, fileFaultReason, InputError, type Diagnostic } from '../diagnostics.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import { planArgoCd, runStrategyOwners, type OutdirInRepository } from '../plan/argocd.ts';
import { perMigration, planLanes, type Lane } from '../plan/fleet.ts';
import { planFlux } from '../plan/flux.ts';
import { planMigrations, type MigrationPlan } from '../plan/plan.ts';
import { RUN_STRATEGY_POINTER } from '../rules/migration.ts';
import { unreleasedHookImageWarning } from './release.ts';
import { renderArgoCd, renderFlux, renderPlans, type RenderedFile } from './render.ts';
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
  /** The config compiled. */
  readonly config: LoadedConfig;
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

/**
 * Without `argocd:` or `flux:`, the Application (or Kustomization) that syncs the out dir is made by hand, and must not
 * write back the runStrategy KubeVirt rewrites: one warning, with the ignoreDifferences it needs.
 */
function warnWithoutEngine(config: LoadedConfig, lanes: readonly Lane[], bag: DiagnosticBag): void {
  const owners = lanes.flatMap((lane) => runStrategyOwners(lane.plans, lane.cluster).map((vm) => ({ ...vm, cluster: lane.cluster })));
  if (owners.length === 0) return;
  const snippet = [
    'spec:',
    '  ignoreDifferences:',
    ...owners.flatMap((vm) => [`    - group: kubevirt.io  # ${vm.cluster}`, '      kind: VirtualMachine', `      name: ${vm.name}`, `      namespace: ${vm.namespace}`, `      jsonPointers: [${RUN_STRATEGY_POINTER}]`]),
    '  syncPolicy:',
    '    syncOptions: [RespectIgnoreDifferences=true]',
  ];
  bag.warning(
    `no argocd: or flux: section: the Application that syncs the out dir must ignore the runStrategy KubeVirt rewrites on ${owners.length} VM(s), or a sync writes it back`,
    config.locate(['migrations'], { key: true }),
    `add \`argocd:\` or \`flux:\` to have kvmigrate emit it, or give your Application:\n${snippet.map((line) => `    ${line}`).join('\n')}`,
  );
}

/** The out dir is replaced wholesale: refuses one that holds anything but kvmigrate's own output (see refuseOutdir). */
function checkOutdir(outdir: string, protectedPaths: readonly string[], bag: DiagnosticBag): void {
  // Linux's PATH_MAX: no longer path can be created, and walking the folders of one is slow.
  const length = resolve(outdir).length;
  if (length > 4096) {
    bag.error(`the out dir ${abbreviate(outdir)} is a path of ${length.toLocaleString('en')} characters, more than the 4,096 a path may have`, undefined, 'choose a shorter out dir, such as dist');
    return;
  }
  const refusal = onFileFault('read', outdir, () => refuseOutdir(outdir, protectedPaths));
  if (refusal) bag.error(`refusing to replace the out dir: ${refusal.reason}`, undefined, refusal.fix);
}

/**
 * Runs a step on the out dir; a file system fault (a folder that cannot be read or written, an immutable file, a full
 * disk, the file size limit) becomes an input error naming the path, with the promise that the out dir is as it was.
 */
function onFileFault<T>(action: 'read' | 'write', outdir: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    const fault = fileFault(error);
    if (!fault) throw error;
    const path = abbreviate(displayPath(fault.path ?? outdir));
    throw new InputError([
      { severity: 'error', message: `cannot ${action} ${path}: ${fileFaultReason(fault)}`, location: { file: path }, hint: `the out dir ${displayPath(outdir)} is as it was` },
    ]);
  }
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
  const lanes = planLanes(plans, migrationFiles.map((f) => [f.cluster, f.migration!] as const), perMigration(config!, plans, bag));
  const inRepository = outdirInRepository(options.outdir);
  const argocd = planArgoCd(config!, lanes, inRepository, bag);
  const flux = planFlux(config!, lanes, inRepository, bag);
  if (!argocd && !flux) warnWithoutEngine(config!, lanes, bag);
  bag.throwIfErrors();
  const header = generatedHeader(options.outdir, options.configPath);
  const files = [...migrationFiles, ...renderArgoCd(argocd), ...renderFlux(flux)].map((f) => ({ ...f, content: header + f.content }));
  const left = write ? onFileFault('write', options.outdir, () => replaceOutputDirectory(options.outdir, files)) : [];
  const leftBehind: Diagnostic[] = left.map((message) => ({ severity: 'warning', message }));
  const unreleased = unreleasedHookImageWarning(plans, options.configPath);
  return {
    outdir: options.outdir,
    config: config!,
    plans,
    files,
    warnings: [...bag.warnings, ...warnings, ...leftBehind, ...(unreleased ? [unreleased] : [])],
    clusters: summarize(files),
  };
}
