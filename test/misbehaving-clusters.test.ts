// Clusters that misbehave, and what a user sees: a fast, one-line failure, never a false PASS, JSON when asked for.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { kvmigrateInProcess } from './support/cli.ts';
import { hookMigration, vmi } from './support/cluster-objects.ts';
import { runHookProcess } from './support/hook-process.ts';
import { KubeApiServer } from './support/kube-api-server.ts';
import { synth } from './support/synth.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

function workspace(): Workspace {
  const w = new Workspace();
  w.setup({ migrations: [migration('web')] }, { web: [vm('web', withDataVolume('root', 'web-root'), withDataVolumeTemplate('web-root', { size: '1Gi' }))] });
  return w;
}

function kubeconfigFor(w: Workspace, server: string): string {
  w.write('kubeconfig', {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  });
  return w.path('kubeconfig');
}

describe('clusters that misbehave', () => {
  it('an unreachable API server fails fast, in one line naming it', async () => {
    const w = workspace();
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
    const { port } = probe.address() as AddressInfo;
    await new Promise((ok) => probe.close(ok));
    const started = Date.now();
    const run = await kvmigrateInProcess(['preflight', '--config', w.path('migrations.yaml'), '--kubeconfig', kubeconfigFor(w, `http://127.0.0.1:${port}`)]);
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.stderr).toContain('cannot reach the API server');
    expect(run.stderr).toContain(`127.0.0.1:${port}`);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).not.toContain('PASS');
  });

  it('an endpoint that answers 404 to everything is "not a Kubernetes API", exit 1, never a table of dashes', async () => {
    const w = workspace();
    const proxy = createServer((_, res) => {
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end('<html>Not Found</html>');
    });
    await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
    stops.push(() => new Promise((ok) => proxy.close(() => ok())));
    const server = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    for (const command of ['status', 'preflight']) {
      const run = await kvmigrateInProcess([command, '--config', w.path('migrations.yaml'), '--kubeconfig', kubeconfigFor(w, server)]);
      expect(run.code, command).toBe(1);
      expect(run.stderr).toContain('the server is not a Kubernetes API');
      expect(run.stdout).not.toContain('PASS');
    }
  });

  it('-o json reports an error as one JSON object, with the same exit code', async () => {
    const w = workspace();
    w.write('migrations.yaml', 'migrations: [\n');
    const broken = await kvmigrateInProcess(['synth', '--config', w.path('migrations.yaml'), '-o', 'json']);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout);
    expect(report.error).toMatchObject({ kind: 'input', exitCode: 1, diagnostics: [expect.objectContaining({ severity: 'error', location: expect.objectContaining({ line: expect.any(Number) }) })] });
    const usage = await kvmigrateInProcess(['status', '--nope', '-o', 'json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout).error).toMatchObject({ kind: 'usage', exitCode: 2 });
  });

  it("a usage error points to the subcommand's --help", async () => {
    const run = await kvmigrateInProcess(['preflight', '--nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Run 'kvmigrate preflight --help' for usage.");
  });

  it('status shows cluster-provided text without its terminal control sequences', async () => {
    const api = await KubeApiServer.start();
    stops.push(() => api.stop());
    const w = workspace();
    const plan = synth(w).plans[0]!;
    api.put(vmi('web', 'src', 'Running'));
    api.put(vmi('web', 'dst', 'WaitingForSync'));
    const evil = 'boom\x1b]0;pwned\x07\x1b[2J\rfake: Succeeded';
    api.put({ ...hookMigration(plan.receiveMigrationName, 'dst', { receive: { migrationID: plan.migrationID } }, 'Failed'), status: { phase: 'Failed', migrationState: { failureReason: evil } } });
    const run = await kvmigrateInProcess(['status', '--config', w.path('migrations.yaml'), '--kubeconfig', api.writeKubeconfig(w.dir)]);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(/[\x1b\x07\r]/);
    expect(run.stdout).toContain('boom\\x1b]0;pwned\\x07\\x1b[2J\\x0dfake: Succeeded');
  });

  it('the hook retries a 200 whose body is not JSON, like any other transient fault', async () => {
    const api = await KubeApiServer.start();
    stops.push(() => api.stop());
    const w = new Workspace();
    api.put(vmi('web', 'src', 'Running'));
    api.put(vmi('web', 'dst', 'WaitingForSync'));
    api.inject({ method: 'GET', path: /virtualmachineinstances\/web$/, times: 2, body: '<html>gateway</html>' });
    const args = ['send', '--source-namespace', 'src', '--vmi', 'web', '--migration-id', 'id-1', '--name', 'web-send-1', '--destination-namespace', 'dst', '--receive-name', 'web-receive-1', '--connect-url', '10.0.0.1:9185', '--poll-interval', '0.05', '--timeout', '10'];
    const run = await runHookProcess(args, api.writeKubeconfig(w.dir));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('retrying');
    expect(api.list('VirtualMachineInstanceMigration', 'src')).toHaveLength(1);
  });
});

/** A test API server, stopped after the test; the workspace's kubeconfig reaches it. */
async function hostile(): Promise<{ api: KubeApiServer; w: Workspace; kubeconfig: string }> {
  const api = await KubeApiServer.start();
  stops.push(() => api.stop());
  const w = workspace();
  return { api, w, kubeconfig: api.writeKubeconfig(w.dir) };
}

const HTML = '<!doctype html><html><body>Sign in to continue</body></html>';
const hookArgs = ['send', '--source-namespace', 'src', '--vmi', 'web', '--migration-id', 'id-1', '--name', 'web-send-1', '--destination-namespace', 'dst', '--receive-name', 'web-receive-1', '--connect-url', '10.0.0.1:9185', '--poll-interval', '0.05', '--timeout', '5', '--request-timeout', '1'];

describe('clusters that lie never pass for success (http-transport.ts)', () => {
  it('an HTML page with status 200: pull, status and hook send fail naming the server, nothing written or created', async () => {
    const { api, w, kubeconfig } = await hostile();
    api.put(vm('web', withDataVolume('root', 'web-root'), withDataVolumeTemplate('web-root', { size: '1Gi' })) as never);
    api.inject({ method: 'GET', times: 1000, body: HTML, contentType: 'text/html' });
    const before = w.files('.');
    for (const args of [['pull', 'src/web', '--add', '--to', 'dst', '--out', w.path('pulled'), '--config', w.path('migrations.yaml')], ['status', '--config', w.path('migrations.yaml')]]) {
      const run = await kvmigrateInProcess([...args, '--kubeconfig', kubeconfig]);
      expect(run.code, args[0]).toBe(1);
      expect(run.stderr).toContain(`${api.url} answered GET`);
      expect(run.stderr).toContain('"text/html", not JSON: not a Kubernetes API');
      expect(run.stderr).not.toContain('internal error');
    }
    expect(w.files('.')).toEqual(before);
    const hook = await runHookProcess(hookArgs, kubeconfig);
    expect(hook.code).toBe(1);
    expect(hook.stderr).toContain('not JSON: not a Kubernetes API');
    expect(hook.stderr).not.toContain('has arrived');
    expect(api.creates('VirtualMachineInstanceMigration')).toHaveLength(0);
  });

  it.each([
    ['metadata a string', { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: 'web', spec: {} }, 'VirtualMachine whose metadata is not an object'],
    ['spec an array', { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'web' }, spec: [] }, 'VirtualMachine whose spec is not an object'],
    ['another kind', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } }, 'v1 Pod, not virtualmachines (kubevirt.io/v1)'],
    ['no kind', { metadata: { name: 'web' }, spec: {} }, 'an object without kind and apiVersion'],
  ])('JSON of the wrong shape (%s) fails pull and preflight clearly, never a TypeError', async (_, object, message) => {
    const { api, w, kubeconfig } = await hostile();
    api.inject({ method: 'GET', path: /virtualmachines\/web$/, times: 1000, body: JSON.stringify(object) });
    api.inject({ method: 'GET', path: /virtualmachineinstances\/web$/, times: 1000, body: JSON.stringify({ ...object, apiVersion: 'kubevirt.io/v1' }) });
    api.inject({ method: 'GET', path: /kubevirts$/, times: 1000, body: JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirtList', metadata: 'x', items: 'none' }) });
    const pull = await kvmigrateInProcess(['pull', 'src/web', '--out', w.path('pulled'), '--kubeconfig', kubeconfig]);
    expect(pull.code).toBe(1);
    expect(pull.stderr).toContain(message);
    const preflight = await kvmigrateInProcess(['preflight', '--config', w.path('migrations.yaml'), '--kubeconfig', kubeconfig]);
    expect(preflight.code).toBe(1);
    expect(preflight.stderr).toContain('not the Kubernetes API it should be');
    expect(preflight.stderr).not.toMatch(/TypeError|internal error/);
  });

  it.each([
    ['plain', false],
    ['gzip bomb', true],
  ])('a body past the limit (%s) fails clearly', async (_, gzip) => {
    const { api, w, kubeconfig } = await hostile();
    // 9 MiB, over the 8 MiB an object may take: as a gzip bomb it is a few kilobytes on the wire.
    api.inject({ method: 'GET', path: /virtualmachines\/web$/, times: 1000, body: `{"kind":"VirtualMachine","pad":"${' '.repeat(9 * 1024 * 1024)}"}`, gzip });
    const run = await kvmigrateInProcess(['pull', 'src/web', '--out', w.path('pulled'), '--kubeconfig', kubeconfig]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${api.url} answered with more than 8 MiB${gzip ? ' (gzip, decompressed)' : ''}; kvmigrate reads no more`);
  });

  it('a redirect is never followed: the token stays with the server it was meant for', async () => {
    const { api, w, kubeconfig } = await hostile();
    const elsewhere = await KubeApiServer.start();
    stops.push(() => elsewhere.stop());
    api.inject({ times: 1000, status: 307, body: '', headers: { Location: `${elsewhere.url}/apis/kubevirt.io/v1/namespaces/default/virtualmachines/web` } });
    const run = await kvmigrateInProcess(['pull', 'src/web', '--out', w.path('pulled'), '--kubeconfig', kubeconfig]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('kvmigrate follows no redirect');
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('every documented timeout holds against a server that accepts and never answers', () => {
  it('status --watch --timeout 3 --request-timeout 1 ends, exit 1', async () => {
    const { api, w, kubeconfig } = await hostile();
    api.inject({ times: 100_000, hang: true });
    const run = await kvmigrateInProcess(['status', '--watch', '--timeout', '3', '--request-timeout', '1', '--config', w.path('migrations.yaml'), '--kubeconfig', kubeconfig]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/gave up after 1s|timed out after 3s/);
  }, 30_000);

  it('preflight --request-timeout 1 gives up after twice that, as its --help says', async () => {
    const { api, w, kubeconfig } = await hostile();
    api.inject({ times: 100_000, hang: true });
    const run = await kvmigrateInProcess(['preflight', '--request-timeout', '1', '--config', w.path('migrations.yaml'), '--kubeconfig', kubeconfig]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('gave up after 2s');
    expect((await kvmigrateInProcess(['preflight', '--help'])).stdout).toContain('after twice --request-timeout (60s by default)');
  }, 30_000);
});

describe('never print credentials or terminal escapes', () => {
  it('a malformed kubeconfig: one line naming the file, without its token', async () => {
    const w = workspace();
    w.write('bad.kubeconfig', 'apiVersion: v1\nusers:\n- name: u\n  user:\n    token: sekrit-token-1234567890\n  : [\n');
    for (const command of ['status', 'preflight', 'pull']) {
      const args = command === 'pull' ? ['pull', 'src/web', '--out', w.path('pulled')] : [command, '--config', w.path('migrations.yaml')];
      const run = await kvmigrateInProcess([...args, '--kubeconfig', w.path('bad.kubeconfig')]);
      expect(run.code, command).toBe(1);
      expect(run.stderr).toContain('bad.kubeconfig: not valid YAML');
      expect(run.stderr).not.toContain('sekrit');
    }
    const hook = await runHookProcess([...hookArgs, '--destination-kubeconfig', w.path('bad.kubeconfig')], w.path('bad.kubeconfig'));
    expect(hook.code).toBe(1);
    expect(hook.stderr).not.toContain('sekrit');
  });

  it('a server echoing the Authorization header, with terminal escapes, in a 403 message: neither reaches the screen', async () => {
    const { api, w, kubeconfig } = await hostile();
    const message = `forbidden for Authorization: Bearer ${api.token} \x1b]0;pwned\x07\x1b[2J`;
    api.inject({ times: 1000, status: 403, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 403, reason: 'Forbidden', message: `${message} raw ${api.token}` }) });
    for (const args of [['status', '--config', w.path('migrations.yaml')], ['preflight', '--config', w.path('migrations.yaml')], ['pull', 'src/web', '--out', w.path('pulled')]]) {
      const run = await kvmigrateInProcess([...args, '--kubeconfig', kubeconfig]);
      expect(run.code, args[0]).toBe(1);
      expect(run.stderr + run.stdout).not.toContain(api.token);
      expect(run.stderr + run.stdout).not.toMatch(/[\x1b\x07]/);
      expect(run.stderr).toContain('Bearer <redacted>');
    }
    const hook = await runHookProcess(hookArgs, kubeconfig);
    expect(hook.stderr).not.toContain(api.token);
    expect(hook.stderr).not.toMatch(/[\x1b\x07]/);
  });

  it('the "Seen in the clusters" line of abort shows a phase holding escapes escaped', async () => {
    const { api, w, kubeconfig } = await hostile();
    api.put(vmi('web', 'src', 'Running\x1b]0;pwned\x07\x1b[2J'));
    const run = await kvmigrateInProcess(['abort', 'web', '--config', w.path('migrations.yaml'), '--kubeconfig', kubeconfig]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('source VMI: Running\\x1b]0;pwned\\x07\\x1b[2J');
    expect(run.stdout).not.toMatch(/[\x1b\x07]/);
  });

  it("synth's errors show a manifest path holding ESC escaped", async () => {
    const w = workspace();
    w.write('migrations.yaml', 'migrations:\n  - vm: web\n    source: { namespace: default, manifest: "vms/\\e]0;pwned\\a.yaml" }\n    destination: { namespace: dst }\n');
    const run = await kvmigrateInProcess(['synth', '--config', w.path('migrations.yaml'), '--out', w.path('out')]);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(/[\x1b\x07]/);
    expect(run.stderr).toContain('vms/\\x1b]0;pwned\\x07.yaml');
  });
});
