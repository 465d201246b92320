import { classify, describeFailure } from './api-errors.ts';
import { ClusterFailure } from './cluster-failure.ts';
import { UnexpectedAnswer } from './http-transport.ts';
import type { StepLog } from './step-log.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A point in time after which waiting stops. */
export class Deadline {
  private readonly end: number;

  public constructor(public readonly seconds: number) {
    this.end = Date.now() + seconds * 1000;
  }

  public get remainingMs(): number {
    return Math.max(0, this.end - Date.now());
  }

  public get expired(): boolean {
    return this.remainingMs === 0;
  }
}

/** How API calls are retried: transient failures back off from `pollMs` up to 5 s, until the deadline. */
export interface CallContext {
  readonly log: StepLog;
  readonly deadline: Deadline;
  readonly pollMs: number;
}

/**
 * Runs one API call. Transient failures (5xx, 429, timeouts, refused connections) are retried with backoff until the
 * deadline; 404 gives undefined; 409 is thrown for the caller to handle; any other failure ends the run.
 */
export async function call<T>(context: CallContext, what: string, request: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const kind = classify(error);
      if (kind === 'not-found') return undefined;
      if (kind === 'conflict') throw error;
      if (kind === 'fatal') throw new ClusterFailure(`${what}: ${describeFailure(error)}`);
      if (kind === 'not-kubernetes') {
        if (error instanceof UnexpectedAnswer) throw new ClusterFailure(`${what}: ${error.message}`, 'not-kubernetes');
        throw new ClusterFailure(`${what}: ${describeFailure(error)} without a Kubernetes Status: the server is not a Kubernetes API (a proxy, or a wrong URL in the kubeconfig?)`, 'not-kubernetes');
      }
      // Nobody listens there: two quick, quiet tries for a restarting server, then one line, not minutes of retries.
      if (kind === 'unreachable' && attempt >= 2) {
        throw new ClusterFailure(`${what}: cannot reach the API server (${describeFailure(error)}); check the kubeconfig's server and context`, 'unreachable');
      }
      const backoff = kind === 'unreachable' ? Math.min(context.pollMs, 500) : Math.min(context.pollMs * 2 ** attempt, 5000);
      if (context.deadline.remainingMs < backoff) throw new ClusterFailure(`${what}: ${describeFailure(error)}; gave up after ${context.deadline.seconds}s`);
      if (kind !== 'unreachable') context.log.info('retry', `${what}: ${describeFailure(error)}; retrying in ${backoff}ms`);
      await sleep(backoff);
    }
  }
}
