import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { Deadline } from '../cluster/cluster-calls.ts';
import { ClusterFailure } from '../cluster/cluster-failure.ts';
import { mapLimit } from '../cluster/concurrency.ts';
import { diffObject, type ObjectDiff } from '../cluster/live-diff.ts';
import { LiveObjects, type ObjectReference } from '../cluster/live-objects.ts';
import { createStepLog } from '../cluster/step-log.ts';
import { runStrategyOwners } from '../plan/argocd.ts';
import { DEFAULT_CLUSTER } from '../plan/plan.ts';
import { RUN_STRATEGY_POINTER } from '../rules/migration.ts';
import { synthesize } from '../synth/synthesize.ts';
import { manifestYaml } from '../synth/yaml-output.ts';
import { stringOption, type CommandRun } from './command.ts';
import { clusterFlags, configPath, outputFormat, type ClusterFlags } from './common-options.ts';
import { ClusterConnections, migrationFilter, selectMigrations, type MigrationFilter } from './cluster-options.ts';
import { ExitCode, printDiagnostics, type Streams } from './output.ts';
import { unifiedDiff } from './unified-diff.ts';

interface DiffArguments extends ClusterFlags {
  readonly config: string;
  readonly out: string;
  readonly filter: MigrationFilter;
  readonly output: 'text' | 'json';
}

/** kubectl diff's exit code when differences were found; failures exit higher (usage.ts `failureExitShift`). */
const DIFFERENCES_FOUND = 1;

/**
 * The field manager of the engine that applies the folders: kustomize-controller applies as its controller name
 * (`ssa.Owner{Field: r.ControllerName}` in its reconciler); Argo CD's server-side apply and server-side diff as
 * `common.ArgoCDSSAManager`.
 */
const FLUX_FIELD_MANAGER = 'kustomize-controller';
const ARGOCD_FIELD_MANAGER = 'argocd-controller';

/** One compiled object and the cluster folder it goes to. */
interface Target {
  /** The folder: a cluster, or an engine's own (`_argocd`, `_flux`), applied in the default cluster where it runs. */
  readonly folder: string;
  readonly cluster: string;
  readonly migration?: string;
  readonly object: ObjectReference;
}

interface Result extends Target {
  readonly diff: ObjectDiff;
}

const nameOf = ({ metadata }: ObjectReference) => (metadata.namespace ? `${metadata.namespace}/${metadata.name}` : metadata.name);
const yaml = (object: object) => manifestYaml([object], { sortKeys: true });

/** An update as a unified diff of the live object and the one the sync would leave, both as YAML with sorted keys. */
function updateDiff({ folder, object, diff }: Result): string {
  const title = `${folder}/${object.kind}/${nameOf(object)}`;
  return unifiedDiff(`${title} (live)`, `${title} (after sync)`, yaml(diff.live!), yaml(diff.merged!));
}

function textOf(results: readonly Result[]): string {
  return results
    .map((result) => {
      const { folder, object, diff } = result;
      const line = `${diff.change.padEnd(9)}  ${folder} ${object.kind} ${nameOf(object)}${diff.change === 'hook' ? '  (runs on sync, not compared)' : ''}\n`;
      return diff.change === 'update' ? line + updateDiff(result) : line;
    })
    .join('');
}

async function runDiff(args: DiffArguments, streams: Streams): Promise<number> {
  const result = synthesize({ configPath: args.config, outdir: args.out, write: false });
  const selected = new Set(selectMigrations(result.config.file, result.plans, args.filter).map((plan) => plan.name));
  if (args.output !== 'json') printDiagnostics(streams, result.warnings);
  const everything = Object.values(args.filter).every((value) => value === undefined);
  const targets: Target[] = result.files
    // An engine's own objects belong to no migration: compared only when nothing is filtered.
    .filter((file) => file.objects > 0 && (file.migration === undefined ? everything : selected.has(file.migration)))
    .flatMap((file) =>
      (loadAll(file.content, undefined, { schema: CORE_SCHEMA }) as ObjectReference[]).map((object) => ({
        folder: file.cluster,
        cluster: file.migration === undefined ? DEFAULT_CLUSTER : file.cluster,
        migration: file.migration,
        object,
      })),
    );

  const connections = new ClusterConnections(args, result.config);
  const log = createStepLog('text', streams.stderr);
  const liveObjects = new Map<string, LiveObjects>();
  const objectsOf = (cluster: string) => {
    let objects = liveObjects.get(cluster);
    if (!objects) {
      objects = new LiveObjects(connections.cluster(cluster).clients);
      liveObjects.set(cluster, objects);
    }
    return objects;
  };
  const fieldManager = result.config.flux ? FLUX_FIELD_MANAGER : ARGOCD_FIELD_MANAGER;
  // What the engines ignore, from the one list their Applications and Kustomizations are made of (once per cluster).
  const owners = new Map<string, Set<string>>();
  const ownersOf = (cluster: string) => {
    let names = owners.get(cluster);
    if (!names) owners.set(cluster, (names = new Set(runStrategyOwners(result.plans, cluster).map((vm) => `${vm.namespace}/${vm.name}`))));
    return names;
  };
  const ignoredOf = ({ cluster, object }: Target) =>
    object.kind === 'VirtualMachine' && object.apiVersion.startsWith('kubevirt.io/') && ownersOf(cluster).has(`${object.metadata.namespace}/${object.metadata.name}`)
      ? [RUN_STRATEGY_POINTER]
      : [];

  const results = await mapLimit(targets, 8, async (target): Promise<Result> => {
    try {
      // Retries of one object's calls end after twice --request-timeout (60s by default), as for preflight.
      const context = { log, deadline: new Deadline((2 * connections.requestTimeoutMs) / 1000), pollMs: 500 };
      return { ...target, diff: await diffObject(objectsOf(target.cluster), target.object, { fieldManager, argoHooks: !result.config.flux, ignored: ignoredOf(target), context }) };
    } catch (error) {
      if (!(error instanceof ClusterFailure)) throw error;
      const api = connections.cluster(target.cluster);
      throw new ClusterFailure(`cluster "${target.cluster}" (context "${api.clients.config.getCurrentContext()}", ${api.server}): ${error.message}`, error.reach);
    }
  });
  const differs = results.some((r) => r.diff.change === 'create' || r.diff.change === 'update');
  if (args.output === 'json') {
    const objects = results.map((r) => ({
      change: r.diff.change,
      folder: r.folder,
      cluster: r.cluster,
      migration: r.migration,
      apiVersion: r.object.apiVersion,
      kind: r.object.kind,
      namespace: r.object.metadata.namespace,
      name: r.object.metadata.name,
      ...(r.diff.change === 'update' && { diff: updateDiff(r) }),
    }));
    streams.stdout(`${JSON.stringify({ differences: differs, fieldManager, objects, warnings: result.warnings }, null, 2)}\n`);
  } else {
    streams.stdout(textOf(results));
    const count = (change: ObjectDiff['change']) => results.filter((r) => r.diff.change === change).length;
    streams.stderr(`${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged, ${count('hook')} hook(s) run on sync (field manager ${fieldManager})\n`);
  }
  return differs ? DIFFERENCES_FOUND : ExitCode.OK;
}

export const diffCommand: CommandRun = (args, streams) =>
  runDiff({ ...clusterFlags(args), config: configPath(args), out: stringOption(args, 'out') ?? 'dist', filter: migrationFilter(args, 'diff'), output: outputFormat(args) }, streams);
