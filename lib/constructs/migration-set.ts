import { Construct } from 'constructs';
import type { MigrationsConfig } from '../config/types.generated.ts';
import { DiagnosticBag, formatDiagnostic, InputError, type Diagnostic } from '../diagnostics.ts';
import { DEFAULT_CLUSTER, planMigrations, type MigrationPlan } from '../plan/plan.ts';
import { configLoader } from './config-loader.cjs';
import { DecentralizedMigration } from './decentralized-migration.ts';
import { plannedMigrationProps } from './planned-migration.ts';

/** A `migrations.yaml` as a parsed object (`apiVersion: kvmigrate.io/v1alpha1`, `kind: MigrationSet`). */
export type MigrationSetConfig = MigrationsConfig;

/** Properties of a {@link MigrationSet}. */
export interface MigrationSetProps {
  /**
   * The config: the path of a `migrations.yaml` (relative to the working directory; its source manifests relative to
   * its own folder), or the parsed config (its source manifests relative to the working directory).
   */
  readonly config: string | MigrationSetConfig;
  /**
   * The chart (or any construct) of each cluster the config names in `source.cluster` / `destination.cluster`.
   * @default - the migrations of the config's unnamed cluster go into this construct; a named cluster is refused
   */
  readonly clusters?: Readonly<Record<string, Construct>>;
}

/**
 * The migrations of a `migrations.yaml`, in your own cdk8s app: loaded, checked and planned as `kvmigrate synth`
 * does (every error it would report is thrown, naming this construct and the file:line:col), each rendered by a
 * {@link DecentralizedMigration}. The config's `argocd:` section is read by its checks, but its Applications are
 * `kvmigrate synth`'s output, not this construct's.
 */
export class MigrationSet extends Construct {
  /** One per migration of the config, in its order. */
  public readonly migrations: readonly DecentralizedMigration[];
  /** What `kvmigrate synth` would warn about, as it prints it (`file:line:col: warning: ...`). */
  public readonly warnings: readonly string[];

  public constructor(scope: Construct, id: string, props: MigrationSetProps) {
    super(scope, id);
    const label = `MigrationSet "${this.node.path}"`;
    const fail = (diagnostics: readonly Diagnostic[]) => new Error(diagnostics.map((d) => `${label}: ${formatDiagnostic(d)}`).join('\n'));
    const bag = new DiagnosticBag();
    const { loadConfig, loadConfigObject } = configLoader();
    const config = typeof props.config === 'string' ? loadConfig(props.config, bag) : loadConfigObject(props.config, process.cwd(), `${label} config`, bag);
    if (!config) throw fail(bag.errors);
    let planned: ReturnType<typeof planMigrations>;
    try {
      planned = planMigrations(config);
    } catch (error) {
      throw error instanceof InputError ? fail(error.diagnostics) : error;
    }
    const scopeOf = (cluster: string, plan: MigrationPlan): Construct => {
      const given = props.clusters?.[cluster];
      if (given) return given;
      if (cluster === DEFAULT_CLUSTER) return this;
      throw new Error(`${label}: migration "${plan.name}" names cluster "${cluster}", which clusters does not map to a chart`);
    };
    this.migrations = planned.plans.map((plan) => {
      const destination = scopeOf(plan.destination.cluster, plan);
      const source = scopeOf(plan.source.cluster, plan);
      return new DecentralizedMigration(destination, plan.name, plannedMigrationProps(plan, source === destination ? undefined : source));
    });
    this.warnings = planned.warnings.map(formatDiagnostic);
  }
}
