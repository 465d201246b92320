import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The bundled hook, built by the global setup exactly as `npm run build:hook` builds it for the image. */
export const HOOK_BUNDLE = join(resolve(import.meta.dirname, '../..'), 'build/kvmigrate-hook.mjs');

export interface HookRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the bundled hook as its own process with `KUBECONFIG=kubeconfig`, as the Job's container does. */
export function runHookProcess(args: readonly string[], kubeconfig: string): Promise<HookRun> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [HOOK_BUNDLE, ...args], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}
