// Builds the package into build/:
//   lib/  the construct library (and declarations of every entry point) compiled by tsc, an ES module;
//   cjs/  the construct library once more as CommonJS, for require() and jest;
//   cli/  the command line, the cdk8s app and the `kvmigrate/compiler` entry, bundled by esbuild with all their
//         dependencies and minified (one parse of a few files starts faster than Node resolving hundreds), split so
//         that each command loads only its own code, with source maps;
//   kvmigrate-hook.mjs  the post-sync hook in one file with everything, for its image (`--hook`: only this).
// tsc is incremental: an unchanged tree builds in a few seconds.
// With KVMIGRATE_RELEASE_TAG set (the release workflow) it must equal v<version>, and the build is stamped as that
// release in build/release.json, which tells synth that the default hook image exists.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { VERSION } from '../lib/package-info.generated.ts';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'build');

const bundle: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  // Some dependencies are CommonJS and call require() for Node built-ins; give the ES module bundle one.
  banner: { js: "import { createRequire as __kvmigrateCreateRequire } from 'node:module'; const require = __kvmigrateCreateRequire(import.meta.url);" },
};

/**
 * cdk8s ships its own copy of `yaml` (a bundled dependency) beside the one kvmigrate uses: bundled as two packages,
 * every start parses and runs both. One copy serves both when they are the same version; otherwise the build fails
 * rather than mix versions silently (align kvmigrate's `yaml` with cdk8s's, or drop this plugin).
 */
const oneYaml: Plugin = {
  name: 'one-yaml',
  setup(esbuild) {
    const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    const ours = join(root, 'node_modules/yaml');
    const cdk8s = join(root, 'node_modules/cdk8s/node_modules/yaml');
    esbuild.onResolve({ filter: /^yaml$/ }, async (args) => {
      // Without a copy of its own, cdk8s resolves to kvmigrate's anyway.
      if (!args.importer.startsWith(join(root, 'node_modules/cdk8s/')) || !existsSync(cdk8s)) return undefined;
      if (version(cdk8s) !== version(ours)) throw new Error(`cdk8s bundles yaml ${version(cdk8s)}, kvmigrate uses ${version(ours)}: align them`);
      return esbuild.resolve('yaml', { kind: args.kind, resolveDir: root });
    });
  },
};

async function hook(): Promise<void> {
  await build({ ...bundle, entryPoints: [join(root, 'lib/cli/hook-entry.ts')], outfile: join(out, 'kvmigrate-hook.mjs'), minify: true });
}

async function cli(): Promise<void> {
  rmSync(join(out, 'cli'), { recursive: true, force: true });
  await build({
    ...bundle,
    entryPoints: { kvmigrate: join(root, 'lib/cli/main.ts'), 'cdk8s-app': join(root, 'main.ts'), compiler: join(root, 'lib/compiler.ts') },
    outdir: join(out, 'cli'),
    splitting: true,
    chunkNames: '[name]-[hash]',
    minify: true,
    plugins: [oneYaml],
    // For `node --enable-source-maps` and the benchmark's profile by package; not in the npm package.
    sourcemap: 'linked',
    sourcesContent: false,
  });
  // The config loader of MigrationSet, without cdk8s: CommonJS, so both library builds require() it on first use
  // (lib/constructs/config-loader.cjs finds it).
  await build({ ...bundle, banner: {}, format: 'cjs', entryPoints: [join(root, 'lib/config/load-config.ts')], outfile: join(out, 'cli/config-loader.cjs'), minify: true, plugins: [oneYaml] });
}

function library(): void {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) execFileSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
  // Every .js under build/cjs is CommonJS, though the package is "type": "module".
  writeFileSync(join(out, 'cjs/package.json'), '{ "type": "commonjs" }\n');
  for (const name of ['validators.generated.d.ts', 'crd-validators.generated.d.ts']) cpSync(join(root, 'lib/config', name), join(out, 'lib/config', name));
  for (const dir of ['lib/constructs', 'cjs/lib/constructs']) cpSync(join(root, 'lib/constructs/config-loader.cjs'), join(out, dir, 'config-loader.cjs'));
}

function stampRelease(): void {
  const tag = process.env.KVMIGRATE_RELEASE_TAG;
  const stamp = join(out, 'release.json');
  if (!tag) return rmSync(stamp, { force: true });
  if (tag !== `v${VERSION}`) throw new Error(`KVMIGRATE_RELEASE_TAG=${tag} is not this package's version v${VERSION}: bump package.json, then npm run generate`);
  mkdirSync(out, { recursive: true });
  writeFileSync(stamp, `${JSON.stringify({ version: VERSION, tag })}\n`);
}

try {
  if (process.argv.includes('--hook')) await hook();
  else {
    stampRelease();
    library();
    await Promise.all([cli(), hook()]);
  }
  console.error(`built ${out}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
