import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A resource kind whose Argo CD health check kvmigrate replaces. */
export interface HealthCheck {
  readonly group: string;
  readonly kind: string;
  /** The Lua script as Argo CD runs it (includes resolved). */
  readonly script: string;
}

const HEALTH_DIR = join(import.meta.dirname, 'health');
const KINDS = [
  ['cdi.kubevirt.io', 'DataVolume'],
  ['kubevirt.io', 'VirtualMachine'],
  ['kubevirt.io', 'VirtualMachineInstance'],
  ['kubevirt.io', 'VirtualMachineInstanceMigration'],
] as const;

/** Reads a script, replacing each `--#include file.lua` line by that file: one argocd-cm key cannot import another. */
function loadScript(path: string): string {
  return readFileSync(path, 'utf8').replace(/^--#include (\S+)$/gm, (_, file: string) => readFileSync(join(HEALTH_DIR, file), 'utf8').trimEnd());
}

let cached: readonly HealthCheck[] | undefined;

/** The four health checks: DataVolume, VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration. */
export function healthChecks(): readonly HealthCheck[] {
  cached ??= KINDS.map(([group, kind]) => ({ group, kind, script: loadScript(join(HEALTH_DIR, group, kind, 'health.lua')) }));
  return cached;
}

/** The `argocd-cm` key Argo CD reads a kind's custom health check from. */
export function healthCheckKey(check: Pick<HealthCheck, 'group' | 'kind'>): string {
  return `resource.customizations.health.${check.group}_${check.kind}`;
}

/** An `argocd-cm` ConfigMap fragment holding the four checks, to merge into Argo CD's own. */
export function argocdConfigMap(namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'argocd-cm',
      namespace,
      labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' },
    },
    data: Object.fromEntries(healthChecks().map((check) => [healthCheckKey(check), check.script])),
  };
}

/** The same checks for the argocd-operator's ArgoCD resource (`spec.resourceHealthChecks`), as a merge patch. */
export function argocdOperatorPatch(): Record<string, unknown> {
  return { spec: { resourceHealthChecks: healthChecks().map(({ group, kind, script }) => ({ group, kind, check: script })) } };
}
