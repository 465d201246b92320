// Hostile and sloppy input, fuzzed (a bounded number here; `npm run fuzz` runs more): every case either synthesizes
// or exits 1 with diagnostics naming a file position or a field, never a stack trace, never a hang, and leaves the
// out dir untouched.
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../lib/cli/main.ts';
import { GENERATED_HEADER_PREFIX } from '../lib/synth/write-output.ts';
import { Workspace } from './support/builders.ts';
import { fuzzCase, fuzzFiles, type FuzzCase } from './support/fuzz.ts';

/** Runs one case; the outcome, or what is wrong with it. */
async function runCase(c: FuzzCase): Promise<{ code: number; problems: string[] }> {
  const workspace = new Workspace();
  const { config, manifest } = fuzzFiles(c);
  writeFileSync(workspace.path('migrations.yaml'), config);
  workspace.write('vms/web.yaml', manifest);
  workspace.write('dist/default/previous.k8s.yaml', `${GENERATED_HEADER_PREFIX}../migrations.yaml\nkind: Previous\n`);
  const before = workspace.files('dist');
  let stderr = '';
  const code = await main(['synth', '--config', workspace.path('migrations.yaml'), '--out', workspace.path('dist')], { stdout: () => {}, stderr: (t) => (stderr += t) });
  const problems: string[] = [];
  if (code !== 0 && code !== 1) problems.push(`exit ${code}: ${stderr.slice(0, 400)}`);
  if (/internal error|\n\s+at /.test(stderr)) problems.push(`stack trace: ${stderr.slice(0, 400)}`);
  if (code === 1) {
    if (JSON.stringify(workspace.files('dist')) !== JSON.stringify(before)) problems.push('the out dir changed on error');
    const errors = stderr.split('\n').filter((l) => /(^|: )error: /.test(l));
    if (errors.length === 0) problems.push(`exit 1 without an error line: ${stderr.slice(0, 400)}`);
    for (const line of errors) {
      if (!/^[^\s:]+\.yaml:\d+:\d+: error: /.test(line) && !/^[^\s:]+\.yaml: error: /.test(line) && !/^error: /.test(line)) problems.push(`unplaced: ${line.slice(0, 200)}`);
    }
  }
  return { code, problems };
}

describe('fuzzed configs and manifests', () => {
  it('every case synthesizes or fails cleanly, leaving the out dir as it was', async () => {
    const codes = { 0: 0, 1: 0 } as Record<number, number>;
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const { code, problems } = await runCase(c);
        codes[code] = (codes[code] ?? 0) + 1;
        expect(problems).toEqual([]);
      }),
      // A bounded number in the suite; `npm run fuzz` sets FUZZ_RUNS (and a random seed) for more.
      process.env.FUZZ_RUNS ? { numRuns: Number(process.env.FUZZ_RUNS) } : { numRuns: 120, seed: 20261130 },
    );
    if (process.env.FUZZ_RUNS) console.log(`fuzz: ${codes[0]} synthesized, ${codes[1]} refused with diagnostics, 0 problems`);
    // Both outcomes occur, so the generator reaches past the first check.
    expect(codes[0]).toBeGreaterThan(0);
    expect(codes[1]).toBeGreaterThan(0);
  }, 3_600_000);
});
