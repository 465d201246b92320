import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command as a separate process, the way a user or CI would. */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): ProcessResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? root,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the kvmigrate command line (bin/kvmigrate.js) as a process. */
export function kvmigrate(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): ProcessResult {
  return run(process.execPath, [resolve(root, 'bin/kvmigrate.js'), ...args], options);
}
