import type { RequestOptions } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { isJson, MAX_OBJECT_BYTES, origin, refuseRedirect, send, UnexpectedAnswer } from './http-transport.ts';
import type { StepLog } from './step-log.ts';

/** How a {@link ResourceWatch} waits. */
export interface WatchTiming {
  /** How long opening a stream may take (until the server's answer starts), like any other request. */
  readonly openTimeoutMs: number;
  /** Pause before reconnecting a stream that ended or failed. */
  readonly reconnectMs?: number;
}

/**
 * Watches collections (API paths) and calls `onChange` on every event, reconnecting when a stream ends or fails:
 * from the last resourceVersion seen, or afresh after 410 Gone. API servers end watches every few minutes, so
 * reconnecting is the normal case, not an error. Streams go through the same HTTP layer as every other call: no
 * redirects, a JSON answer, an event at most as large as an object; and opening one times out like a request.
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
    private readonly timing: WatchTiming,
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
    const url = new URL(`${this.config.getCurrentCluster()?.server ?? ''}${path}`);
    url.searchParams.set('watch', 'true');
    url.searchParams.set('allowWatchBookmarks', 'true');
    const resourceVersion = this.versions.get(path);
    if (resourceVersion) url.searchParams.set('resourceVersion', resourceVersion);
    const controller = new AbortController();
    this.controllers.set(path, controller);
    const opening = setTimeout(() => controller.abort(new Error(`no answer within ${this.timing.openTimeoutMs / 1000}s`)), this.timing.openTimeoutMs);
    try {
      const options: RequestOptions = {};
      await this.config.applyToHTTPSOptions(options);
      const response = await send(url, { ...options, method: 'GET', signal: controller.signal });
      clearTimeout(opening);
      refuseRedirect(response, url);
      if (response.statusCode !== 200 || !isJson(response.headers['content-type'])) {
        response.destroy();
        throw new UnexpectedAnswer(`${origin(url)} answered the watch with ${response.statusCode} ${response.headers['content-type'] ?? ''}`.trim());
      }
      let pending = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) this.event(path, line);
        if (pending.length > MAX_OBJECT_BYTES) response.destroy(new UnexpectedAnswer(`${origin(url)} sent a watch event of more than ${MAX_OBJECT_BYTES / 1024 / 1024} MiB`));
      });
      response.on('end', () => this.reconnect(path, controller, undefined));
      response.on('error', (error) => this.reconnect(path, controller, error));
    } catch (error) {
      clearTimeout(opening);
      this.reconnect(path, controller, controller.signal.aborted && !this.stopped ? controller.signal.reason : error);
    }
  }

  private event(path: string, line: string): void {
    let event: { type?: string; object?: { metadata?: { resourceVersion?: string }; code?: number } };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    const object = event.object ?? {};
    if (event.type === 'ERROR') {
      // 410 Gone: the version is too old; start over with a fresh list.
      if (object.code === 410) this.versions.delete(path);
      return;
    }
    if (typeof object.metadata?.resourceVersion === 'string') this.versions.set(path, object.metadata.resourceVersion);
    if (event.type !== 'BOOKMARK') this.onChange();
  }

  private reconnect(path: string, controller: AbortController, error: unknown): void {
    // Only once per stream, and not after stop().
    if (this.controllers.get(path) !== controller) return;
    this.controllers.delete(path);
    if (this.stopped) return;
    if (error) this.log.info('watch', `${path}: ${error instanceof Error ? error.message : String(error)}; reconnecting`);
    setTimeout(() => void this.open(path), this.timing.reconnectMs ?? 1000);
    // Something may have changed while the stream was down.
    this.onChange();
  }
}
