// Bundles the post-sync hook into one JavaScript file that runs with plain `node` (no node_modules): the file the
// hook's container image ships.
import { build } from 'esbuild';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
export const HOOK_BUNDLE = resolve(root, 'build/kvmigrate-hook.mjs');

const result = await build({
  entryPoints: [resolve(root, 'lib/cli/hook-entry.ts')],
  outfile: HOOK_BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  // Some dependencies are CommonJS and call require() for Node built-ins; give the ES module bundle one.
  banner: { js: "import { createRequire as __kvmigrateCreateRequire } from 'node:module'; const require = __kvmigrateCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.error(`built ${HOOK_BUNDLE} (${(bytes / 1024).toFixed(0)} KiB)`);
