import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../synth/write-output.ts';

/**
 * Writes `text` to `path` through a hidden sibling and a rename: readers see the old file or the new, never half.
 * A symlink is followed (its target is written, the link stays), and an existing file keeps its mode.
 */
export function writeFileAtomically(path: string, text: string): void {
  const target = existsSync(path) && lstatSync(path).isSymbolicLink() ? realpathSync(path) : path;
  mkdirSync(dirname(target), { recursive: true });
  const staged = join(dirname(target), `.${basename(target)}.kvmigrate-${process.pid}`);
  try {
    writeFileSync(staged, text);
    if (existsSync(target)) chmodSync(staged, statSync(target).mode & 0o7777);
    renameSync(staged, target);
  } finally {
    // Nothing half-written stays behind: after a failed write or rename, the staged copy goes too.
    rmSync(staged, { force: true });
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function ownerAlive(lock: string): boolean {
  return processAlive(Number(readFileSync(lock, 'utf8').trim()));
}

/**
 * Runs `edit` holding an exclusive lock on `path` (a `<path>.kvmigrate-lock` file created with O_EXCL), so two
 * commands editing one config one after the other each see the other's change: none is lost. Waits up to
 * `timeoutMs` for another holder; a lock whose process is gone is taken over.
 */
export function withFileLock<T>(path: string, edit: () => T, timeoutMs = 10_000): T {
  const lock = `${path}.kvmigrate-lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (existsSync(lock) && !ownerAlive(lock)) rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`${path} is being edited by another kvmigrate (lock ${lock}); try again, or remove the lock if no kvmigrate runs`);
      else sleep(25);
    }
  }
  try {
    return edit();
  } finally {
    rmSync(lock, { force: true });
  }
}
