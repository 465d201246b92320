// One migration of one test VM, synthesized; and the messages of the errors a synthesis throws.
import { InputError } from '../../lib/diagnostics.ts';
import { migration, Workspace } from './builders.ts';
import { synth, type Json } from './synth.ts';

/** Synthesizes one migration of `machine` (plus extra manifest documents, entry fields and top-level config). */
export function compile(machine: Json, extra: { docs?: Json[]; entry?: Json; config?: Json } = {}) {
  const workspace = new Workspace();
  workspace.setup(
    { migrations: [migration(machine.metadata.name, extra.entry)], ...extra.config },
    { [machine.metadata.name]: [machine, ...(extra.docs ?? [])] },
  );
  return synth(workspace);
}

/** The error messages `run` throws (every one of them), or [] when it compiles. */
export function messagesOf(run: () => unknown): string[] {
  try {
    run();
    return [];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return error.diagnostics.map((d) => d.message);
  }
}

/** The errors compiling `machine` gives. */
export const errorsOf = (machine: Json, extra: { docs?: Json[]; entry?: Json; config?: Json } = {}) => messagesOf(() => compile(machine, extra));
