// The command line run in this process (its `main`, with captured output): its exit code and what it printed. Tests
// that need it as a separate process, as CI runs it, use processes.ts `kvmigrate`.
import { main } from '../../lib/cli/main.ts';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `kvmigrate <args>`; `tty` makes stdout a terminal (redrawn progress, colours). */
export async function kvmigrateInProcess(args: readonly string[], options: { tty?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), tty: options.tty });
  return { code, stdout, stderr };
}
