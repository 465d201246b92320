import { createHash } from 'node:crypto';

/** Namespace UUID for kvmigrate's name-based (version 5) migration IDs. */
const KVMIGRATE_NAMESPACE = Buffer.from('6f1c2a4e9b3d4c5e8a7f0b1c2d3e4f50', 'hex');

/** RFC 4122 version-5 UUID of `name` in kvmigrate's namespace. */
function uuidV5(name: string): string {
  const bytes = createHash('sha1').update(KVMIGRATE_NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface MigrationIdentity {
  readonly vm: string;
  readonly source: { readonly cluster: string; readonly namespace: string };
  readonly destination: { readonly cluster: string; readonly namespace: string };
  readonly attempt: number;
}

/**
 * The default migrationID: a UUID derived from what identifies the move and its attempt, so re-synthesis never
 * changes it (KubeVirt rejects any change to a migration's spec) and a new attempt always does.
 */
export function deriveMigrationId(identity: MigrationIdentity): string {
  const { vm, source, destination, attempt } = identity;
  return uuidV5(`${vm}|${source.cluster}/${source.namespace}|${destination.cluster}/${destination.namespace}|${attempt}`);
}
