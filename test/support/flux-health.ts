import { parse } from '@marcbachmann/cel-js';
import type { FluxStatus, HealthCheckExpression } from '../../lib/health/cel.ts';

export type KstatusResult = FluxStatus | 'Unknown';

type Json = Record<string, any>;
const compiled = new Map<string, ReturnType<typeof parse>>();

/**
 * Flux's health of a custom resource from its `healthCheckExprs` entry (fluxcd/pkg `runtime/cel`
 * `StatusEvaluator.Evaluate`): InProgress while `status.observedGeneration` differs from `metadata.generation`; then
 * `inProgress`, `failed`, `current` in that order, the first true one decides; InProgress when none is. The object's
 * top-level fields are the variables (`NewExpression` without declarations). An expression that fails to evaluate
 * is an error, which the generic status reader reports as Unknown (not ready, not failed).
 */
export function fluxHealth(entry: HealthCheckExpression, object: Json): KstatusResult {
  const observed = object.status?.observedGeneration;
  const generation = object.metadata?.generation;
  if (Number.isInteger(observed) && Number.isInteger(generation) && observed !== generation) return 'InProgress';
  const steps: [string | undefined, FluxStatus][] = [
    [entry.inProgress, 'InProgress'],
    [entry.failed, 'Failed'],
    [entry.current, 'Current'],
  ];
  for (const [expression, status] of steps) {
    if (expression === undefined) continue;
    let program = compiled.get(expression);
    if (!program) compiled.set(expression, (program = parse(expression)));
    try {
      if (program(object) === true) return status;
    } catch {
      return 'Unknown';
    }
  }
  return 'InProgress';
}
