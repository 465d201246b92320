import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeApiServer } from './support/kube-api-server.ts';

// The test API server is only worth its name if the real client sees Kubernetes behaviour: these tests pin that.
let api: KubeApiServer;
let dir: string;
let config: KubeConfig;

beforeEach(async () => {
  api = await KubeApiServer.start();
  dir = mkdtempSync(join(tmpdir(), 'kvmigrate-api-'));
  config = new KubeConfig();
  config.loadFromFile(api.writeKubeconfig(dir));
});
afterEach(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

const vmim = (name: string, namespace = 'ns') => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstanceMigration',
  metadata: { name, namespace },
  spec: { vmiName: 'vm', receive: { migrationID: 'id' } },
});
const target = { group: 'kubevirt.io', version: 'v1', namespace: 'ns', plural: 'virtualmachineinstancemigrations' };

async function failure(promise: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) return { code: error.code, body: typeof error.body === 'string' ? JSON.parse(error.body) : error.body };
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('the test Kubernetes API server, through the real client', () => {
  it('create stamps uid, resourceVersion and creationTimestamp; resourceVersion grows with every change', async () => {
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm', namespace: 'ns' }, status: { phase: 'WaitingForSync' } });
    const custom = config.makeApiClient(CustomObjectsApi);
    const created = await custom.createNamespacedCustomObject({ ...target, body: vmim('a') });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const updated = api.update('VirtualMachineInstanceMigration', 'ns', 'a', (m) => (m.status = { phase: 'Running' }));
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    expect(updated.metadata.uid).toBe(created.metadata.uid);
  });

  it('answers 404, 409 and 422 with Kubernetes Status bodies', async () => {
    const custom = config.makeApiClient(CustomObjectsApi);
    expect(await failure(custom.getNamespacedCustomObject({ ...target, name: 'nope' }))).toMatchObject({
      code: 404,
      body: { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 },
    });
    // KubeVirt's admission: the VMI must exist first.
    expect(await failure(custom.createNamespacedCustomObject({ ...target, body: vmim('a') }))).toMatchObject({ code: 422, body: { reason: 'Invalid' } });
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm', namespace: 'ns' }, status: { phase: 'WaitingForSync' } });
    await custom.createNamespacedCustomObject({ ...target, body: vmim('a') });
    expect(await failure(custom.createNamespacedCustomObject({ ...target, body: vmim('a') }))).toMatchObject({
      code: 409,
      body: { reason: 'AlreadyExists', details: { name: 'a', group: 'kubevirt.io' } },
    });
    // A second unfinished migration for the same VMI is refused, as virt-api does.
    expect((await failure(custom.createNamespacedCustomObject({ ...target, body: vmim('b') }))).body.message).toContain('in-flight migration detected');
  });

  it('streams watch events as JSON lines, from a resourceVersion on', async () => {
    const first = api.put(vmim('a'));
    const events: [string, string, string | undefined][] = [];
    const done = new Promise<void>((resolve) => {
      void new Watch(config).watch(
        '/apis/kubevirt.io/v1/namespaces/ns/virtualmachineinstancemigrations',
        { resourceVersion: first.metadata.resourceVersion },
        (type, object) => {
          events.push([type, object.metadata.name, object.status?.phase]);
          if (type === 'DELETED') resolve();
        },
        () => resolve(),
      );
    });
    await new Promise((r) => setTimeout(r, 50));
    api.put(vmim('b'));
    api.update('VirtualMachineInstanceMigration', 'ns', 'b', (m) => (m.status = { phase: 'Succeeded' }));
    api.remove('VirtualMachineInstanceMigration', 'ns', 'b');
    await done;
    expect(events).toEqual([
      ['ADDED', 'b', undefined],
      ['MODIFIED', 'b', 'Succeeded'],
      ['DELETED', 'b', 'Succeeded'],
    ]);
  });

  it('refuses a wrong token with 401, and injected faults with their status', async () => {
    const stranger = new KubeConfig();
    stranger.loadFromOptions({
      clusters: [{ name: 'c', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'wrong' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect((await failure(stranger.makeApiClient(CustomObjectsApi).listNamespacedCustomObject(target))).code).toBe(401);
    api.inject({ method: 'GET', path: /virtualmachineinstancemigrations$/, status: 503 });
    const custom = config.makeApiClient(CustomObjectsApi);
    expect((await failure(custom.listNamespacedCustomObject(target))).code).toBe(503);
    expect((await custom.listNamespacedCustomObject(target)).items).toEqual([]);
  });
});
