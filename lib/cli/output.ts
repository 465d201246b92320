import { ClusterFailure } from '../cluster/cluster-failure.ts';
import { fileFault, fileFaultReason, formatDiagnostic, InputError, type Diagnostic } from '../diagnostics.ts';
import type { CommandUsage } from './usage.ts';

/** Exit codes shared by every command. */
export const ExitCode = {
  OK: 0,
  /** The input (config, manifests, cluster state) is wrong; the message says what. */
  INPUT: 1,
  /** The command line is wrong. */
  USAGE: 2,
  /** A bug or an unexpected environment fault. */
  INTERNAL: 3,
} as const;

export class UsageError extends Error {}

export interface Streams {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** stdout is a terminal: colours and redrawn progress are welcome (unless NO_COLOR). */
  readonly tty?: boolean;
}

export const processStreams: Streams = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  tty: process.stdout.isTTY === true,
};

/** Colour only on a terminal, never with NO_COLOR set (https://no-color.org). */
export function useColour(streams: Streams): boolean {
  return streams.tty === true && !process.env.NO_COLOR;
}

export function printDiagnostics(streams: Streams, diagnostics: readonly Diagnostic[]): void {
  for (const diagnostic of diagnostics) streams.stderr(`${formatDiagnostic(diagnostic)}\n`);
}

/** How a failure is reported: for which command, and as JSON on stdout (`-o json`) or as text on stderr. */
export interface FailureOptions {
  readonly command?: string;
  readonly json?: boolean;
  /** The command's usage lines, printed under a usage error. */
  readonly usage?: string;
  /** Added to every failure's exit code: see {@link CommandUsage.failureExitShift}. */
  readonly exitShift?: number;
}

/** Maps what a command threw to a message (text on stderr, or one JSON object on stdout with `-o json`) and an exit code. */
export function reportFailure(streams: Streams, error: unknown, options: FailureOptions = {}): number {
  const help = `kvmigrate ${options.command ? `${options.command} ` : ''}--help`;
  const fault = fileFault(error);
  const [kind, baseCode, message, diagnostics]: [string, number, string, readonly Diagnostic[]] =
    error instanceof InputError
      ? ['input', ExitCode.INPUT, `${error.diagnostics.length} error${error.diagnostics.length === 1 ? '' : 's'}; nothing was written`, error.diagnostics]
      : error instanceof ClusterFailure
        ? ['cluster', ExitCode.INPUT, error.message, []]
        : error instanceof UsageError
          ? ['usage', ExitCode.USAGE, error.message, []]
          : fault
            ? // A file the command could not read or write (permissions, an immutable file, a full disk): the user's to fix.
              ['file', ExitCode.INPUT, `cannot ${fault.syscall} ${fault.path ?? 'a file'}: ${fileFaultReason(fault)}`, []]
            : ['internal', ExitCode.INTERNAL, error instanceof Error ? (error.stack ?? error.message) : String(error), []];
  const code = baseCode + (options.exitShift ?? 0);
  if (options.json) {
    streams.stdout(`${JSON.stringify({ error: { kind, message, ...(diagnostics.length > 0 && { diagnostics }), exitCode: code } }, null, 2)}\n`);
    return code;
  }
  if (kind === 'input') {
    printDiagnostics(streams, diagnostics);
    streams.stderr(`${message}\n`);
  } else if (kind === 'usage') streams.stderr(`error: ${message}\n${options.usage ? `${options.usage}\n` : ''}Run '${help}' for usage.\n`);
  else streams.stderr(`${kind === 'internal' ? 'internal error' : 'error'}: ${message}\n`);
  return code;
}
