import { parseArgs, type ParseArgsConfig } from 'node:util';
import { printable } from '../cluster/printable.ts';
import { ExitCode, reportFailure, UsageError, type Streams } from './output.ts';
import { didYouMean } from './suggest.ts';
import type { CommandUsage } from './usage.ts';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** A command line after parsing: option values by long name, and the positional arguments. */
export interface ParsedArguments {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** One `kvmigrate` command: its options (besides `--help`), its help text, and what it does. */
export interface CliCommand extends CommandUsage {
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

/** The only escape sequences kvmigrate writes itself, on a terminal: colours (table.ts `paint`) and status redraws. */
const OWN_SEQUENCES = /\x1b\[(?:[0-9]{1,2}m|0m|[0-9]+F|2K)/g;

/**
 * The one place text reaches the screen or a log: whatever a command prints passes {@link printable} (control
 * characters from a cluster, a file name or a VM name made visible; credentials redacted), keeping newlines, tabs
 * and, on a terminal, kvmigrate's own colours and redraws.
 */
export function safeStreams(streams: Streams): Streams {
  const own = (text: string) => {
    if (!streams.tty) return printable(text, 'lines');
    let out = '';
    let last = 0;
    for (const match of text.matchAll(OWN_SEQUENCES)) {
      out += printable(text.slice(last, match.index), 'lines') + match[0];
      last = match.index + match[0].length;
    }
    return out + printable(text.slice(last), 'lines');
  };
  return { ...streams, stdout: (text) => streams.stdout(own(text)), stderr: (text) => streams.stderr(printable(text, 'lines')) };
}

/** Parses `argv` for `command` and runs it: `--help` prints its help; every failure becomes a message and exit code. */
export async function runCommand(command: CliCommand, argv: readonly string[], rawStreams: Streams, name?: string): Promise<number> {
  const streams = safeStreams(rawStreams);
  // `-o json` asks for JSON errors too, even when the rest of the command line is wrong.
  const json = argv.some((arg, i) => arg === '-ojson' || arg === '--output=json' || ((arg === '-o' || arg === '--output') && argv[i + 1] === 'json'));
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    } catch (error) {
      throw usageError(error, command);
    }
    if (parsed.values.help) {
      streams.stdout(command.help);
      return ExitCode.OK;
    }
    return await command.run({ values: parsed.values as ParsedArguments['values'], positionals: parsed.positionals }, streams);
  } catch (error) {
    return reportFailure(streams, error, { command: name, json, usage: usageLines(command.help), exitShift: command.failureExitShift });
  }
}

/** The "Usage:" lines at the top of a command's help, repeated under a usage error. */
function usageLines(help: string): string {
  const lines = help.split('\n');
  const end = lines.findIndex((line) => line.trim() === '');
  return lines.slice(0, end === -1 ? 1 : end).join('\n');
}

/**
 * `parseArgs`'s errors in kubectl's words: which flag, the nearest flags the command has, and no advice about `--`.
 * Node words them by code (`ERR_PARSE_ARGS_*`, lib/internal/util/parse_args/parse_args.js); an error without a known
 * code keeps its own message.
 */
function usageError(error: unknown, command: CliCommand): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const flag = /^Option '([^' ]+)|^Unknown option '([^']+)'/.exec(message);
  const name = flag?.[1] ?? flag?.[2] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flags = ['help', ...Object.keys(command.options)].map((option) => `--${option}`);
    return new UsageError(`unknown flag: ${name}${name.startsWith('--') ? didYouMean(name, flags) : ''}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.includes('does not take an argument')) return new UsageError(`flag ${name} takes no value`);
    if (message.includes('ambiguous')) return new UsageError(`flag needs an argument: ${name} (for a value starting with "-", write ${name}=VALUE)`);
    return new UsageError(`flag needs an argument: ${name}`);
  }
  return new UsageError(message);
}
