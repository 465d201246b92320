import type { Json } from './synth.ts';

/** Grants that are never acceptable for the hook: wildcards and anything cluster-wide. */
export function rbacViolations(objects: readonly Json[]): string[] {
  const violations: string[] = [];
  for (const o of objects) {
    const where = `${o.kind} ${o.metadata?.namespace ?? '(cluster)'}/${o.metadata?.name}`;
    if (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') violations.push(`${where}: cluster-wide`);
    if (o.kind === 'Role') {
      for (const rule of o.rules ?? []) {
        for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'] as const) {
          if ((rule[field] ?? []).some((v: string) => v.includes('*'))) violations.push(`${where}: wildcard in ${field}`);
        }
        if (rule.nonResourceURLs) violations.push(`${where}: nonResourceURLs`);
      }
    }
    if (o.kind === 'RoleBinding' && o.roleRef?.kind === 'ClusterRole' && o.roleRef.name !== 'kubevirt.io:migrate') {
      violations.push(`${where}: binds ClusterRole ${o.roleRef.name}`);
    }
  }
  return violations;
}
