import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Environment variable naming the directory of the shared CustomResourceDefinitions. */
export const CRD_DIRECTORY_ENV = 'KVMIGRATE_CRDS';

/**
 * Where the shared CRDs (KubeVirt, CDI, Argo CD) live: `$KVMIGRATE_CRDS`, else `../shared/crds` beside the project.
 * They are never copied into the project; undefined when neither exists.
 */
export function crdDirectory(): string | undefined {
  const fromEnv = process.env[CRD_DIRECTORY_ENV];
  const candidate = fromEnv ? resolve(fromEnv) : resolve(import.meta.dirname, '../../shared/crds');
  return existsSync(candidate) ? candidate : undefined;
}
