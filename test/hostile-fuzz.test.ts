// The hostile-input generator (support/hostile-generator.ts), run through the compiler in-process: every case ends in
// a clean error or in output a cluster accepts (the CRD schemas, KubeVirt's rules in semantic-checks.ts, apimachinery's
// name, label and annotation rules); none in a stack trace, a hang or invalid output. The suite runs a few hundred
// cases with a fixed seed; `npm run fuzz` runs HOSTILE_RUNS (default 5,200) from HOSTILE_SEED.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../lib/diagnostics.ts';
import { annotationBytes, isDnsSubdomain, labelValueErrors, qualifiedNameErrors, TOTAL_ANNOTATION_BYTES } from '../lib/kubernetes/validation.ts';
import { synthesize } from '../lib/synth/synthesize.ts';
import { documents } from './support/builders.ts';
import { crdErrors, crdValidators, hasCrd } from './support/crds.ts';
import { hostileCase, type HostileCase } from './support/hostile-generator.ts';
import { semanticErrors } from './support/semantic-checks.ts';

type Outcome = 'clean error' | 'valid output' | 'stack' | 'hang' | 'invalid output';

/**
 * A case that takes more CPU time than this counts as a hang: synthesis is synchronous, so the bound is measured, not
 * enforced; CPU time, because wall time on a shared machine measures the neighbours too.
 */
const CASE_BOUND_MS = 20_000;

/** What apimachinery's ValidateObjectMetaAccessor would refuse in an object's name, labels and annotations. */
function metadataErrors(metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> } | undefined, where: string): string[] {
  const errors: string[] = [];
  if (metadata?.name !== undefined && !isDnsSubdomain(metadata.name)) errors.push(`${where}: name "${metadata.name}"`);
  for (const [key, value] of Object.entries(metadata?.labels ?? {})) {
    if (qualifiedNameErrors(key).length + labelValueErrors(String(value)).length > 0) errors.push(`${where}: label ${JSON.stringify(key).slice(0, 80)}`);
  }
  for (const key of Object.keys(metadata?.annotations ?? {})) {
    if (qualifiedNameErrors(key.toLowerCase()).length > 0) errors.push(`${where}: annotation ${JSON.stringify(key).slice(0, 80)}`);
  }
  if (annotationBytes(metadata?.annotations ?? {}) > TOTAL_ANNOTATION_BYTES) errors.push(`${where}: annotations too large`);
  return errors;
}

/** Why the emitted objects would be refused by a cluster; [] when none would. */
function outputErrors(files: readonly { content: string }[]): string[] {
  return files.flatMap((file) =>
    documents(file.content).flatMap((object) => {
      const where = `${object.kind} ${object.metadata?.name}`;
      return [
        ...(hasCrd(object) ? crdErrors(object as any) : []),
        ...(hasCrd(object) && object.apiVersion !== 'argoproj.io/v1alpha1' ? semanticErrors(object as any) : []),
        ...metadataErrors(object.metadata, where),
        ...metadataErrors(object.spec?.template?.metadata, `${where} spec.template`),
      ];
    }),
  );
}

/** Runs one case in a folder of its own, removed afterwards. */
function runCase(c: HostileCase): { outcome: Outcome; detail: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kvmigrate-hostile-'));
  try {
    mkdirSync(join(dir, 'vms'));
    writeFileSync(join(dir, 'migrations.yaml'), c.config);
    writeFileSync(join(dir, 'vms/web.yaml'), c.manifest);
    const started = process.cpuUsage();
    let outcome: { outcome: Outcome; detail: string };
    try {
      const result = synthesize({ configPath: join(dir, 'migrations.yaml'), outdir: join(dir, 'dist') });
      const errors = outputErrors(result.files);
      outcome = errors.length === 0 ? { outcome: 'valid output', detail: '' } : { outcome: 'invalid output', detail: errors.slice(0, 3).join('; ') };
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const clean = error instanceof InputError && !/Maximum call stack|internal error/.test(text);
      outcome = clean ? { outcome: 'clean error', detail: '' } : { outcome: 'stack', detail: (error instanceof Error ? (error.stack ?? text) : text).slice(0, 600) };
    }
    const used = process.cpuUsage(started);
    const elapsed = Math.round((used.user + used.system) / 1000);
    return elapsed > CASE_BOUND_MS ? { outcome: 'hang', detail: `${elapsed} ms of CPU` } : outcome;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!crdValidators)('hostile configs and manifests, generated', () => {
  it('every case is a clean error or valid output', () => {
    const runs = Number(process.env.HOSTILE_RUNS ?? 200);
    const seed = Number(process.env.HOSTILE_SEED ?? 20261204);
    const counts: Record<Outcome, number> = { 'clean error': 0, 'valid output': 0, stack: 0, hang: 0, 'invalid output': 0 };
    const failures: string[] = [];
    for (let i = 0; i < runs; i++) {
      const c = hostileCase(seed + i);
      const { outcome, detail } = runCase(c);
      counts[outcome]++;
      if (outcome !== 'clean error' && outcome !== 'valid output') failures.push(`seed ${c.seed} (${c.mutations.join(', ')}): ${outcome}: ${detail}`);
    }
    if (process.env.HOSTILE_RUNS) console.log(`hostile: ${runs} cases from seed ${seed}: ${JSON.stringify(counts)}`);
    expect(failures.slice(0, 10)).toEqual([]);
    // Both outcomes occur: the generator reaches past the first check, and not every mutation is harmless.
    expect(counts['clean error']).toBeGreaterThan(runs / 10);
    expect(counts['valid output']).toBeGreaterThan(runs / 10);
  }, 3_600_000);
});
