// Options several commands share. Kept apart from the code behind the commands, so that parsing a command line
// loads neither the compiler nor a Kubernetes client.
import type { ParsedArguments } from './command.ts';
import { UsageError } from './output.ts';

export const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const;
export const OUTPUT_OPTION = { output: { type: 'string', short: 'o' } } as const;

/** The flags every cluster-facing command takes, as kubectl spells them. */
export const CLUSTER_FLAGS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'request-timeout': { type: 'string' },
} as const;

export const CLUSTER_FLAGS_HELP = `      --kubeconfig FILE          kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, in-cluster)
      --context NAME             context for every cluster without clusters.<name>.kubeContext in the config
      --request-timeout SECONDS  per API request (default 30)`;

export interface ClusterFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly 'request-timeout'?: string;
}

/** `$KVMIGRATE_CONFIG`, else `migrations.yaml`. */
export function defaultConfigPath(): string {
  return process.env.KVMIGRATE_CONFIG || 'migrations.yaml';
}

/** `--config`, else the default. */
export function configPath(args: ParsedArguments): string {
  const value = args.values.config;
  return typeof value === 'string' ? value : defaultConfigPath();
}

export function outputFormat(args: ParsedArguments): 'text' | 'json' {
  const value = args.values.output;
  if (value === undefined || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new UsageError(`unknown output format "${String(value)}" (use text or json)`);
}

export function clusterFlags(args: ParsedArguments): ClusterFlags {
  const text = (name: string) => (typeof args.values[name] === 'string' ? (args.values[name] as string) : undefined);
  return { kubeconfig: text('kubeconfig'), context: text('context'), 'request-timeout': text('request-timeout') };
}

/** Refuses positional arguments a command does not take, or a wrong count. */
export function expectPositionals(args: ParsedArguments, command: string, count: number, what = 'arguments'): void {
  if (args.positionals.length !== count) {
    throw new UsageError(count === 0 ? `${command} takes no arguments (got "${args.positionals.join(' ')}")` : `${command} takes ${what} (got ${args.positionals.length} arguments)`);
  }
}
