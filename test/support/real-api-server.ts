// A real kube-apiserver (1.20.2, built by scripts/kube-apiserver.sh) with its own etcd, on free 127.0.0.1 ports, for the
// tests of everything an API server decides: pruning, defaulting, server-side apply, RBAC, TokenRequest, subresources.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CRD_DIRECTORY_ENV, crdDirectory } from '../../scripts/crd-directory.ts';
import { root } from './processes.ts';

const BUILD_SCRIPT = join(root, 'scripts/kube-apiserver.sh');

/** Where the build script puts (or would put) the binary: the script alone knows its cache key. */
const binary = spawnSync('bash', [BUILD_SCRIPT, '--path'], { encoding: 'utf8' }).stdout.trim();
const etcd = ['/usr/bin/etcd', '/usr/local/bin/etcd'].find((path) => existsSync(path));

export const REAL_API_SERVER_MISSING = `kube-apiserver or etcd not found (expected ${binary || 'the path scripts/kube-apiserver.sh --path prints'} and etcd from the etcd-server package): run scripts/kube-apiserver.sh once (it installs golang-go, etcd-server and the build tools with apt, then builds kube-apiserver 1.20.2: 7-12 minutes the first time); the real API server tests are skipped`;

/** Whether the tests can run; under CI they must, so a missing server fails instead of skipping. */
export const realApiServerAvailable = Boolean(binary && existsSync(binary) && etcd);
if (!realApiServerAvailable) {
  if (process.env.CI === 'true') throw new Error(REAL_API_SERVER_MISSING.replace('; the real API server tests are skipped', ''));
  console.warn(`\n*** ${REAL_API_SERVER_MISSING} ***\n`);
}

/** The identities the static token file holds. */
export const ADMIN = { name: 'admin', token: 'kvmigrate-test-admin-token' } as const;
export const UNPRIVILEGED = { name: 'developer', token: 'kvmigrate-test-developer-token' } as const;

export type Json = Record<string, any>;

/**
 * The KubeVirt CR's CRD is not among the shared CRDs: a stand-in that keeps every field (the hook only reads its
 * status), so reads of KubeVirt CRs (hook, preflight) meet the real server and its authorizer.
 */
export const KUBEVIRT_CRD: Json = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'kubevirts.kubevirt.io' },
  spec: {
    group: 'kubevirt.io',
    names: { kind: 'KubeVirt', plural: 'kubevirts', singular: 'kubevirt', listKind: 'KubeVirtList' },
    scope: 'Namespaced',
    versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

export interface Answer {
  readonly status: number;
  readonly body: Json;
}

/** Polls `check` until it holds (60 s at most). */
export async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/** The URL path of an object's collection, or of the object itself when `name` is given. */
export function pathOf(object: { apiVersion: string; kind: string; metadata?: { namespace?: string } }, plural: string, name?: string): string {
  const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const namespace = object.metadata?.namespace ? `/namespaces/${object.metadata.namespace}` : '';
  return `${base}${namespace}/${plural}${name ? `/${name}` : ''}`;
}

export class RealApiServer {
  private readonly children: ChildProcess[] = [];
  private output = '';

  private constructor(
    private readonly dir: string,
    public readonly port: number,
  ) {}

  /**
   * Starts etcd and kube-apiserver on free loopback ports and waits for /readyz. `flags` are extra kube-apiserver flags.
   * The server's certificate is self-signed (--cert-dir), so clients skip TLS verification, as for the emulation.
   */
  public static async start(flags: readonly string[] = []): Promise<RealApiServer> {
    if (!realApiServerAvailable) throw new Error(REAL_API_SERVER_MISSING);
    const dir = mkdtempSync(join(tmpdir(), 'kvmigrate-apiserver-'));
    const [etcdPort, peerPort, port] = [await freePort(), await freePort(), await freePort()];
    const server = new RealApiServer(dir, port);
    // The ServiceAccount token signing key pair: TokenRequest needs it, and nothing outside the test sees it.
    const key = spawnSync('openssl', ['genrsa', '-out', join(dir, 'sa.key'), '2048'], { encoding: 'utf8' });
    const pub = spawnSync('openssl', ['rsa', '-in', join(dir, 'sa.key'), '-pubout', '-out', join(dir, 'sa.pub')], { encoding: 'utf8' });
    if (key.status !== 0 || pub.status !== 0) throw new Error(`openssl failed: ${key.stderr}${pub.stderr}`);
    writeFileSync(join(dir, 'tokens.csv'), `${ADMIN.token},${ADMIN.name},1,"system:masters"\n${UNPRIVILEGED.token},${UNPRIVILEGED.name},2\n`);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    server.spawn(etcd!, [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
    ]);
    server.etcdUrl = etcdUrl;
    server.spawn(binary, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      '--insecure-port=0',
      `--cert-dir=${join(dir, 'certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      '--service-cluster-ip-range=10.0.0.0/24',
      // No Service endpoints to reconcile: nothing else runs, and the address must stay on loopback.
      '--endpoint-reconciler-type=none',
      // Alpha in 1.20: without it the hook Job's ttlSecondsAfterFinished is dropped silently.
      '--feature-gates=TTLAfterFinished=true',
      ...flags,
    ]);
    try {
      await server.waitReady();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** etcd's client URL, for tests that act on storage (compaction). */
  public etcdUrl = '';

  /**
   * Compacts etcd up to its current revision, as the API server does every five minutes: every older resourceVersion
   * is gone, so a watch from one gets 410 Gone. Returns the revision compacted at.
   */
  public async compactEtcd(): Promise<number> {
    const range = await fetch(`${this.etcdUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('/').toString('base64') }) });
    const revision = Number(((await range.json()) as Json).header.revision);
    const compaction = await fetch(`${this.etcdUrl}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(revision), physical: true }) });
    if (!compaction.ok) throw new Error(`etcd compaction: ${compaction.status} ${await compaction.text()}`);
    return revision;
  }

  public get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  private spawn(command: string, args: string[]): void {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.children.push(child);
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const dead = this.children.find((c) => c.exitCode !== null);
      if (dead) throw new Error(`${dead.spawnfile} exited (${dead.exitCode}):\n${this.output}`);
      const answer = await this.request('GET', '/readyz').catch(() => undefined);
      if (answer?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready after 120 s:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Stops kube-apiserver, then etcd, and removes their files. */
  public async stop(): Promise<void> {
    for (const child of [...this.children].reverse()) {
      child.kill('SIGTERM');
      await exited(child);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One HTTP request as `token` (default: the admin); JSON bodies unless `contentType` says otherwise. */
  public request(method: string, path: string, body?: unknown, options: { token?: string; contentType?: string } = {}): Promise<Answer> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          rejectUnauthorized: false,
          headers: {
            authorization: `Bearer ${options.token ?? ADMIN.token}`,
            accept: 'application/json',
            ...(payload !== undefined && { 'content-type': options.contentType ?? 'application/json' }),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => {
            let parsed: Json;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              parsed = { text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
      req.end(payload);
    });
  }

  /** Like request, but throws unless the answer is 2xx. */
  public async ok(method: string, path: string, body?: unknown, options: { token?: string; contentType?: string } = {}): Promise<Json> {
    const answer = await this.request(method, path, body, options);
    if (answer.status < 200 || answer.status > 299) throw new Error(`${method} ${path}: ${answer.status} ${answer.body.message ?? JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** The resource (plural, namespaced) serving `kind` of `apiVersion`, from the server's discovery. */
  public async resource(apiVersion: string, kind: string): Promise<{ plural: string; namespaced: boolean }> {
    let resources = this.discovery.get(apiVersion);
    if (!resources) {
      const list = await this.ok('GET', apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
      resources = list.resources as Json[];
      this.discovery.set(apiVersion, resources);
    }
    const found = resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!found) throw new Error(`${apiVersion} serves no ${kind}`);
    return { plural: found.name, namespaced: found.namespaced };
  }

  private readonly discovery = new Map<string, Json[]>();

  /** The URL path of `object` (or its subresource). */
  public async pathOf(object: Json, subresource = ''): Promise<string> {
    const { plural } = await this.resource(object.apiVersion, object.kind);
    return `${pathOf(object as never, plural, object.metadata.name)}${subresource && `/${subresource}`}`;
  }

  /** Server-side apply of `object` by `manager` (`force` takes over conflicting fields). */
  public async apply(object: Json, manager: string, options: { force?: boolean; token?: string } = {}): Promise<Answer> {
    const query = `?fieldManager=${encodeURIComponent(manager)}${options.force ? '&force=true' : ''}`;
    return this.request('PATCH', (await this.pathOf(object)) + query, object, { token: options.token, contentType: 'application/apply-patch+yaml' });
  }

  /** Reads `object` back (admin). */
  public async read(object: Json): Promise<Json> {
    return this.ok('GET', await this.pathOf(object));
  }

  /**
   * Creates `object` (admin). Its status is written through the status subresource afterwards, as a controller does;
   * a kind without one (the VirtualMachineInstance CRD) takes it with the object.
   */
  public async create(object: Json): Promise<Json> {
    const { status, ...rest } = object;
    const { plural } = await this.resource(object.apiVersion, object.kind);
    const hasStatusSubresource = this.discovery.get(object.apiVersion)!.some((r) => r.name === `${plural}/status`);
    if (!hasStatusSubresource) return this.ok('POST', pathOf(object as never, plural), object);
    const created = await this.ok('POST', pathOf(object as never, plural), rest);
    return status ? this.writeStatus({ ...created, status }) : created;
  }

  /** Writes `object.status` through the status subresource (a merge patch), as KubeVirt or CDI would. */
  public async writeStatus(object: Json): Promise<Json> {
    return this.ok('PATCH', await this.pathOf(object, 'status'), { status: object.status }, { contentType: 'application/merge-patch+json' });
  }

  /**
   * Installs every CRD of the shared directory (../shared/crds or $KVMIGRATE_CRDS), plus `extra` ones, and waits until
   * each is Established and served.
   */
  public async installCrds(extra: readonly Json[] = []): Promise<Json[]> {
    const dir = crdDirectory();
    if (!dir) throw new Error(`CRDs not found: set ${CRD_DIRECTORY_ENV} or place them in ../shared/crds`);
    const crds = [
      ...readdirSync(dir)
        .filter((file) => file.endsWith('.yaml'))
        .sort()
        .map((file) => parse(readFileSync(join(dir, file), 'utf8')) as Json),
      ...extra,
    ];
    // Created, not server-side applied: 1.20's apply refuses a CRD holding fields it does not know (x-kubernetes-
    // validations: "field not declared in schema"), while a create drops them silently.
    for (const crd of crds) {
      const answer = await this.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      if (answer.status !== 201 && answer.status !== 409) throw new Error(`CRD ${crd.metadata.name}: ${answer.status} ${answer.body.message}`);
    }
    for (const crd of crds) {
      await until(`CRD ${crd.metadata.name} established`, async () => {
        const live = await this.read(crd);
        return (live.status?.conditions ?? []).some((c: Json) => c.type === 'Established' && c.status === 'True');
      });
      for (const version of crd.spec.versions.filter((v: Json) => v.served)) {
        const apiVersion = `${crd.spec.group}/${version.name}`;
        await until(`${apiVersion} served`, async () => (await this.request('GET', `/apis/${apiVersion}`)).status === 200);
        this.discovery.delete(apiVersion);
      }
    }
    return crds;
  }

  /** Creates namespaces (ignores ones that exist). */
  public async namespaces(...names: string[]): Promise<void> {
    for (const name of names) {
      const answer = await this.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      if (answer.status !== 201 && answer.status !== 409) throw new Error(`namespace ${name}: ${answer.status} ${answer.body.message}`);
    }
  }

  /** A bound token of a ServiceAccount from the TokenRequest API, as a Pod of it would get. */
  public async serviceAccountToken(namespace: string, name: string, seconds = 3600): Promise<string> {
    const answer = await this.ok('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: seconds },
    });
    return answer.status.token as string;
  }

  /** The kubeconfig of this server as `token` (default: the admin), as an object. */
  public kubeconfig(name = 'real', token: string = ADMIN.token): Json {
    return {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      'current-context': name,
    };
  }

  /** Writes that kubeconfig into `dir` and returns its path. */
  public writeKubeconfig(dir: string, name = 'real', token: string = ADMIN.token): string {
    const path = join(dir, `${name}.kubeconfig`);
    writeFileSync(path, stringify(this.kubeconfig(name, token)));
    return path;
  }
}
