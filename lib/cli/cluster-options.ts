import { existsSync, readFileSync } from 'node:fs';
import { CORE_SCHEMA, load } from 'js-yaml';
import { loadConfig, type LoadedConfig } from '../config/load-config.ts';
import { DiagnosticBag } from '../diagnostics.ts';
import type { Cluster } from '../config/types.generated.ts';
import { ClusterApi } from '../cluster/cluster-api.ts';
import { connect } from '../cluster/kube-clients.ts';
import { planMigrations, type MigrationPlan } from '../plan/plan.ts';
import { stringOption, type ParsedArguments } from './command.ts';
import { expectPositionals, type ClusterFlags } from './common-options.ts';
import { UsageError } from './output.ts';

/** Connects to each cluster once: its `kubeContext` from the config, else `--context`, else the current context. */
export class ClusterConnections {
  private readonly apis = new Map<string, ClusterApi>();

  public constructor(
    private readonly flags: ClusterFlags,
    private readonly config?: Pick<LoadedConfig, 'clusters'>,
  ) {}

  public get requestTimeoutMs(): number {
    const text = this.flags['request-timeout'];
    const seconds = Number(text ?? 30);
    if (!(seconds > 0)) throw new UsageError(`--request-timeout must be a positive number of seconds (got "${text}")`);
    return seconds * 1000;
  }

  public cluster(name: string): ClusterApi {
    let api = this.apis.get(name);
    if (!api) {
      const context = this.config?.clusters.get(name)?.kubeContext ?? this.flags.context;
      api = new ClusterApi(connect({ kubeconfig: this.flags.kubeconfig, context }, this.requestTimeoutMs));
      this.apis.set(name, api);
    }
    return api;
  }
}

/**
 * Loads and plans a config for a cluster command, keeping only the migration named `only` when given; input errors
 * throw, warnings are not repeated here.
 */
export function loadPlans(configPath: string, only?: string): { config: LoadedConfig; plans: readonly MigrationPlan[]; all: readonly MigrationPlan[] } {
  const bag = new DiagnosticBag();
  const config = loadConfig(configPath, bag);
  bag.throwIfErrors();
  const all = planMigrations(config!).plans;
  return { config: config!, plans: selectMigrations(config!.file, all, { migration: only }), all };
}

/** Which migrations a command shows: one by name, those with a namespace or a cluster (folder) at either end. */
export interface MigrationFilter {
  readonly migration?: string;
  readonly namespace?: string;
  readonly cluster?: string;
}

/** The MIGRATION argument (or --migration, not both differing), --namespace and --cluster of a command line. */
export function migrationFilter(args: ParsedArguments, command: string): MigrationFilter {
  if (args.positionals.length > 1) expectPositionals(args, command, 1, 'at most one migration name');
  const named = args.positionals[0];
  const migration = stringOption(args, 'migration');
  if (named !== undefined && migration !== undefined && named !== migration) throw new UsageError(`two migrations named: "${named}" and --migration "${migration}"`);
  return { migration: named ?? migration, namespace: stringOption(args, 'namespace'), cluster: stringOption(args, 'cluster') };
}

/** The plans `filter` selects; a filter that selects nothing is a usage error naming what it asked for. */
export function selectMigrations(file: string, plans: readonly MigrationPlan[], filter: MigrationFilter): readonly MigrationPlan[] {
  const named = plans.filter((p) => filter.migration === undefined || p.name === filter.migration);
  if (filter.migration !== undefined && named.length === 0) throw new UsageError(`no migration named "${filter.migration}" in ${file}`);
  const atEitherEnd = (plan: MigrationPlan, field: 'namespace' | 'cluster') => filter[field] === undefined || plan.source[field] === filter[field] || plan.destination[field] === filter[field];
  const selected = named.filter((plan) => atEitherEnd(plan, 'namespace') && atEitherEnd(plan, 'cluster'));
  if (selected.length === 0 && (filter.namespace !== undefined || filter.cluster !== undefined)) {
    throw new UsageError(`no migration in ${file} has ${[filter.namespace && `namespace "${filter.namespace}"`, filter.cluster && `cluster "${filter.cluster}"`].filter(Boolean).join(' and ')} at either end`);
  }
  return selected;
}

/**
 * Only the `clusters` section of a config, for a command that must not depend on the rest being valid (pull writes
 * the very manifest an entry may be waiting for). Nothing when the file is absent or unreadable.
 */
export function clusterSettings(configPath: string): Pick<LoadedConfig, 'clusters'> {
  if (!existsSync(configPath)) return { clusters: new Map() };
  try {
    const data = load(readFileSync(configPath, 'utf8'), { schema: CORE_SCHEMA }) as { clusters?: Record<string, Cluster> } | null;
    return { clusters: new Map(data?.clusters && typeof data.clusters === 'object' ? Object.entries(data.clusters) : []) };
  } catch {
    return { clusters: new Map() };
  }
}
