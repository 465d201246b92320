import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { StepLog } from './step-log.ts';

/**
 * Watches collections (API paths) and calls `onChange` on every event, reconnecting when a stream ends or fails:
 * from the last resourceVersion seen, or afresh after 410 Gone. API servers end watches every few minutes, so
 * reconnecting is the normal case, not an error.
 */
export class ResourceWatch {
  private readonly controllers = new Map<string, AbortController>();
  private readonly versions = new Map<string, string>();
  private stopped = false;

  public constructor(
    private readonly config: KubeConfig,
    private readonly paths: readonly string[],
    private readonly onChange: () => void,
    private readonly log: StepLog,
    private readonly reconnectMs = 1000,
  ) {}

  public async start(): Promise<void> {
    await Promise.all(this.paths.map((path) => this.open(path)));
  }

  public stop(): void {
    this.stopped = true;
    for (const controller of this.controllers.values()) controller.abort();
    this.controllers.clear();
  }

  private async open(path: string): Promise<void> {
    if (this.stopped) return;
    const resourceVersion = this.versions.get(path);
    try {
      const controller = await new Watch(this.config).watch(
        path,
        resourceVersion ? { resourceVersion, allowWatchBookmarks: true } : { allowWatchBookmarks: true },
        (type, object: { metadata?: { resourceVersion?: string }; code?: number }) => {
          if (type === 'ERROR') {
            // 410 Gone: the version is too old; start over with a fresh list.
            if (object.code === 410) this.versions.delete(path);
            return;
          }
          if (object.metadata?.resourceVersion) this.versions.set(path, object.metadata.resourceVersion);
          if (type !== 'BOOKMARK') this.onChange();
        },
        (error: unknown) => this.reconnect(path, error),
      );
      if (this.stopped) controller.abort();
      else this.controllers.set(path, controller);
    } catch (error) {
      this.reconnect(path, error);
    }
  }

  private reconnect(path: string, error: unknown): void {
    this.controllers.delete(path);
    if (this.stopped) return;
    if (error) this.log.info('watch', `${path}: ${error instanceof Error ? error.message : String(error)}; reconnecting`);
    setTimeout(() => void this.open(path), this.reconnectMs);
    // Something may have changed while the stream was down.
    this.onChange();
  }
}
