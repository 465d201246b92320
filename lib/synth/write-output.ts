import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RenderedFile } from './render.ts';

/**
 * Replaces `outdir` with exactly `files`, or leaves it untouched: the files are written to a sibling folder first,
 * which then takes the out dir's place by rename.
 */
export function replaceOutputDirectory(outdir: string, files: readonly RenderedFile[]): void {
  const target = resolve(outdir);
  const staging = `${target}.kvmigrate-new-${process.pid}`;
  const previous = `${target}.kvmigrate-old-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    mkdirSync(staging, { recursive: true });
    for (const file of files) {
      const path = join(staging, file.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.content);
    }
    const hadPrevious = existsSync(target);
    if (hadPrevious) renameSync(target, previous);
    renameSync(staging, target);
    if (hadPrevious) rmSync(previous, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
