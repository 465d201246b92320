import { existsSync, readFileSync } from 'node:fs';
import { CORE_SCHEMA, load } from 'js-yaml';
import { loadConfig, type LoadedConfig } from '../config/load-config.ts';
import { DiagnosticBag } from '../diagnostics.ts';
import type { Cluster } from '../config/types.generated.ts';
import { ClusterApi } from '../cluster/cluster-api.ts';
import { connect } from '../cluster/kube-clients.ts';
import { planMigrations, type MigrationPlan } from '../plan/plan.ts';
import type { ClusterFlags } from './common-options.ts';
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
  const plans = all.filter((p) => only === undefined || p.name === only);
  if (only !== undefined && plans.length === 0) throw new UsageError(`no migration named "${only}" in ${config!.file}`);
  return { config: config!, plans, all };
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
