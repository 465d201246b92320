// Clusters that misbehave, and what a user sees: a fast, one-line failure, never a false PASS, JSON when asked for.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../lib/cli/main.ts';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
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

async function kvmigrate(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
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
    const run = await kvmigrate(['preflight', '--config', w.path('migrations.yaml'), '--kubeconfig', kubeconfigFor(w, `http://127.0.0.1:${port}`)]);
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
      const run = await kvmigrate([command, '--config', w.path('migrations.yaml'), '--kubeconfig', kubeconfigFor(w, server)]);
      expect(run.code, command).toBe(1);
      expect(run.stderr).toContain('the server is not a Kubernetes API');
      expect(run.stdout).not.toContain('PASS');
    }
  });

  it('-o json reports an error as one JSON object, with the same exit code', async () => {
    const w = workspace();
    w.write('migrations.yaml', 'migrations: [\n');
    const broken = await kvmigrate(['synth', '--config', w.path('migrations.yaml'), '-o', 'json']);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout);
    expect(report.error).toMatchObject({ kind: 'input', exitCode: 1, diagnostics: [expect.objectContaining({ severity: 'error', location: expect.objectContaining({ line: expect.any(Number) }) })] });
    const usage = await kvmigrate(['status', '--nope', '-o', 'json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout).error).toMatchObject({ kind: 'usage', exitCode: 2 });
  });

  it("a usage error points to the subcommand's --help", async () => {
    const run = await kvmigrate(['preflight', '--nope']);
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
    const run = await kvmigrate(['status', '--config', w.path('migrations.yaml'), '--kubeconfig', api.writeKubeconfig(w.dir)]);
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
