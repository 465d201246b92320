import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Builds the package once per run (incremental): the command line runs from its bundle as users run it, the hook
 * tests run the hook's bundle as its image does, and the package tests pack the build.
 */
export default function setup(): void {
  const root = resolve(import.meta.dirname, '../..');
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
}
