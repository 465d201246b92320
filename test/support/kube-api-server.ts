// A small, faithful Kubernetes API server for tests: a real HTTP server on 127.0.0.1 that the real client library
// talks to. It serves the REST paths kvmigrate uses with Kubernetes semantics (Status error bodies, 404/409/422,
// resourceVersion, creationTimestamp, watch streams as JSON lines), KubeVirt's admission rules for migrations, and
// lets a test script state changes over time and inject faults.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; creationTimestamp?: string; [k: string]: any };
  [field: string]: any;
};

interface ResourceType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  /** False for a cluster-scoped kind, as discovery says. */
  readonly namespaced?: false;
}

/** The resources served, by the URL prefix of their group/version. */
const RESOURCE_TYPES: readonly ResourceType[] = [
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false },
  { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', plural: 'storageclasses', namespaced: false },
  { apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', plural: 'network-attachment-definitions' },
  { apiVersion: 'hco.kubevirt.io/v1beta1', kind: 'HyperConverged', plural: 'hyperconvergeds' },
  { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings' },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' },
  { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', plural: 'applications' },
  { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', plural: 'kustomizations' },
  { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', plural: 'virtualmachineinstancemigrations' },
  { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', plural: 'virtualmachineinstances' },
  { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', plural: 'virtualmachines' },
  { apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', plural: 'kubevirts' },
  { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', plural: 'datavolumes' },
  { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'StorageProfile', plural: 'storageprofiles', namespaced: false },
  { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'CDIConfig', plural: 'cdiconfigs', namespaced: false },
  { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'CDI', plural: 'cdis', namespaced: false },
  { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', plural: 'csidrivers', namespaced: false },
  { apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineInstancetype', plural: 'virtualmachineinstancetypes' },
  { apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineClusterInstancetype', plural: 'virtualmachineclusterinstancetypes', namespaced: false },
  { apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachinePreference', plural: 'virtualmachinepreferences' },
  { apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineClusterPreference', plural: 'virtualmachineclusterpreferences', namespaced: false },
];

function typeOfKind(kind: string): ResourceType {
  const type = RESOURCE_TYPES.find((t) => t.kind === kind);
  if (!type) throw new Error(`the test API server does not serve ${kind}`);
  return type;
}

/** A fault to inject into matching requests. */
export interface Fault {
  readonly method?: string;
  /** Matches the request path (without query). */
  readonly path?: RegExp;
  /** How many matching requests it applies to. */
  readonly times?: number;
  /** Answer with this HTTP status and a Status body. */
  readonly status?: number;
  /** Answer with this raw body instead (with `status`, default 200). */
  readonly body?: string;
  /** Never answer (the client's timeout must fire). */
  readonly hang?: boolean;
  /** With `body`: its Content-Type (default application/json), as a proxy's HTML page would have it. */
  readonly contentType?: string;
  /** With `body`: more headers, e.g. a redirect's Location. */
  readonly headers?: Readonly<Record<string, string>>;
  /** With `body`: gzip it (Content-Encoding: gzip), as a bomb would come. */
  readonly gzip?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly body?: any;
  readonly status: number;
}

type Admission = (object: KubeObject, server: KubeApiServer) => string | undefined;

const FINAL_VMI_PHASES = new Set(['Succeeded', 'Failed']);

/** KubeVirt's virt-api checks on creating a migration (migration-create-admitter.go). */
const admitMigration: Admission = (vmim, server) => {
  const spec = vmim.spec ?? {};
  if (!spec.vmiName) return 'spec.vmiName is required';
  const sides = ['sendTo', 'receive'].filter((side) => spec[side] !== undefined);
  if (sides.length > 1) return 'only one of sendTo and receive may be set';
  if (spec.sendTo && (!spec.sendTo.migrationID || !spec.sendTo.connectURL)) return 'sendTo needs migrationID and connectURL';
  if (spec.receive && !spec.receive.migrationID) return 'receive needs migrationID';
  const vmi = server.get('VirtualMachineInstance', vmim.metadata.namespace!, spec.vmiName);
  if (!vmi) return `the VMI "${spec.vmiName}" does not exist`;
  if (FINAL_VMI_PHASES.has(vmi.status?.phase)) return `the VMI "${spec.vmiName}" is in a final phase`;
  // `isMigratable`: LiveMigratable=False refuses it, but for DisksNotLiveMigratable on a decentralized migration.
  const migratable = (vmi.status?.conditions ?? []).find((c: any) => c.type === 'LiveMigratable');
  const decentralized = sides.length > 0;
  if (migratable?.status === 'False' && !(decentralized && migratable.reason === 'DisksNotLiveMigratable')) {
    return `Cannot migrate VMI, Reason: ${migratable.reason}, Message: ${migratable.message}`;
  }
  const unfinished = server
    .list('VirtualMachineInstanceMigration', vmim.metadata.namespace)
    .filter((m) => m.spec?.vmiName === spec.vmiName && !['Succeeded', 'Failed'].includes(m.status?.phase));
  if (unfinished.length > 0) return `in-flight migration detected. Active migration job (${unfinished[0]!.metadata.uid}) is currently already in progress for VMI ${spec.vmiName}.`;
  return undefined;
};

interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
  readonly resourceVersion: number;
}

export class KubeApiServer {
  private readonly server: Server;
  private readonly objects = new Map<string, KubeObject>();
  private readonly events: WatchEvent[] = [];
  /** TokenRequests answered: which ServiceAccount, for how long; the tokens issued are accepted like the admin's. */
  public readonly tokens: { namespace: string; account: string; seconds: number; token: string }[] = [];
  private readonly watchers = new Set<{ kind: string; namespace?: string; send: (e: WatchEvent) => void }>();
  private readonly faults: (Fault & { remaining: number })[] = [];
  private readonly admissions = new Map<string, Admission>([['VirtualMachineInstanceMigration', admitMigration]]);
  private readonly hanging = new Set<ServerResponse>();
  private readonly reactions: { method: string; path: RegExp; action: () => void }[] = [];
  private revision = 100;
  /** What each field manager last applied to each object (server-side apply), by manager and object key. */
  private readonly applied = new Map<string, KubeObject>();
  /** Every request answered, in order. */
  public readonly requests: RecordedRequest[] = [];
  /** The bearer token this server accepts; other tokens get 401. */
  public readonly token = `token-${randomUUID()}`;

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  public static async start(): Promise<KubeApiServer> {
    const api = new KubeApiServer();
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Writes a kubeconfig for this server into `dir` and returns its path. */
  public writeKubeconfig(dir: string, name = 'test'): string {
    const path = join(dir, `${name}.kubeconfig`);
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        // Plain HTTP on loopback: the client only allows it with TLS verification off.
        clusters: [{ name, cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name, user: { token: this.token } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        'current-context': name,
      }),
    );
    return path;
  }

  public async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const watcher of this.watchers) this.watchers.delete(watcher);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- state, for tests to script -------------------------------------------------------------------------------

  public get(kind: string, namespace: string, name: string): KubeObject | undefined {
    const object = this.objects.get(this.key(kind, namespace, name));
    return object && structuredClone(object);
  }

  public list(kind: string, namespace?: string): KubeObject[] {
    return [...this.objects.values()]
      .filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace))
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
      .map((o) => structuredClone(o));
  }

  /** Creates or replaces an object as a controller would (no admission), bumping its resourceVersion. */
  public put(object: KubeObject): KubeObject {
    const existing = this.objects.get(this.keyOf(object));
    const stored = this.stamp(structuredClone(object), existing);
    this.objects.set(this.keyOf(stored), stored);
    this.emit(existing ? 'MODIFIED' : 'ADDED', stored);
    return structuredClone(stored);
  }

  /** Changes an existing object in place (e.g. its status), as a controller would. */
  public update(kind: string, namespace: string, name: string, change: (object: KubeObject) => void): KubeObject {
    const object = this.get(kind, namespace, name);
    if (!object) throw new Error(`no ${kind} ${namespace}/${name} to update`);
    change(object);
    return this.put(object);
  }

  public remove(kind: string, namespace: string, name: string): void {
    const key = this.key(kind, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) return;
    this.objects.delete(key);
    this.revision++;
    this.emit('DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion: String(this.revision) } });
  }

  /** Makes matching requests fail (status) or hang, `times` times (default once). */
  public inject(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  private react(method: string, path: string): void {
    const reaction = this.reactions.findIndex((r) => r.method === method && r.path.test(path));
    if (reaction >= 0) this.reactions.splice(reaction, 1)[0]!.action();
  }

  /** Ends every open watch stream, as API servers do every few minutes: clients must reconnect. */
  public dropWatches(): number {
    const open = [...this.hanging].filter((res) => !res.writableEnded);
    for (const res of open) res.end();
    return open.length;
  }

  /** Watch requests received so far. */
  public get watchRequests(): RecordedRequest[] {
    return this.requests.filter((r) => /[?&]watch=(true|1)/.test(r.query));
  }

  /** Runs `action` once, right after the first answered request (or opened watch) that matches: a state change timed to a request. */
  public afterRequest(method: string, path: RegExp, action: () => void): void {
    this.reactions.push({ method, path, action });
  }

  /** Creates (POST) of `kind` seen so far. */
  public creates(kind: string): RecordedRequest[] {
    const { plural } = typeOfKind(kind);
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${plural}`));
  }

  // --- HTTP -------------------------------------------------------------------------------------------------------

  private key(kind: string, namespace: string | undefined, name: string): string {
    return `${kind}/${namespace ?? ''}/${name}`;
  }

  private keyOf(object: KubeObject): string {
    return this.key(object.kind, object.metadata.namespace, object.metadata.name);
  }

  private stamp(object: KubeObject, existing: KubeObject | undefined): KubeObject {
    this.revision++;
    object.metadata.resourceVersion = String(this.revision);
    object.metadata.uid = existing?.metadata.uid ?? object.metadata.uid ?? randomUUID();
    object.metadata.creationTimestamp = existing?.metadata.creationTimestamp ?? object.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return object;
  }

  private emit(type: WatchEvent['type'], object: KubeObject): void {
    const event = { type, object: structuredClone(object), resourceVersion: Number(object.metadata.resourceVersion) };
    this.events.push(event);
    for (const watcher of this.watchers) {
      if (watcher.kind === object.kind && (watcher.namespace === undefined || watcher.namespace === object.metadata.namespace)) watcher.send(event);
    }
  }

  private route(path: string): { type: ResourceType; namespace?: string; name?: string } | undefined {
    const match = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (!match) return undefined;
    const [, group, version, namespace, plural, name] = match;
    const apiVersion = group ? `${group}/${version}` : 'v1';
    const type = RESOURCE_TYPES.find((t) => t.apiVersion === apiVersion && t.plural === plural);
    return type && { type, namespace, name };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    const body = text ? JSON.parse(text) : undefined;
    const answer = (status: number, payload: unknown) => {
      this.requests.push({ method, path: url.pathname, query: url.search, body, status });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(payload));
      this.react(method, url.pathname);
    };

    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (bearer !== this.token && !this.tokens.some((t) => t.token === bearer)) return answer(401, status(401, 'Unauthorized', 'Unauthorized'));
    const fault = this.faults.find((f) => f.remaining > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(url.pathname)));
    if (fault) {
      fault.remaining--;
      if (fault.hang) {
        this.requests.push({ method, path: url.pathname, query: url.search, body, status: 0 });
        this.hanging.add(res);
        return;
      }
      if (fault.body !== undefined) {
        // A raw answer, as a proxy or a broken server would give it.
        this.requests.push({ method, path: url.pathname, query: url.search, body, status: fault.status ?? 200 });
        res.writeHead(fault.status ?? 200, { 'Content-Type': fault.contentType ?? 'application/json', ...(fault.gzip && { 'Content-Encoding': 'gzip' }), ...fault.headers });
        res.end(fault.gzip ? gzipSync(fault.body) : fault.body);
        return;
      }
      return answer(fault.status ?? 500, status(fault.status ?? 500, 'InternalError', 'injected fault'));
    }

    // TokenRequest, the serviceaccounts/token subresource: a bound token for an existing ServiceAccount.
    const tokenRequest = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/.exec(url.pathname);
    if (tokenRequest && method === 'POST') {
      const [, namespace, account] = tokenRequest as unknown as [string, string, string];
      if (!this.get('ServiceAccount', namespace, account)) return answer(404, status(404, 'NotFound', `serviceaccounts "${account}" not found`, { name: account, kind: 'serviceaccounts' }));
      const seconds = Number(body?.spec?.expirationSeconds ?? 3600);
      if (seconds < 600) return answer(422, status(422, 'Invalid', 'TokenRequest.authentication.k8s.io is invalid: spec.expirationSeconds: Invalid value: may not specify a duration less than 10 minutes'));
      const expirationTimestamp = new Date(Date.parse('2026-11-30T12:00:00Z') + seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
      const token = `token-for-${namespace}-${account}-${this.tokens.length}`;
      this.tokens.push({ namespace, account, seconds, token });
      return answer(201, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: account, namespace }, spec: body?.spec ?? {}, status: { token, expirationTimestamp } });
    }

    // Discovery (`/api/v1`, `/apis/<group>/<version>`): the resources of a group version, as kubectl's RESTMapper reads them.
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))$/.exec(url.pathname);
    if (discovery && method === 'GET') {
      const groupVersion = discovery[1] ?? discovery[2]!;
      const resources = RESOURCE_TYPES.filter((t) => t.apiVersion === groupVersion).map((t) => ({ name: t.plural, singularName: '', namespaced: t.namespaced ?? true, kind: t.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }));
      if (resources.length === 0) {
        // As kube-apiserver answers a group version it does not serve: plain text, no Status.
        this.requests.push({ method, path: url.pathname, query: url.search, body, status: 404 });
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('404 page not found\n');
        return;
      }
      // As kube-apiserver answers: the core group's list has no apiVersion, every other group's has v1.
      return answer(200, { kind: 'APIResourceList', ...(discovery[2] && { apiVersion: 'v1' }), groupVersion, resources });
    }

    const route = this.route(url.pathname);
    if (!route) return answer(404, status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
    const { type, namespace, name } = route;
    const watching = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    const notFound = () => answer(404, status(404, 'NotFound', `${type.plural}.${group(type)} "${name}" not found`, { name, group: group(type), kind: type.plural }));

    if (method === 'GET' && name) {
      const object = this.get(type.kind, namespace!, name);
      return object ? answer(200, object) : notFound();
    }
    if (method === 'GET') {
      if (watching) return this.watch(type, namespace, url, res, method);
      const items = this.list(type.kind, namespace).filter(matchesSelectors(url.searchParams));
      return answer(200, { apiVersion: type.apiVersion, kind: `${type.kind}List`, metadata: { resourceVersion: String(this.revision) }, items });
    }
    if (method === 'POST' && type.kind === 'SelfSubjectAccessReview') {
      // Reviews are not stored; the caller may do anything here (what it may not is the real authorizer's to decide:
      // test/apiserver/cluster-commands.test.ts).
      return answer(201, { ...body, status: { allowed: true } });
    }
    if (method === 'POST') {
      if (!body?.metadata?.name) return answer(422, status(422, 'Invalid', `${type.kind} is invalid: metadata.name: Required value`));
      if (body.metadata.namespace && body.metadata.namespace !== namespace) {
        return answer(400, status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'));
      }
      const object: KubeObject = { ...body, apiVersion: type.apiVersion, kind: type.kind, metadata: { ...body.metadata, namespace } };
      if (this.objects.has(this.keyOf(object))) {
        return answer(409, status(409, 'AlreadyExists', `${type.plural}.${group(type)} "${object.metadata.name}" already exists`, { name: object.metadata.name, group: group(type), kind: type.plural }));
      }
      const denied = this.admissions.get(type.kind)?.(object, this);
      if (denied) return answer(422, status(422, 'Invalid', `admission webhook "migration-create-validator.kubevirt.io" denied the request: ${denied}`));
      const created = this.put(object);
      // virt-controller mirrors KubeVirt's published sync addresses onto every migration (migration.go
      // `setSynchronizationAddressStatus`); here right after the create, before the client reads it back.
      const addresses = this.list('KubeVirt')[0]?.status?.synchronizationAddresses;
      if (type.kind === 'VirtualMachineInstanceMigration' && addresses) {
        this.update(type.kind, namespace!, created.metadata.name, (o) => (o.status = { ...o.status, synchronizationAddresses: addresses }));
      }
      return answer(201, created);
    }
    if (method === 'PUT' && name) {
      if (!this.get(type.kind, namespace!, name)) return notFound();
      return answer(200, this.put({ ...body, apiVersion: type.apiVersion, kind: type.kind, metadata: { ...body.metadata, name, namespace } }));
    }
    if (method === 'PATCH' && name) return this.apply(type, namespace, name, req.headers['content-type'], url.searchParams, body, answer);
    if (method === 'DELETE' && name) {
      const object = this.get(type.kind, namespace!, name);
      if (!object) return notFound();
      // DeleteOptions.preconditions: the delete applies only to the object of that uid.
      const uid = body?.preconditions?.uid;
      if (uid !== undefined && uid !== object.metadata.uid) {
        return answer(409, status(409, 'Conflict', `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${object.metadata.uid}`, { name, group: group(type), kind: type.plural }));
      }
      this.remove(type.kind, namespace!, name);
      return answer(200, object);
    }
    return answer(405, status(405, 'MethodNotAllowed', `${method} is not supported by the test API server`));
  }

  /**
   * Server-side apply (PATCH application/apply-patch+yaml), emulated minimally: the applied object is merged into the
   * live one (maps field by field, every other value, lists included, replaced whole: no list merge keys), and fields
   * this manager applied last time but no longer applies are removed. Ownership conflicts are not emulated (every
   * apply acts as with force). With `dryRun=All` the result is answered and nothing is stored.
   */
  private apply(type: ResourceType, namespace: string | undefined, name: string, contentType: string | undefined, params: URLSearchParams, body: any, answer: (status: number, payload: unknown) => void): void {
    if (contentType !== 'application/apply-patch+yaml') {
      return answer(415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml`));
    }
    const manager = params.get('fieldManager');
    if (!manager) return answer(422, status(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'));
    if (body?.apiVersion !== type.apiVersion || body?.kind !== type.kind) return answer(400, status(400, 'BadRequest', `the apiVersion and kind of the object (${body?.apiVersion} ${body?.kind}) do not match the request`));
    if (body.metadata?.name !== name) return answer(400, status(400, 'BadRequest', `the name of the object (${body.metadata?.name}) does not match the name on the URL (${name})`));
    const key = `${manager}|${this.key(type.kind, namespace, name)}`;
    const existing = this.get(type.kind, namespace ?? '', name);
    const merged: KubeObject = existing ? structuredClone(existing) : { apiVersion: type.apiVersion, kind: type.kind, metadata: { name, namespace } };
    dropUnapplied(merged, this.applied.get(key), body);
    mergeApplied(merged, body);
    const entry = { manager, operation: 'Apply', apiVersion: type.apiVersion, time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), fieldsType: 'FieldsV1', fieldsV1: {} };
    merged.metadata.managedFields = [...(existing?.metadata.managedFields ?? []).filter((f: { manager: string }) => f.manager !== manager), entry];
    if (params.get('dryRun') === 'All') return answer(existing ? 200 : 201, merged);
    this.applied.set(key, structuredClone(body));
    return answer(existing ? 200 : 201, this.put(merged));
  }

  private watch(type: ResourceType, namespace: string | undefined, url: URL, res: ServerResponse, method: string): void {
    this.requests.push({ method, path: url.pathname, query: url.search, status: 200 });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    // As the API server does: the headers go out at once, so a watch of an empty collection opens too.
    res.flushHeaders();
    const send = (e: WatchEvent) => res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    const since = url.searchParams.get('resourceVersion');
    if (since) {
      for (const e of this.events) {
        if (e.resourceVersion > Number(since) && e.object.kind === type.kind && (!namespace || e.object.metadata.namespace === namespace)) send(e);
      }
    } else {
      for (const object of this.list(type.kind, namespace)) send({ type: 'ADDED', object, resourceVersion: 0 });
    }
    const watcher = { kind: type.kind, namespace, send };
    this.watchers.add(watcher);
    this.hanging.add(res);
    this.react(method, url.pathname);
    res.on('close', () => {
      this.watchers.delete(watcher);
      this.hanging.delete(res);
    });
  }
}

const isMap = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Removes from `target` what `previous` (a manager's last apply) set and `next` (its new apply) no longer sets. */
function dropUnapplied(target: Record<string, any>, previous: Record<string, any> | undefined, next: Record<string, any>): void {
  for (const [field, value] of Object.entries(previous ?? {})) {
    if (!(field in next)) delete target[field];
    else if (isMap(value) && isMap(next[field]) && isMap(target[field])) dropUnapplied(target[field], value, next[field]);
  }
}

/** Merges an applied object into `target`: maps field by field, every other value replaced. */
function mergeApplied(target: Record<string, any>, applied: Record<string, any>): void {
  for (const [field, value] of Object.entries(applied)) {
    if (isMap(value) && isMap(target[field])) mergeApplied(target[field], value);
    else target[field] = structuredClone(value);
  }
}

function group(type: ResourceType): string {
  return type.apiVersion.includes('/') ? type.apiVersion.split('/')[0]! : '';
}

/** A Kubernetes `Status` body, as the API server sends with every error. */
function status(code: number, reason: string, message: string, details?: object): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details && { details }) };
}

function matchesSelectors(params: URLSearchParams): (object: KubeObject) => boolean {
  const labels = (params.get('labelSelector') ?? '').split(',').filter(Boolean).map((s) => s.split('='));
  const fields = (params.get('fieldSelector') ?? '').split(',').filter(Boolean).map((s) => s.split('='));
  return (object) =>
    labels.every(([k, v]) => object.metadata.labels?.[k!] === v) &&
    fields.every(([k, v]) => (k === 'metadata.name' ? object.metadata.name === v : k === 'metadata.namespace' ? object.metadata.namespace === v : false));
}

/** One kubeconfig reaching two test servers, as contexts `east-admin` (current) and `west-admin`. */
export function twoClusterKubeconfig(east: KubeApiServer, west: KubeApiServer): Record<string, unknown> {
  const named = [['east', east], ['west', west]] as const;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: named.map(([name, server]) => ({ name, cluster: { server: server.url, 'insecure-skip-tls-verify': true } })),
    users: named.map(([name, server]) => ({ name, user: { token: server.token } })),
    contexts: named.map(([name]) => ({ name: `${name}-admin`, context: { cluster: name, user: name } })),
    'current-context': 'east-admin',
  };
}
