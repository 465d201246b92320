// The package as users get it: `npm pack` of the build, installed into fresh projects made like
// `cdk8s init typescript-app` (CommonJS, tsc, `node main.js`), with only cdk8s and constructs beside it. The README's
// TypeScript blocks are that project's files: they must compile as written and run.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents } from './support/builders.ts';
import { root } from './support/processes.ts';

const work = mkdtempSync(join(tmpdir(), 'kvmigrate-package-'));
const app = join(work, 'app');
let packed: { files: { path: string }[] };
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The README's ```ts blocks, each named by its first line (`// main.ts`, `// compile.mts`). */
function readmeFiles(): Map<string, string> {
  const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return new Map(blocks.map((code) => [/^\/\/ (\S+\.m?ts)\n/.exec(code)?.[1] ?? 'unnamed.ts', code]));
}

/** The README's programs that synthesize (each ends with `app.synth()`): hand-built, from a VM dump, from a config. */
const SYNTHESIZING = ['main', 'from-vm', 'from-config'];

function tsc(project: string) {
  return spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: app, encoding: 'utf8' });
}

function node(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', env: { ...process.env, ...env } });
}

beforeAll(() => {
  // The build is current: the global setup ran `npm run build`.
  packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }))[0];
  execFileSync('tar', ['-xzf', join(work, readdirSync(work).find((n) => n.endsWith('.tgz'))!), '-C', work]);
  mkdirSync(join(app, 'node_modules/@types'), { recursive: true });
  renameSync(join(work, 'package'), join(app, 'node_modules/kvmigrate'));
  // What `npm i kvmigrate` adds to a cdk8s app: kvmigrate's dependencies and nothing else; @types/node and the test
  // runners (the template's jest with ts-jest, or vitest) are the app's own.
  for (const name of ['cdk8s', 'constructs', '@types/node', 'vitest', 'jest', 'ts-jest', '@types/jest']) {
    symlinkSync(join(root, 'node_modules', name), join(app, 'node_modules', name));
  }
  const template = join(root, 'node_modules/cdk8s-cli/templates/typescript-app');
  cpSync(join(template, 'tsconfig.json'), join(app, 'tsconfig.json'));
  cpSync(join(template, 'jest.config.js'), join(app, 'jest.config.js'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, main: 'main.js' }));
  for (const [name, code] of readmeFiles()) writeFileSync(join(app, name), code);
  // The examples read the repository's config and its real VM dump (`kubectl get vm,dv,pvc -o yaml`).
  cpSync(join(root, 'migrations.yaml'), join(app, 'migrations.yaml'));
  cpSync(join(root, 'vms'), join(app, 'vms'), { recursive: true });
}, 120_000);

describe('npm pack', () => {
  it('holds the build, the command line and the docs, not the sources or the tests', () => {
    const paths = packed.files.map((f) => f.path);
    for (const expected of ['bin/kvmigrate.js', 'build/lib/index.js', 'build/lib/index.d.ts', 'build/cjs/lib/index.js', 'build/cjs/package.json', 'build/cli/kvmigrate.js', 'build/lib/compiler.d.ts', 'README.md', 'CHANGELOG.md']) {
      expect(paths).toContain(expected);
    }
    expect(paths.filter((p) => /^(lib|test|imports|scripts|bench)\//.test(p) || p.endsWith('.tsbuildinfo') || p.includes('kvmigrate-hook'))).toEqual([]);
  });

  it('ships no file the package cannot reach: every build/imports file is imported by a shipped file', () => {
    const paths = packed.files.map((f) => f.path);
    const shipped = paths.filter((p) => /\.(js|d\.ts)$/.test(p) && !p.startsWith('build/imports/')).map((p) => readFileSync(join(app, 'node_modules/kvmigrate', p), 'utf8'));
    const imports = paths.filter((p) => p.startsWith('build/imports/'));
    expect(imports.length).toBeGreaterThan(0);
    const unreachable = imports.filter((p) => !shipped.some((text) => text.includes(`imports/${p.split('/').pop()!.replace(/\.(d\.ts|js)$/, '')}`)));
    expect(unreachable).toEqual([]);
  });

  it('runs no script when installed: the build runs on prepack, so an install neither warns nor asks for --allow-scripts', () => {
    const { scripts } = JSON.parse(readFileSync(join(app, 'node_modules/kvmigrate/package.json'), 'utf8'));
    expect(Object.keys(scripts).filter((name) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(name))).toEqual([]);
    expect(scripts.prepack).toBe('npm run --silent build');
  });

  it('bundles one copy of the yaml package into the command line, though cdk8s ships its own (same version)', () => {
    const cdk8sYaml = JSON.parse(readFileSync(join(root, 'node_modules/cdk8s/node_modules/yaml/package.json'), 'utf8')).version;
    expect(cdk8sYaml).toBe(JSON.parse(readFileSync(join(root, 'node_modules/yaml/package.json'), 'utf8')).version);
    const cli = join(app, 'node_modules/kvmigrate/build/cli');
    // A line of yaml's own source (nodes/identity.js): once per copy bundled.
    const copies = readdirSync(cli).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(cli, f), 'utf8').split('Symbol.for("yaml.alias")').length - 1);
    expect(copies.reduce((a, b) => a + b)).toBe(1);
  });

  it('depends on what the constructs need: cdk8s and constructs', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/kvmigrate/package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['cdk8s', 'constructs']);
  });
});

describe('a cdk8s app made like `cdk8s init typescript-app`', () => {
  it('the README blocks are its programs and main.test.ts', () =>
    expect([...readmeFiles().keys()].sort()).toEqual(['compile.mts', 'from-config.ts', 'from-vm.ts', 'main.test.ts', 'main.ts']));

  /** The objects a README program wrote to `out`, by file. */
  const synthesized = (out: string) => Object.fromEntries(readdirSync(out).map((name) => [name, documents(readFileSync(join(out, name), 'utf8'))]));
  const dist = () => documents(readFileSync(join(root, 'dist/default/vm-migration-ns-ns-live.k8s.yaml'), 'utf8'));

  /** What each README program must have synthesized, from the real VM dump and config. */
  function checkExamples(run: (program: string, out: string) => ReturnType<typeof node>) {
    const out = (program: string) => join(work, `out-${program}-${Math.random().toString(36).slice(2)}`);
    const fromConfig = out('from-config');
    const config = run('from-config', fromConfig);
    expect(config.status, config.stderr).toBe(0);
    // The config's migrations in the user's chart: the objects `kvmigrate synth` writes to dist/.
    expect(synthesized(fromConfig)).toEqual({ 'platform.k8s.yaml': dist() });

    const fromVm = out('from-vm');
    const vm = run('from-vm', fromVm);
    expect(vm.status, vm.stderr).toBe(0);
    const objects = synthesized(fromVm)['lab-move.k8s.yaml']!;
    // The same objects as synth's but for the migrationID, derived here (the config gives one).
    const withoutId = (o: Record<string, any>[]) => JSON.parse(JSON.stringify(o).replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}(-[0-9a-f-]{36})?/g, 'ID').replace(/-(receive|send|send-hook)-[0-9a-f]{8}/g, '-$1-HASH'));
    expect(withoutId(objects)).toEqual(withoutId(dist()));
    expect(objects.find((o) => o.kind === 'VirtualMachine')!.spec.template.spec.domain.devices.interfaces[0].macAddress).toBeDefined();

    const main = run('main', out('main'));
    expect(main.status, main.stderr).toBe(0);
  }

  it('compiles the README programs with the template tsconfig (CommonJS) and each synthesizes with `node`: from a VM dump and from a config as synth does', () => {
    writeFileSync(join(app, 'tsconfig.examples.json'), JSON.stringify({ extends: './tsconfig.json', include: [], files: SYNTHESIZING.map((p) => `${p}.ts`) }));
    const compiled = tsc('tsconfig.examples.json');
    expect(compiled.stdout + compiled.stderr).toBe('');
    checkExamples((program, out) => node([`${program}.js`], { CDK8S_OUTDIR: out }));
  }, 60_000);

  it('the same README programs as ES modules (nodenext) synthesize too, and compile.mts drives kvmigrate/compiler', () => {
    const esm = join(app, 'esm');
    mkdirSync(esm, { recursive: true });
    for (const program of SYNTHESIZING) writeFileSync(join(esm, `${program}.mts`), readmeFiles().get(`${program}.ts`)!);
    writeFileSync(join(esm, 'compile.mts'), readmeFiles().get('compile.mts')!);
    writeFileSync(
      join(app, 'tsconfig.esm.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['es2022'], inlineSourceMap: false, inlineSources: false, declaration: false }, include: [], files: [...SYNTHESIZING, 'compile'].map((p) => `esm/${p}.mts`) }),
    );
    const compiled = tsc('tsconfig.esm.json');
    expect(compiled.stdout + compiled.stderr).toBe('');
    checkExamples((program, out) => node([`esm/${program}.mjs`], { CDK8S_OUTDIR: out }));
    const compile = node(['esm/compile.mjs']);
    expect(compile.status, compile.stderr).toBe(0);
    expect(compile.stdout).toBe('default/vm-migration-ns-ns-live.k8s.yaml: 13 objects\n'.replace('13', String(dist().length)));
  }, 60_000);

  it('compiles main.ts with the template tsconfig (CommonJS, moduleResolution node10) and `node main.js` synthesizes the migration', () => {
    writeFileSync(join(app, 'tsconfig.cjs.json'), JSON.stringify({ extends: './tsconfig.json', include: [], files: ['main.ts'] }));
    const compiled = tsc('tsconfig.cjs.json');
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(readFileSync(join(app, 'main.js'), 'utf8')).toContain('require("kvmigrate")');
    const out = join(work, 'synth-out');
    const ran = node(['main.js'], { CDK8S_OUTDIR: out });
    expect(ran.status, ran.stderr).toBe(0);
    const objects = readdirSync(out).flatMap((name) => documents(readFileSync(join(out, name), 'utf8')));
    const receiver = objects.find((o) => o.kind === 'VirtualMachine')!;
    expect(receiver.spec.runStrategy).toBe('WaitAsReceiver');
    expect(receiver.spec.template.spec.volumes.map((v: { dataVolume?: { name: string } }) => v.dataVolume?.name)).toEqual(
      objects.filter((o) => o.kind === 'DataVolume').map((d) => d.metadata.name),
    );
    // The migrations are the hook's to create, never objects in Git.
    expect(objects.map((o) => o.kind)).not.toContain('VirtualMachineInstanceMigration');
    expect(objects.find((o) => o.kind === 'Job')!.spec.template.spec.containers[0].args).toContain('10.0.0.5:9185');
  });

  it('require() loads the CommonJS build and nothing besides cdk8s and constructs', () => {
    const loaded = node(['-e', "const k = require('kvmigrate'); console.log(JSON.stringify({ type: typeof k.DecentralizedMigration, modules: Object.keys(require.cache) }))"]);
    expect(loaded.status, loaded.stderr).toBe(0);
    const { type, modules } = JSON.parse(loaded.stdout) as { type: string; modules: string[] };
    expect(type).toBe('function');
    expect(modules.some((m) => m.includes('/kvmigrate/build/cjs/lib/index.js'))).toBe(true);
    expect(modules.filter((m) => !/\/node_modules\/(kvmigrate|cdk8s|constructs)\//.test(m))).toEqual([]);
  });

  it('import loads the ES module build (a node_modules without the CLI dependencies proves it loads nothing else)', () => {
    const loaded = node(['--input-type=module', '-e', "const k = await import('kvmigrate'); console.log(typeof k.BlankDataVolume, import.meta.resolve('kvmigrate'))"]);
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(loaded.stdout).toMatch(/^function file:.*\/kvmigrate\/build\/lib\/index\.js$/m);
  });

  it.each([
    ['node16 (CommonJS main.ts and an ES module)', { module: 'Node16', moduleResolution: 'Node16' }, ['main.ts', 'from-vm.ts', 'from-config.ts', 'compile.mts', 'esm.mts']],
    ['nodenext (and the strictest options a consumer may set)', { module: 'NodeNext', moduleResolution: 'NodeNext', exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false }, ['main.ts', 'from-vm.ts', 'from-config.ts', 'compile.mts', 'esm.mts']],
    ['bundler', { module: 'ESNext', moduleResolution: 'Bundler' }, ['main.ts', 'from-vm.ts', 'from-config.ts', 'compile.mts', 'esm.mts']],
    ['node10 (the subpath through typesVersions)', { module: 'CommonJS', moduleResolution: 'Node10' }, ['main.ts', 'from-vm.ts', 'from-config.ts', 'compiler.ts']],
  ])('type-checks against the package under moduleResolution %s', (name, options, files) => {
    writeFileSync(join(app, 'esm.mts'), "import { DecentralizedMigration } from 'kvmigrate';\nimport { planMigrations } from 'kvmigrate/compiler';\nexport const used = [DecentralizedMigration, planMigrations];\n");
    writeFileSync(join(app, 'compiler.ts'), "import { loadConfig } from 'kvmigrate/compiler';\nexport const used = loadConfig;\n");
    const project = `tsconfig.${name.split(' ')[0]}.json`;
    writeFileSync(join(app, project), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { ...options, noEmit: true }, include: [], files }));
    const checked = tsc(project);
    expect(checked.stdout + checked.stderr).toBe('');
  }, 120_000);

  it('the README snapshot recipe runs under vitest and writes a snapshot of the chart', () => {
    rmSync(join(app, '__snapshots__'), { recursive: true, force: true });
    const vitest = (...flags: string[]) => node([join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'main.test.ts', '--root', app, ...flags], { CDK8S_OUTDIR: join(work, 'vitest-out') });
    // The first run writes the snapshot (--update: under CI, vitest refuses to write new ones); the next compares.
    const first = vitest('--update');
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const second = vitest();
    expect(second.status, second.stdout + second.stderr).toBe(0);
    const snapshot = readFileSync(join(app, '__snapshots__/main.test.ts.snap'), 'utf8');
    expect(snapshot).toContain('"runStrategy": "WaitAsReceiver"');
    expect(snapshot).toContain('"kind": "DataVolume"');
  }, 60_000);

  it('the README snapshot recipe runs under the template\'s jest (ts-jest, CommonJS), with the vitest import deleted as it says', () => {
    const recipe = readmeFiles().get('main.test.ts')!;
    const vitestLine = recipe.split('\n').find((line) => line.includes("from 'vitest'"))!;
    expect(vitestLine).toContain('with jest: delete this line');
    const jestDir = join(work, 'jest-app');
    cpSync(app, jestDir, { recursive: true, verbatimSymlinks: true, filter: (path) => !path.includes('__snapshots__') });
    writeFileSync(join(jestDir, 'main.test.ts'), recipe.replace(`${vitestLine}\n`, ''));
    const jest = (...flags: string[]) =>
      spawnSync(process.execPath, [join(root, 'node_modules/jest/bin/jest.js'), 'main.test.ts', ...flags], { cwd: jestDir, encoding: 'utf8', env: { ...process.env, CDK8S_OUTDIR: join(work, 'jest-out') } });
    // The first run writes the snapshot (--ci=false: under CI, jest refuses to write new ones); the next compares.
    const first = jest('--ci=false');
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const second = jest('--ci');
    expect(second.status, second.stdout + second.stderr).toBe(0);
    const snapshot = readFileSync(join(jestDir, '__snapshots__/main.test.ts.snap'), 'utf8');
    expect(snapshot).toContain('"runStrategy": "WaitAsReceiver"');
  }, 120_000);

  it('every construct the README lists is exported by both builds', () => {
    const table = readFileSync(join(root, 'README.md'), 'utf8').split('| construct | what it renders |')[1]!.split('\n\n')[0]!;
    const names = [...table.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]!);
    expect(names).toContain('ClusterApplication');
    const script = `const names = ${JSON.stringify(names)}; const esm = await import('kvmigrate'); const cjs = (await import('node:module')).createRequire(import.meta.url)('kvmigrate');
      console.log(JSON.stringify(names.filter((n) => typeof esm[n] !== 'function' || typeof cjs[n] !== 'function')));`;
    const checked = node(['--input-type=module', '-e', script]);
    expect(checked.status, checked.stderr).toBe(0);
    expect(JSON.parse(checked.stdout)).toEqual([]);
  });

  it('kvmigrate/compiler runs from the package: synthesize() writes the manifests of a config', () => {
    cpSync(join(root, 'migrations.yaml'), join(app, 'migrations.yaml'));
    cpSync(join(root, 'vms'), join(app, 'vms'), { recursive: true });
    const script = "const { synthesize } = await import('kvmigrate/compiler'); const r = synthesize({ configPath: 'migrations.yaml', outdir: 'compiled' }); console.log(JSON.stringify(r.clusters));";
    const ran = node(['--input-type=module', '-e', script]);
    expect(ran.status, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual([expect.objectContaining({ cluster: 'default', migrations: 1 })]);
    expect(readdirSync(join(app, 'compiled/default')).sort()).toEqual(readdirSync(join(root, 'dist/default')).sort());
  });

  it('the command line runs from the package, with its bundled dependencies', () => {
    cpSync(join(root, 'migrations.yaml'), join(app, 'migrations.yaml'));
    cpSync(join(root, 'vms'), join(app, 'vms'), { recursive: true });
    const help = node(['node_modules/kvmigrate/bin/kvmigrate.js', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: kvmigrate <command>');
    const synth = node(['node_modules/kvmigrate/bin/kvmigrate.js', 'synth', '--out', 'manifests', '-o', 'json']);
    expect(synth.status, synth.stderr).toBe(0);
    expect(existsSync(join(app, 'manifests/default'))).toBe(true);
    // The same manifests as this repository's dist/, apart from the header naming the config's path.
    const header = /^# Generated by kvmigrate from .*\n/;
    for (const file of readdirSync(join(root, 'dist/default'))) {
      expect(readFileSync(join(app, 'manifests/default', file), 'utf8').replace(header, '')).toBe(readFileSync(join(root, 'dist/default', file), 'utf8').replace(header, ''));
    }
  });
});
