import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitCode, processStreams, reportFailure, UsageError, type Streams } from './output.ts';

const HELP = `kvmigrate: live-migrate KubeVirt VMs between namespaces and clusters through Git.

Usage: kvmigrate <command> [options]

Commands:
  synth      compile migrations.yaml into ordered manifests under dist/
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
