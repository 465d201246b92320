import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitCode, reportFailure, UsageError, type Streams } from './output.ts';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** A command line after parsing: option values by long name, and the positional arguments. */
export interface ParsedArguments {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** One `kvmigrate` command: its options (besides `--help`), its help text, and what it does. */
export interface CliCommand {
  readonly options: OptionsConfig;
  readonly help: string;
  run(args: ParsedArguments, streams: Streams): number | Promise<number>;
}

/** What a command does once its command line has parsed; its options and help are its entry in usage.ts. */
export type CommandRun = CliCommand['run'];

/** Typed accessors of parsed values, so commands read their options without casts. */
export function stringOption(args: ParsedArguments, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(args: ParsedArguments, name: string): boolean {
  return args.values[name] === true;
}

/** Parses `argv` for `command` and runs it: `--help` prints its help; every failure becomes a message and exit code. */
export async function runCommand(command: CliCommand, argv: readonly string[], streams: Streams, name?: string): Promise<number> {
  // `-o json` asks for JSON errors too, even when the rest of the command line is wrong.
  const json = argv.some((arg, i) => arg === '-ojson' || arg === '--output=json' || ((arg === '-o' || arg === '--output') && argv[i + 1] === 'json'));
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    if (parsed.values.help) {
      streams.stdout(command.help);
      return ExitCode.OK;
    }
    return await command.run({ values: parsed.values as ParsedArguments['values'], positionals: parsed.positionals }, streams);
  } catch (error) {
    return reportFailure(streams, error, { command: name, json });
  }
}
