import { renderLua } from '../health/lua.ts';
import { APPLICATION_HEALTH, HEALTH_RULES, type KindHealth } from '../health/rules.ts';

/** A resource kind whose Argo CD health check kvmigrate replaces. */
export interface HealthCheck {
  readonly group: string;
  readonly kind: string;
  /** The Lua script as Argo CD runs it, rendered from the health rules (lib/health/rules.ts). */
  readonly script: string;
}

/** Which checks: the four of kvmigrate's kinds, and with `applications` the one of `argoproj.io/Application`. */
export interface HealthCheckChoice {
  /** Add the Application check, which a parent Application needs to sync batches as waves (app of apps). */
  readonly applications?: boolean;
}

const render = (health: KindHealth): HealthCheck => ({ group: health.group, kind: health.kind, script: renderLua(health) });
let kinds: readonly HealthCheck[] | undefined;
let withApplications: readonly HealthCheck[] | undefined;

/**
 * The health checks: DataVolume, VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration, and with
 * `applications` Application.
 */
export function healthChecks(choice: HealthCheckChoice = {}): readonly HealthCheck[] {
  kinds ??= HEALTH_RULES.map(render);
  if (!choice.applications) return kinds;
  withApplications ??= [...kinds, render(APPLICATION_HEALTH)];
  return withApplications;
}

/** The `argocd-cm` key Argo CD reads a kind's custom health check from. */
export function healthCheckKey(check: Pick<HealthCheck, 'group' | 'kind'>): string {
  return `resource.customizations.health.${check.group}_${check.kind}`;
}

/** An `argocd-cm` ConfigMap fragment holding the checks, to merge into Argo CD's own. */
export function argocdConfigMap(namespace: string, choice: HealthCheckChoice = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'argocd-cm',
      namespace,
      labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' },
    },
    data: Object.fromEntries(healthChecks(choice).map((check) => [healthCheckKey(check), check.script])),
  };
}

/**
 * The same checks for the argocd-operator's ArgoCD resource, as a JSON patch that appends to
 * `spec.resourceHealthChecks` (a merge patch would replace the whole list, dropping the checks already there). With
 * `createList`, it first creates the list, for an ArgoCD resource that has none (appending to a missing list fails).
 */
export function argocdOperatorPatch(createList = false, choice: HealthCheckChoice = {}): Record<string, unknown>[] {
  const append = healthChecks(choice).map(({ group, kind, script }) => ({ op: 'add', path: '/spec/resourceHealthChecks/-', value: { group, kind, check: script } }));
  return createList ? [{ op: 'add', path: '/spec/resourceHealthChecks', value: [] }, ...append] : append;
}
