import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Builds the hook bundle once per run: the hook tests run it as a separate process, as the Job's image does. */
export default function setup(): void {
  const root = resolve(import.meta.dirname, '../..');
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-hook.ts'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build:hook failed:\n${result.stderr}`);
}
