import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes `text` to `path` through a hidden sibling and a rename: readers see the old file or the new, never half. */
export function writeFileAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const staged = join(dirname(path), `.${basename(path)}.kvmigrate-${process.pid}`);
  writeFileSync(staged, text);
  renameSync(staged, path);
}
