import { renderLua } from '../health/lua.ts';
import { HEALTH_RULES } from '../health/rules.ts';

/** A resource kind whose Argo CD health check kvmigrate replaces. */
export interface HealthCheck {
  readonly group: string;
  readonly kind: string;
  /** The Lua script as Argo CD runs it, rendered from the health rules (lib/health/rules.ts). */
  readonly script: string;
}

let cached: readonly HealthCheck[] | undefined;

/** The four health checks: DataVolume, VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration. */
export function healthChecks(): readonly HealthCheck[] {
  cached ??= HEALTH_RULES.map((health) => ({ group: health.group, kind: health.kind, script: renderLua(health) }));
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

/**
 * The same checks for the argocd-operator's ArgoCD resource, as a JSON patch that appends to
 * `spec.resourceHealthChecks` (a merge patch would replace the whole list, dropping the checks already there). With
 * `createList`, it first creates the list, for an ArgoCD resource that has none (appending to a missing list fails).
 */
export function argocdOperatorPatch(createList = false): Record<string, unknown>[] {
  const append = healthChecks().map(({ group, kind, script }) => ({ op: 'add', path: '/spec/resourceHealthChecks/-', value: { group, kind, check: script } }));
  return createList ? [{ op: 'add', path: '/spec/resourceHealthChecks', value: [] }, ...append] : append;
}
