import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { displayPath } from '../config/load-config.ts';
import { InputError } from '../diagnostics.ts';
import { processAlive } from '../synth/write-output.ts';

/**
 * Writes `text` to `path` through a hidden sibling and a rename: readers see the old file or the new, never half.
 * A symlink is followed (its target is written, the link stays), and an existing file keeps its mode. A hard-linked
 * file is rewritten in place (after a verified copy beside it), so it stays one file under all its names.
 */
export function writeFileAtomically(path: string, text: string): void {
  const target = existsSync(path) && lstatSync(path).isSymbolicLink() ? realpathSync(path) : path;
  mkdirSync(dirname(target), { recursive: true });
  const staged = join(dirname(target), `.${basename(target)}.kvmigrate-${process.pid}`);
  try {
    writeFileSync(staged, text);
    const existing = existsSync(target) ? statSync(target) : undefined;
    if (existing && existing.nlink > 1) {
      // Hard-linked: a rename would split the links. The staged copy, read back whole, makes the in-place write safe
      // to repeat; only then is the file itself rewritten, keeping its inode and so every link.
      if (readFileSync(staged, 'utf8') !== text) throw new Error(`${staged}: the copy read back differs from what was written`);
      writeFileSync(target, text);
      return;
    }
    if (existing) chmodSync(staged, existing.mode & 0o7777);
    renameSync(staged, target);
  } finally {
    // Nothing half-written stays behind: after a failed write or rename, the staged copy goes too.
    rmSync(staged, { force: true });
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The pid a lock file names (it is whole: it is linked into place only once written), or undefined when gone. */
function lockOwner(lock: string): number | undefined {
  try {
    return Number(readFileSync(lock, 'utf8').trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Takes `lock` atomically: the pid is written to a file of this process first and then hard-linked into place, so the
 * lock file is never seen empty or half-written (an O_EXCL create is empty until its pid is written, and another
 * process took that for a dead owner's lock). True when taken.
 */
function tryLock(lock: string): boolean {
  const staged = `${lock}.${process.pid}`;
  writeFileSync(staged, String(process.pid));
  try {
    linkSync(staged, lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    rmSync(staged, { force: true });
  }
}

/** Removes a lock whose owner is gone. The lock is renamed away first, so two processes cannot both remove it. */
function breakStaleLock(lock: string, owner: number): void {
  const grave = `${lock}.stale-${process.pid}`;
  try {
    renameSync(lock, grave);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  // Between reading the owner and the rename, another process may have broken the lock and taken it: give it back.
  if (lockOwner(grave) !== owner) linkSync(grave, lock);
  rmSync(grave, { force: true });
}

/**
 * Runs `edit` holding an exclusive lock on `path` (a `<path>.kvmigrate-lock` file naming its process), so two
 * commands editing one config one after the other each see the other's change: none is lost. `edit` must read the
 * file itself, under the lock. Waits up to `timeoutMs` for another holder; a lock whose process is gone is taken over.
 */
export function withFileLock<T>(path: string, edit: () => T, timeoutMs = 10_000): T {
  const lock = `${path}.kvmigrate-lock`;
  const deadline = Date.now() + timeoutMs;
  while (!tryLock(lock)) {
    const owner = lockOwner(lock);
    if (owner !== undefined && !processAlive(owner)) breakStaleLock(lock, owner);
    else if (Date.now() > deadline) {
      throw new InputError([
        {
          severity: 'error',
          message: `another kvmigrate (process ${owner ?? 'gone'}) has been editing this file for over ${timeoutMs / 1000}s (lock ${displayPath(lock)}); nothing was changed`,
          location: { file: displayPath(path) },
          hint: 'try again; remove the lock file only if no kvmigrate runs',
        },
      ]);
    } else sleep(10 + Math.floor(Math.random() * 20));
  }
  try {
    return edit();
  } finally {
    rmSync(lock, { force: true });
  }
}
