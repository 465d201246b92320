import { classify, describeFailure } from './api-errors.ts';
import type { HookLog } from './hook-log.ts';
import type { KubeClients } from './kube-clients.ts';

/** A failure that ends the run with a message (exit 1), as opposed to a bug. */
export class ClusterFailure extends Error {}

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
  readonly log: HookLog;
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
      const backoff = Math.min(context.pollMs * 2 ** attempt, 5000);
      if (context.deadline.remainingMs < backoff) throw new ClusterFailure(`${what}: ${describeFailure(error)}; gave up after ${context.deadline.seconds}s`);
      context.log.info('retry', `${what}: ${describeFailure(error)}; retrying in ${backoff}ms`);
      await sleep(backoff);
    }
  }
}

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: any;
  status?: any;
};

const KUBEVIRT = { group: 'kubevirt.io', version: 'v1' };

/** Typed shortcuts for the objects kvmigrate reads and writes. */
export class KubeVirtApi {
  public constructor(private readonly clients: KubeClients) {}

  public get server(): string {
    return this.clients.server;
  }

  public getMigration(namespace: string, name: string): Promise<KubeObject> {
    return this.clients.custom.getNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstancemigrations', name }, this.clients.options);
  }

  public async listMigrations(namespace: string): Promise<KubeObject[]> {
    const list = await this.clients.custom.listNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstancemigrations' }, this.clients.options);
    return (list as { items?: KubeObject[] }).items ?? [];
  }

  public createMigration(namespace: string, body: KubeObject): Promise<KubeObject> {
    return this.clients.custom.createNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstancemigrations', body }, this.clients.options);
  }

  public getInstance(namespace: string, name: string): Promise<KubeObject> {
    return this.clients.custom.getNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstances', name }, this.clients.options);
  }

  public async listKubeVirts(namespace: string): Promise<KubeObject[]> {
    const list = await this.clients.custom.listNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'kubevirts' }, this.clients.options);
    return (list as { items?: KubeObject[] }).items ?? [];
  }

  public getLease(namespace: string, name: string) {
    return this.clients.coordination.readNamespacedLease({ namespace, name }, this.clients.options);
  }

  public getPod(namespace: string, name: string) {
    return this.clients.core.readNamespacedPod({ namespace, name }, this.clients.options);
  }
}
