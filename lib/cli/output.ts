import { ClusterFailure } from '../cluster/cluster-failure.ts';
import { formatDiagnostic, InputError, type Diagnostic } from '../diagnostics.ts';

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

/** Maps what a command threw to a message on stderr and an exit code. */
export function reportFailure(streams: Streams, error: unknown): number {
  if (error instanceof InputError) {
    printDiagnostics(streams, error.diagnostics);
    const n = error.diagnostics.length;
    streams.stderr(`${n} error${n === 1 ? '' : 's'}; nothing was written\n`);
    return ExitCode.INPUT;
  }
  if (error instanceof ClusterFailure) {
    streams.stderr(`error: ${error.message}\n`);
    return ExitCode.INPUT;
  }
  if (error instanceof UsageError) {
    streams.stderr(`error: ${error.message}\nRun 'kvmigrate --help' for usage.\n`);
    return ExitCode.USAGE;
  }
  streams.stderr(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.INTERNAL;
}
