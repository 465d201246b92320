import { createHash } from 'node:crypto';

/** Kubernetes' limit for label values and DNS labels; we keep every generated name within it. */
export const MAX_NAME_LENGTH = 63;

/** The first `length` hex digits of the SHA-256 of `text`: short, stable, and different for different inputs. */
export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * `<base>-<suffix>` cut to 63 characters by shortening `base`, so the suffix (which says what the object is and
 * carries the distinguishing hash) always survives. The result is a valid DNS label when both parts are.
 */
export function boundedName(base: string, suffix: string, maxLength = MAX_NAME_LENGTH): string {
  const room = maxLength - suffix.length - 1;
  const head = base.slice(0, Math.max(room, 1)).replace(/[-.]+$/, '');
  return `${head}-${suffix}`;
}

/** Stable names of the two migration objects of one migration; a new migrationID gives new names. */
export function migrationObjectNames(vm: string, migrationID: string): { receive: string; send: string } {
  const hash = shortHash(migrationID);
  return { receive: boundedName(vm, `receive-${hash}`), send: boundedName(vm, `send-${hash}`) };
}
