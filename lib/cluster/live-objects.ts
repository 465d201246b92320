import { ApiException, HttpMethod, RequestContext } from '@kubernetes/client-node';
import { call, type CallContext } from './cluster-calls.ts';
import { ClusterFailure } from './cluster-failure.ts';
import type { KubeObject } from './cluster-api.ts';
import type { KubeClients } from './kube-clients.ts';

/** One resource of a discovery document (`APIResourceList`): what a kind is called in paths, and its scope. */
interface ApiResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** An object of any kind, named as in a manifest. */
export type ObjectReference = Required<Pick<KubeObject, 'apiVersion' | 'kind'>> & { metadata: { name: string; namespace?: string } };

/**
 * Reads objects of any kind and asks the API server what an apply would make of them, through the cluster's clients
 * (their credentials, request timeout and checked HTTP layer). Kinds map to paths by the server's discovery documents,
 * as kubectl's RESTMapper maps them, each group version read once.
 */
export class LiveObjects {
  private readonly discovery = new Map<string, Promise<readonly ApiResource[] | undefined>>();

  public constructor(private readonly clients: KubeClients) {}

  /** The live object, or undefined when there is none. */
  public async get(object: ObjectReference, context: CallContext): Promise<KubeObject | undefined> {
    const path = await this.pathOf(object, context);
    return call(context, `read ${describe(object)}`, () => this.request(HttpMethod.GET, path));
  }

  /**
   * The object as a server-side apply by `fieldManager` would leave it, written nowhere (`dryRun=All`): defaults,
   * admission and the merge with fields other managers own, all the server's. `force` takes over fields another
   * manager owns, as both GitOps engines apply (kubectl `diff --server-side --force-conflicts`, `InfoObject.Merged`).
   */
  public async applyDryRun(object: ObjectReference, fieldManager: string, context: CallContext): Promise<KubeObject> {
    const path = await this.pathOf(object, context);
    const query = new URLSearchParams({ dryRun: 'All', fieldManager, force: 'true' });
    const result = await call(context, `dry-run apply ${describe(object)}`, () =>
      this.request(HttpMethod.PATCH, `${path}?${query}`, { body: JSON.stringify(object), contentType: 'application/apply-patch+yaml' }),
    );
    // An apply creates what is missing: no answer at all is the server's fault, not a missing object.
    if (!result) throw new ClusterFailure(`dry-run apply ${describe(object)}: the server answered 404`);
    return result;
  }

  /** `/api/v1/namespaces/<ns>/<resource>/<name>` or `/apis/<group>/<version>/...`, the resource from discovery. */
  private async pathOf(object: ObjectReference, context: CallContext): Promise<string> {
    const { apiVersion, kind, metadata } = object;
    const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let resources = this.discovery.get(apiVersion);
    if (!resources) {
      // A group version nobody serves is a plain-text 404 (kube-apiserver's "404 page not found"), not a Status.
      const notServed = (error: unknown) => {
        if (error instanceof ApiException && error.code === 404) return undefined;
        throw error;
      };
      resources = call(context, `read the API's ${apiVersion} resources`, () => this.request(HttpMethod.GET, root).catch(notServed)).then(
        (list) => (list as { resources?: ApiResource[] } | undefined)?.resources,
      );
      this.discovery.set(apiVersion, resources);
    }
    // Subresources (`virtualmachines/status`) share the kind: the resource is the entry without a slash.
    const resource = (await resources)?.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!resource) throw new ClusterFailure(`the API server serves no ${kind} in ${apiVersion}: install what provides it (its CRD) before the sync`);
    const scope = resource.namespaced ? `/namespaces/${encodeURIComponent(metadata.namespace ?? 'default')}` : '';
    return `${root}${scope}/${resource.name}/${encodeURIComponent(metadata.name)}`;
  }

  /**
   * One request through the clients' own middleware (the request timeout) and HTTP layer; a failure is the client
   * library's ApiException, which `call` classifies and retries as it does every other call.
   */
  private async request(method: HttpMethod, path: string, send?: { body: string; contentType: string }): Promise<KubeObject> {
    let context = new RequestContext(`${this.clients.server.replace(/\/+$/, '')}${path}`, method);
    context.setHeaderParam('Accept', 'application/json');
    if (send) {
      context.setHeaderParam('Content-Type', send.contentType);
      context.setBody(send.body);
    }
    await this.clients.config.applySecurityAuthentication(context);
    for (const middleware of this.clients.options.middleware ?? []) context = await middleware.pre(context).toPromise();
    const response = await this.clients.options.httpApi!.send(context).toPromise();
    const text = await response.body.text();
    // A failure's body is a Status when a Kubernetes API answers; kept as text otherwise (a proxy's page), as the
    // generated clients keep it.
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', parseOr(text), response.headers);
    // The checked HTTP layer let through only JSON of the object asked for.
    return JSON.parse(text) as KubeObject;
  }
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describe(object: ObjectReference): string {
  return `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}
