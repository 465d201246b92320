import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CLUSTER_FLAGS } from './cluster-flags.ts';
import { ExitCode, processStreams, reportFailure, UsageError, type Streams } from './output.ts';

const HELP = `kvmigrate: live-migrate KubeVirt VMs between namespaces and clusters through Git.

Usage: kvmigrate <command> [options]

Commands:
  synth      compile migrations.yaml into ordered manifests under dist/
  cutover    after success: make the destination VM final, halt a managed source VM (edits the config)
  abort      stop a migration, keeping the receiver unless --remove-receiver (edits the config)
  retry      migrate again as a new attempt, with a new migrationID (edits the config)
  argocd-health  print the Argo CD health checks the migration waves need
  pull       write a clean source manifest from a live VM (and add it to the config)
  preflight  check both ends of every migration before committing it
  status     show (or --watch) every migration's progress
  hook send  create the sendTo migration once the receive side is ready (the post-sync hook)

Options:
  -h, --help     show help (also: kvmigrate <command> --help)
      --version  print the version
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function parse(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Runs the command line `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], streams: Streams = processStreams): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      streams.stdout(HELP);
      return command === undefined ? ExitCode.USAGE : ExitCode.OK;
    }
    if (command === '--version') {
      streams.stdout(`${version()}\n`);
      return ExitCode.OK;
    }
    switch (command) {
      case 'hook': {
        // Loaded on demand, like synth: each command pays only for its own dependencies at start-up.
        const { runHookCommand } = await import('./hook-command.ts');
        return await runHookCommand(rest, streams);
      }
      case 'cutover':
      case 'abort':
      case 'retry': {
        const { values, positionals } = parse(rest, {
          config: { type: 'string', short: 'c' },
          output: { type: 'string', short: 'o' },
          'remove-receiver': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        });
        const { LIFECYCLE_HELP, runLifecycle } = await import('./lifecycle-command.ts');
        const { defaultConfigPath, parseOutputFormat } = await import('./synth-command.ts');
        if (values.help) {
          streams.stdout(LIFECYCLE_HELP);
          return ExitCode.OK;
        }
        if (positionals.length !== 1) throw new UsageError(`${command} takes one migration name (got ${positionals.length})`);
        if (values['remove-receiver'] && command !== 'abort') throw new UsageError('--remove-receiver goes with abort');
        const edit = command === 'retry' ? { phase: 'migrate' as const, newAttempt: true } : { phase: command, removeReceiver: values['remove-receiver'] === true };
        return runLifecycle((values.config as string | undefined) ?? defaultConfigPath(), positionals[0]!, edit, parseOutputFormat(values.output as string | undefined), streams);
      }
      case 'pull': {
        const { values, positionals } = parse(rest, {
          out: { type: 'string' },
          add: { type: 'boolean' },
          to: { type: 'string' },
          'source-cluster': { type: 'string' },
          'destination-cluster': { type: 'string' },
          config: { type: 'string', short: 'c' },
          output: { type: 'string', short: 'o' },
          help: { type: 'boolean', short: 'h' },
          ...CLUSTER_FLAGS,
        });
        const { PULL_HELP, runPull } = await import('./pull-command.ts');
        const { defaultConfigPath, parseOutputFormat } = await import('./synth-command.ts');
        if (values.help) {
          streams.stdout(PULL_HELP);
          return ExitCode.OK;
        }
        if (positionals.length !== 1) throw new UsageError(`pull takes one <namespace>/<vm> (got ${positionals.length})`);
        const v = values as Record<string, string | boolean | undefined>;
        return await runPull(
          {
            target: positionals[0]!,
            out: (v.out as string | undefined) ?? 'vms',
            add: v.add === true,
            to: v.to as string | undefined,
            sourceCluster: v['source-cluster'] as string | undefined,
            destinationCluster: v['destination-cluster'] as string | undefined,
            config: (v.config as string | undefined) ?? defaultConfigPath(),
            output: parseOutputFormat(v.output as string | undefined),
            kubeconfig: v.kubeconfig as string | undefined,
            context: v.context as string | undefined,
            'request-timeout': v['request-timeout'] as string | undefined,
          },
          streams,
        );
      }
      case 'preflight': {
        const { values, positionals } = parse(rest, {
          config: { type: 'string', short: 'c' },
          migration: { type: 'string' },
          output: { type: 'string', short: 'o' },
          help: { type: 'boolean', short: 'h' },
          ...CLUSTER_FLAGS,
        });
        const { PREFLIGHT_HELP, runPreflight } = await import('./preflight-command.ts');
        const { defaultConfigPath, parseOutputFormat } = await import('./synth-command.ts');
        if (values.help) {
          streams.stdout(PREFLIGHT_HELP);
          return ExitCode.OK;
        }
        if (positionals.length > 0) throw new UsageError('preflight takes no arguments');
        const v = values as Record<string, string | undefined>;
        return await runPreflight(
          { ...v, config: v.config ?? defaultConfigPath(), migration: v.migration, output: parseOutputFormat(v.output) },
          streams,
        );
      }
      case 'status': {
        const { values, positionals } = parse(rest, {
          config: { type: 'string', short: 'c' },
          migration: { type: 'string' },
          watch: { type: 'boolean', short: 'w' },
          prometheus: { type: 'string' },
          timeout: { type: 'string' },
          output: { type: 'string', short: 'o' },
          help: { type: 'boolean', short: 'h' },
          ...CLUSTER_FLAGS,
        });
        const { STATUS_HELP, runStatus } = await import('./status-command.ts');
        const { defaultConfigPath, parseOutputFormat } = await import('./synth-command.ts');
        if (values.help) {
          streams.stdout(STATUS_HELP);
          return ExitCode.OK;
        }
        if (positionals.length > 0) throw new UsageError('status takes no arguments');
        const v = values as Record<string, string | boolean | undefined>;
        return await runStatus(
          {
            config: (v.config as string | undefined) ?? defaultConfigPath(),
            migration: v.migration as string | undefined,
            watch: v.watch === true,
            prometheus: v.prometheus as string | undefined,
            timeout: v.timeout as string | undefined,
            output: parseOutputFormat(v.output as string | undefined),
            kubeconfig: v.kubeconfig as string | undefined,
            context: v.context as string | undefined,
            'request-timeout': v['request-timeout'] as string | undefined,
          },
          streams,
        );
      }
      case 'argocd-health': {
        const { values, positionals } = parse(rest, {
          namespace: { type: 'string' },
          format: { type: 'string' },
          output: { type: 'string', short: 'o' },
          help: { type: 'boolean', short: 'h' },
        });
        const { ARGOCD_HEALTH_HELP, runArgocdHealth } = await import('./argocd-health-command.ts');
        if (values.help) {
          streams.stdout(ARGOCD_HEALTH_HELP);
          return ExitCode.OK;
        }
        if (positionals.length > 0) throw new UsageError('argocd-health takes no arguments');
        return runArgocdHealth(values as { namespace?: string; format?: string; output?: string }, streams);
      }
      case 'synth': {
        const { defaultConfigPath, parseOutputFormat, runSynth, SYNTH_HELP } = await import('./synth-command.ts');
        const { values, positionals } = parse(rest, {
          config: { type: 'string', short: 'c' },
          out: { type: 'string' },
          output: { type: 'string', short: 'o' },
          help: { type: 'boolean', short: 'h' },
        });
        if (values.help) {
          streams.stdout(SYNTH_HELP);
          return ExitCode.OK;
        }
        if (positionals.length > 0) throw new UsageError(`synth takes no arguments (got "${positionals.join(' ')}")`);
        return runSynth(
          {
            config: (values.config as string | undefined) ?? defaultConfigPath(),
            out: (values.out as string | undefined) ?? 'dist',
            output: parseOutputFormat(values.output as string | undefined),
          },
          streams,
        );
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    return reportFailure(streams, error);
  }
}
