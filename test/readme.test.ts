// The README's TypeScript examples, compiled with the project's compiler settings and run as a user's cdk8s app.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { documents } from './support/builders.ts';

const root = resolve(import.meta.dirname, '..');
const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
// Inside the package (not under node_modules, which ends a package scope), so `import ... from 'kvmigrate'` resolves
// as it does in a user's app; .tmp/ is ignored by Git.
const dir = join(root, '.tmp/readme-examples');
mkdirSync(dir, { recursive: true });
const files = blocks.map((code, index) => {
  const file = join(dir, `example-${index}.ts`);
  writeFileSync(file, code);
  return file;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README examples', () => {
  it('there is at least the construct library example', () => expect(blocks.some((b) => b.includes("from 'kvmigrate'"))).toBe(true));

  it('every TypeScript block compiles under the project settings', () => {
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const program = ts.createProgram(files, { ...config.options, noEmit: true });
    const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file && files.includes(resolve(d.file.fileName)));
    expect(diagnostics.map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)).toEqual([]);
  }, 60_000);

  it('the library example synthesizes a receiver whose every volume has its blank DataVolume', () => {
    const file = files[blocks.findIndex((b) => b.includes('new DecentralizedMigration'))]!;
    const out = mkdtempSync(join(tmpdir(), 'kvmigrate-readme-out-'));
    try {
      execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, CDK8S_OUTDIR: out }, stdio: 'pipe' });
      const objects = readdirSync(out).flatMap((name) => documents(readFileSync(join(out, name), 'utf8')));
      const receiver = objects.find((o) => o.kind === 'VirtualMachine')!;
      const disks = objects.filter((o) => o.kind === 'DataVolume').map((d) => d.metadata.name);
      expect(receiver.spec.template.spec.volumes.map((v: { dataVolume?: { name: string } }) => v.dataVolume?.name)).toEqual(disks);
      // The migrations are the hook's to create, never objects in Git.
      expect(objects.map((o) => o.kind)).not.toContain('VirtualMachineInstanceMigration');
      expect(objects.find((o) => o.kind === 'Job')!.spec.template.spec.containers[0].args).toContain('10.0.0.5:9185');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
