import type { ConditionMatch, FieldPath, HealthStatus, KindHealth, Predicate } from './rules.ts';

// Renders a kind's health rules to a Flux `healthCheckExprs` entry. fluxcd/pkg `runtime/cel` `NewExpression` parses
// each expression without declarations and evaluates it with the object's top-level fields as variables, and
// `StatusEvaluator.Evaluate` tries `inProgress`, then `failed`, then `current`, InProgress when none is true.
// Every field below the top level is read behind `has()`, so a partial status never makes an expression fail: a
// failing expression is an error, which kstatus reports as Unknown until the timeout (the Flux trap the docs warn of).
// A top-level `status` cannot be tested with `has()` in CEL; an object without any status fails to evaluate and
// counts as not ready, which is what every rule says of it (Progressing).

/** Flux's kstatus result for each Argo CD health: only Healthy is ready and only Degraded has failed. */
const FLUX_STATUS: Readonly<Record<HealthStatus, FluxStatus>> = {
  Healthy: 'Current',
  Degraded: 'Failed',
  Progressing: 'InProgress',
  Suspended: 'InProgress',
  Missing: 'InProgress',
  Unknown: 'InProgress',
};

export type FluxStatus = 'Current' | 'Failed' | 'InProgress';

/** A `spec.healthCheckExprs` entry of a Kustomization (kustomize-controller `CustomHealthCheck`). */
export interface HealthCheckExpression {
  readonly apiVersion: string;
  readonly kind: string;
  /** Never emitted by kvmigrate (see {@link renderCel}); Flux evaluates it first when present. */
  readonly inProgress?: string;
  readonly failed: string;
  readonly current: string;
}

const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The CEL that reads `path`, and the `has()` tests that must hold first (none for the top-level variable). */
function access(path: FieldPath): { readonly guards: string[]; readonly value: string } {
  let value = path[0]!;
  const guards: string[] = [];
  for (const key of path.slice(1)) {
    if (IDENTIFIER.test(key)) {
      value = `${value}.${key}`;
      guards.push(`has(${value})`);
    } else {
      guards.push(`${quote(key)} in ${value}`);
      value = `${value}[${quote(key)}]`;
    }
  }
  return { guards, value };
}

const guarded = (path: FieldPath, test: (value: string) => string) => {
  const { guards, value } = access(path);
  return [...guards, test(value)].join(' && ');
};

function condition(match: ConditionMatch): string {
  const tests = [`has(c.type) && c.type == ${quote(match.type)}`];
  if (match.status !== undefined) tests.push(`has(c.status) && c.status == ${quote(match.status)}`);
  if (match.reason !== undefined) tests.push(`has(c.reason) && c.reason == ${quote(match.reason)}`);
  return `has(status.conditions) && status.conditions.exists(c, ${tests.join(' && ')})`;
}

function predicate(p: Predicate): string {
  if ('present' in p) {
    const { guards, value } = access(p.present);
    // A top-level field is there whenever the expression evaluates at all.
    return guards.length > 0 ? guards.join(' && ') : `${value} == ${value}`;
  }
  if ('equals' in p) return guarded(p.equals, (v) => `${v} == ${typeof p.value === 'string' ? quote(p.value) : String(p.value)}`);
  if ('oneOf' in p) return guarded(p.oneOf, (v) => `${v} in [${p.values.map(quote).join(', ')}]`);
  if ('condition' in p) return condition(p.condition);
  if ('all' in p) return p.all.map((q) => `(${predicate(q)})`).join(' && ');
  if ('any' in p) return p.any.map((q) => `(${predicate(q)})`).join(' || ');
  return `!(${predicate(p.not)})`;
}

/** The first rule that applies decides, as in the Lua script: one conditional chain yielding the Flux status. */
function statusChain(health: KindHealth): string {
  let chain = '';
  for (const rule of [...health.rules].reverse()) {
    const status = quote(FLUX_STATUS[rule.status]);
    chain = rule.when ? `(${predicate(rule.when)}) ? ${status} : ${chain}` : status;
  }
  return chain;
}

/**
 * The `healthCheckExprs` entry of one kind: each expression tests the chain's answer, so at most one is true. No
 * `inProgress`: `StatusEvaluator.Evaluate` answers InProgress when no expression is true, so it would only repeat the
 * chain, a third of every Kustomization's bytes in a fleet.
 */
export function renderCel(health: KindHealth): HealthCheckExpression {
  const chain = statusChain(health);
  const is = (status: FluxStatus) => `(${chain}) == ${quote(status)}`;
  return { apiVersion: `${health.group}/${health.version}`, kind: health.kind, failed: is('Failed'), current: is('Current') };
}

/** Flux's answer for an Argo CD health status. */
export function fluxStatusOf(status: HealthStatus): FluxStatus {
  return FLUX_STATUS[status];
}
