import { join } from 'node:path';
import { synthesize, type SynthesisResult } from '../../lib/synth/synthesize.ts';
import { documents, type Workspace } from './builders.ts';

export type Json = Record<string, any>;

/** Synthesizes a workspace's migrations.yaml into its `dist/` and returns the result with every object. */
export function synth(workspace: Workspace, config = 'migrations.yaml'): SynthesisResult & { objects: Json[]; byPath: Record<string, Json[]> } {
  const result = synthesize({ configPath: workspace.path(config), outdir: join(workspace.dir, 'dist') });
  const byPath = Object.fromEntries(result.files.map((f) => [f.path, documents(f.content)]));
  return { ...result, objects: Object.values(byPath).flat(), byPath };
}

export function ofKind(objects: readonly Json[], kind: string): Json[] {
  return objects.filter((o) => o.kind === kind);
}

/** The one object of `kind` (throws when there is not exactly one). */
export function only(objects: readonly Json[], kind: string): Json {
  const found = ofKind(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
}
