import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createGunzip, createInflate } from 'node:zlib';
import { Observable, ResponseContext, type HttpLibrary, type RequestContext } from '@kubernetes/client-node';

/**
 * Past these, an answer is refused, decompressed size counted: a hostile or broken server must not take the hook's Job
 * (256Mi) or a laptop down. An object is at most ~1.5 MiB in etcd (its default request limit), so 8 MiB is
 * generous; a list of a namespace's VMs or migrations, or of a cluster's nodes, far below 64 MiB.
 */
export const MAX_OBJECT_BYTES = 8 * 1024 * 1024;
export const MAX_LIST_BYTES = 64 * 1024 * 1024;

/**
 * An answer that no Kubernetes API server gives: a redirect, a body that is not JSON, too large, or not the object
 * asked for. Final (retrying the same server will not make it a Kubernetes API), and named after the server.
 */
export class UnexpectedAnswer extends Error {
  public override readonly name = 'UnexpectedAnswer';
}

export function origin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** A collection (list) path: `/api/v1/.../<plural>` or `/apis/<group>/<version>/.../<plural>`, no name after it. */
function pathParts(url: URL): { apiVersion: string; plural: string; named: boolean; subresource: boolean } | undefined {
  const match = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(?:\/namespaces\/[^/]+)?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(url.pathname);
  if (!match) return undefined;
  const [, core, grouped, plural, name, subresource] = match;
  // `/api/v1/namespaces/<name>` is the Namespace itself.
  if (core && plural === 'namespaces' && name === undefined && /^\/api\/v1\/namespaces\/[^/]+$/.test(url.pathname)) return { apiVersion: 'v1', plural, named: true, subresource: false };
  return { apiVersion: core ?? grouped!, plural: plural!, named: name !== undefined, subresource: subresource !== undefined };
}

/** Whether `kind` is the kind a REST path's `plural` serves (KubeVirt, CDI, core: lowercase kind + s or es). */
function kindServes(kind: string, plural: string): boolean {
  const lower = kind.toLowerCase();
  const bare = plural.replace(/-/g, '');
  return bare === `${lower}s` || bare === `${lower}es`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What is wrong with a successful answer's JSON for the request, or undefined: every object is a JSON object with
 * `kind` and `apiVersion` those of the path, and `metadata`, `spec` and `status` objects when present; a list has
 * `items`, each an object. Subresources (a TokenRequest) are checked for their shape only.
 */
export function answerFault(url: URL, method: string, body: unknown): string | undefined {
  if (!isObject(body)) return `a JSON ${Array.isArray(body) ? 'array' : typeof body}, not a Kubernetes object`;
  const { kind, apiVersion } = body;
  // The core group's discovery document (GET /api/v1) is the one answer kube-apiserver sends without an apiVersion.
  if (kind === 'APIResourceList' && apiVersion === undefined && url.pathname === '/api/v1') return Array.isArray(body.resources) ? undefined : 'an APIResourceList without resources';
  if (typeof kind !== 'string' || typeof apiVersion !== 'string') return 'an object without kind and apiVersion';
  for (const field of ['metadata', 'spec', 'status'] as const) {
    if (body[field] !== undefined && !isObject(body[field])) return `${kind} whose ${field} is not an object`;
  }
  const parts = pathParts(url);
  if (!parts || parts.subresource || kind === 'Status') return undefined;
  const list = method === 'GET' && !parts.named;
  const expected = list ? `a list of ${parts.plural}` : parts.plural;
  if (apiVersion !== parts.apiVersion || !(list ? kind.endsWith('List') && kindServes(kind.slice(0, -4), parts.plural) : kindServes(kind, parts.plural))) {
    return `${apiVersion} ${kind}, not ${expected} (${parts.apiVersion})`;
  }
  if (list && (!Array.isArray(body.items) || !body.items.every(isObject))) return `${kind} whose items are not a list of objects`;
  return undefined;
}

/** Reads a response body whole, decompressed, failing past `limit` bytes. */
function readBody(response: IncomingMessage, limit: number, where: string): Promise<Buffer> {
  const encoding = String(response.headers['content-encoding'] ?? '').toLowerCase();
  const stream = encoding === 'gzip' ? response.pipe(createGunzip()) : encoding === 'deflate' ? response.pipe(createInflate()) : response;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        response.destroy();
        reject(new UnexpectedAnswer(`${where} answered with more than ${limit / 1024 / 1024} MiB${encoding ? ` (${encoding}, decompressed)` : ''}; kvmigrate reads no more`));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
    response.on('error', reject);
  });
}

/** Sends one request through the agent the kubeconfig made (TLS, client certificates), following no redirect. */
export function send(url: URL, options: RequestOptions & { body?: string | Buffer }): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const { body, ...rest } = options;
    // Node frames no body of a DELETE by default (no chunked encoding for it): without a length the server would
    // read the DeleteOptions as the next request.
    const headers = body === undefined ? rest.headers : { ...rest.headers, 'Content-Length': String(Buffer.byteLength(body)) };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { ...rest, headers }, resolve);
    request.on('error', reject);
    request.end(body);
  });
}

/** Fails on a redirect: client-go follows none, and following one would send the credentials elsewhere. */
export function refuseRedirect(response: IncomingMessage, url: URL): void {
  if (response.statusCode !== undefined && response.statusCode >= 300 && response.statusCode < 400) {
    response.destroy();
    throw new UnexpectedAnswer(`${origin(url)} answered ${response.statusCode} redirecting to ${JSON.stringify(response.headers.location ?? '')}; kvmigrate follows no redirect (nor does kubectl): point the kubeconfig at the API server itself`);
  }
}

/** Whether a content type is JSON, the only answer kvmigrate asks the API server for. */
export function isJson(contentType: string | undefined): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType ?? '');
}

/**
 * The HTTP layer of every API call: Node's own http(s) with the kubeconfig's agent, the request's abort signal (the
 * per-request timeout), no redirects, bounded bodies, and a successful answer checked to be the JSON object the path
 * serves before the client library reads a field of it.
 */
export class CheckedHttpLibrary implements HttpLibrary {
  public send(context: RequestContext): Observable<ResponseContext> {
    return new Observable(this.exchange(context));
  }

  private async exchange(context: RequestContext): Promise<ResponseContext> {
    const url = new URL(context.getUrl());
    const method = context.getHttpMethod().toString();
    const body = context.getBody();
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) throw new Error(`kvmigrate sends JSON bodies only (got ${typeof body})`);
    const response = await send(url, { method, headers: context.getHeaders(), agent: context.getAgent(), signal: context.getSignal(), body });
    refuseRedirect(response, url);
    const parts = pathParts(url);
    const where = origin(url);
    const text = (await readBody(response, method === 'GET' && parts && !parts.named ? MAX_LIST_BYTES : MAX_OBJECT_BYTES, where)).toString('utf8');
    const status = response.statusCode ?? 0;
    const contentType = response.headers['content-type'];
    if (status >= 200 && status < 300) {
      if (!isJson(contentType)) throw new UnexpectedAnswer(`${where} answered ${method} ${url.pathname} with ${status} and ${contentType ? JSON.stringify(contentType) : 'no content type'}, not JSON: not a Kubernetes API (a proxy's page, or a wrong URL in the kubeconfig?)`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Left to the client, which fails to parse it as well: a body cut short by a proxy is worth a retry.
        parsed = undefined;
      }
      const fault = parsed === undefined ? undefined : answerFault(url, method, parsed);
      if (fault) throw new UnexpectedAnswer(`${where} answered ${method} ${url.pathname} with ${fault}: not the Kubernetes API it should be`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const buffer = Buffer.from(text, 'utf8');
    return new ResponseContext(status, headers, { text: async () => text, binary: async () => buffer });
  }
}
