import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { kvmigrateInProcess } from './support/cli.ts';
import { hookMigration, kubevirt, vmi } from './support/cluster-objects.ts';
import { KubeApiServer, type KubeObject } from './support/kube-api-server.ts';
import { synth } from './support/synth.ts';

const servers: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const ANSI = /\x1b\[/;
const later = (ms: number, action: () => void) => setTimeout(action, ms);

interface Lab {
  readonly api: KubeApiServer;
  readonly workspace: Workspace;
  readonly receiveName: string;
  readonly sendName: string;
  readonly migrationID: string;
}

/** A same-cluster migration of VM `web` with its objects parked, as at the start of a migration. */
async function lab(): Promise<Lab> {
  const api = await KubeApiServer.start();
  servers.push(api);
  const workspace = new Workspace();
  const machine = vm('web', withDataVolume('root', 'web-root'), withDataVolumeTemplate('web-root', { size: '1Gi' }));
  workspace.setup({ migrations: [migration('web', { connectURL: '10.0.0.9:9185' })] }, { web: [machine] });
  const { plans, objects } = synth(workspace);
  const plan = plans[0]!;
  api.put({ ...(machine as KubeObject), status: { printableStatus: 'Running' } });
  api.put(vmi('web', 'src', 'Running'));
  const receiver = objects.find((o) => o.kind === 'VirtualMachine')!;
  api.put({ ...(receiver as KubeObject), status: { created: true, printableStatus: 'WaitingForReceiver' } });
  api.put(vmi('web', 'dst', 'WaitingForSync'));
  // Both migrations as the hook creates them.
  api.put(hookMigration(plan.receiveMigrationName, 'dst', { receive: { migrationID: plan.migrationID } }, 'WaitingForSync'));
  api.put(hookMigration(plan.sendMigrationName, 'src', { sendTo: { migrationID: plan.migrationID, connectURL: '10.0.0.9:9185' } }, 'Synchronizing'));
  return { api, workspace, receiveName: plan.receiveMigrationName, sendName: plan.sendMigrationName, migrationID: plan.migrationID };
}

const status = (l: Lab, args: string[], tty = false) => kvmigrateInProcess(['status', '--config', l.workspace.path('migrations.yaml'), '--kubeconfig', l.api.writeKubeconfig(l.workspace.dir), ...args], { tty });

/** Moves the receive side through `phases`, one every `ms`, with the VMIs' live migration state. */
function script(l: Lab, phases: string[], ms: number, last?: (l: Lab) => void): void {
  phases.forEach((phase, index) =>
    later(ms * (index + 1), () => {
      l.api.update('VirtualMachineInstanceMigration', 'dst', l.receiveName, (m) => (m.status = { phase }));
      if (phase === 'Running') {
        l.api.update('VirtualMachineInstance', 'src', 'web', (v) => (v.status.migrationState = { mode: 'PreCopy', startTimestamp: '2026-11-27T10:00:00Z' }));
      }
      if (index === phases.length - 1) last?.(l);
    }),
  );
}

describe('kvmigrate status', () => {
  it('for a fleet: one table grouped by batch and cluster, the same in -o json, exit code from the worst', async () => {
    const l = await lab();
    const machine = (name: string) => vm(name, withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size: '1Gi' }));
    // web (in flight) listed first but in batch 2; db (nothing in the cluster yet) in batch 1.
    l.workspace.setup(
      { migrations: [migration('web', { connectURL: '10.0.0.9:9185', batch: 2 }), migration('db', { batch: 1 })] },
      { web: [machine('web')], db: [machine('db')] },
    );
    const run = await status(l, []);
    expect(run.stdout).toMatch(/^BATCH\s+CLUSTER\s+MIGRATION\s+PHASE\s/);
    expect(run.stdout.split('\n').slice(1, 3).map((line) => line.split(/\s+/).slice(0, 3).join(' '))).toEqual(['1 default db', '2 default web']);
    const json = JSON.parse((await status(l, ['-o', 'json'])).stdout);
    expect(json.map((m: Record<string, unknown>) => [m.batch, m.cluster, m.name])).toEqual([
      [1, 'default', 'db'],
      [2, 'default', 'web'],
    ]);
    l.api.update('VirtualMachineInstanceMigration', 'dst', l.receiveName, (m) => (m.status = { phase: 'Failed' }));
    expect((await status(l, [])).code).toBe(1);
  });

  it('shows both ends and both migrations as a table', async () => {
    const l = await lab();
    const run = await status(l, []);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(ANSI);
    expect(run.stdout).toMatch(/^MIGRATION\s+PHASE\s+SOURCE VM\/VMI\s+RECEIVER VM\/VMI\s+RECEIVE\s+SEND\s+MODE\s+STARTED\s+ELAPSED\s+RESULT\n/);
    expect(run.stdout).toMatch(/\nweb\s+migrate\s+Running\/Running\s+WaitingForReceiver\/WaitingForSync\s+WaitingForSync\s+Synchronizing\s+-\s+-\s+-\s+InProgress\n$/);
  });

  it('-o json gives each migration with its phases, mode, times and outcome', async () => {
    const l = await lab();
    l.api.update('VirtualMachineInstanceMigration', 'dst', l.receiveName, (m) => (m.status = { phase: 'Running' }));
    l.api.update('VirtualMachineInstance', 'src', 'web', (v) => (v.status.migrationState = { mode: 'PostCopy', startTimestamp: '2026-11-27T10:00:00Z', endTimestamp: '2026-11-27T10:02:05Z' }));
    const [web] = JSON.parse((await status(l, ['-o', 'json'])).stdout);
    expect(web).toMatchObject({
      name: 'web',
      receiveMigration: 'Running',
      sendMigration: 'Synchronizing',
      mode: 'PostCopy',
      startTimestamp: '2026-11-27T10:00:00Z',
      elapsedSeconds: 125,
      outcome: 'InProgress',
    });
    // The phases say where a migration stands, not how much of it is done: no percentage without the bytes.
    expect(web).not.toHaveProperty('progress');
  });

  it('before the first sync: NotSynced, saying what is missing, not InProgress', async () => {
    const l = await lab();
    l.api.remove('VirtualMachine', 'dst', 'web');
    l.api.remove('VirtualMachineInstance', 'dst', 'web');
    l.api.remove('VirtualMachineInstanceMigration', 'dst', l.receiveName);
    l.api.remove('VirtualMachineInstanceMigration', 'src', l.sendName);
    const run = await status(l, []);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\nweb\s+migrate\s+Running\/Running\s+-\/-\s+-\s+-\s+-\s+-\s+-\s+NotSynced\n/);
    expect(run.stdout).toContain('web: not synced yet: no receiver VM dst/web and no migrations; commit the synthesized folder and let Argo CD sync it\n');
    const [web] = JSON.parse((await status(l, ['-o', 'json'])).stdout);
    expect(web).toMatchObject({ outcome: 'NotSynced', missing: expect.stringContaining('no receiver VM dst/web') });
    // --watch waits for it: not synced is not an end.
    const watched = await status(l, ['--watch', '--timeout', '0.5']);
    expect(watched.code).toBe(1);
    expect(watched.stdout).toBe('web: receive -, send -, source VMI Running, receiver VMI - not synced yet: no receiver VM dst/web and no migrations; commit the synthesized folder and let Argo CD sync it\n');
  });

  it('filters: a migration name, --namespace and --cluster at either end', async () => {
    const l = await lab();
    const names = async (args: string[]) => JSON.parse((await status(l, [...args, '-o', 'json'])).stdout).map((m: { name: string }) => m.name);
    expect(await names(['web'])).toEqual(['web']);
    expect(await names(['--namespace', 'src'])).toEqual(['web']);
    expect(await names(['--namespace', 'dst', '--cluster', 'default'])).toEqual(['web']);
    const none = await status(l, ['--namespace', 'elsewhere']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: no migration in .*migrations\.yaml has namespace "elsewhere" at either end\n/);
    expect((await status(l, ['nope'])).stderr).toMatch(/^error: no migration named "nope"/);
  });

  it('a failed migration: reason and conditions, exit 1', async () => {
    const l = await lab();
    l.api.update('VirtualMachineInstanceMigration', 'dst', l.receiveName, (m) => {
      m.status = { phase: 'Failed', migrationState: { failureReason: 'target pod unschedulable' }, conditions: [{ type: 'decentralizedMigrationBlocked', status: 'True', reason: 'SyncFailed' }] };
    });
    const run = await status(l, []);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('web: Failed: target pod unschedulable (decentralizedMigrationBlocked: SyncFailed)');
  });

  it("synchronization-controller's 'waiting for incoming synchronization' condition is no failure; a real one is reported", async () => {
    const l = await lab();
    const condition = (message: string) => ({ type: 'DecentralizedLiveMigrationFailure', status: 'True', reason: 'DecentralizedNotLiveMigratable', message });
    l.api.update('VirtualMachineInstance', 'dst', 'web', (v) => (v.status.conditions = [condition('waiting for incoming synchronization, unable to proceed')]));
    const [waiting] = JSON.parse((await status(l, ['-o', 'json'])).stdout);
    expect(waiting).toMatchObject({ outcome: 'InProgress', conditions: [] });
    l.api.update('VirtualMachineInstanceMigration', 'dst', l.receiveName, (m) => (m.status = { phase: 'Failed', migrationState: { failureReason: 'connection refused' } }));
    const failed = await status(l, []);
    expect(failed.stdout).toContain('web: Failed: connection refused\n');
    l.api.update('VirtualMachineInstance', 'dst', 'web', (v) => (v.status.conditions = [condition('x509 hostname error')]));
    expect((await status(l, [])).stdout).toContain('web: Failed: connection refused (DecentralizedLiveMigrationFailure: DecentralizedNotLiveMigratable (x509 hostname error))');
  });

  it('handleTargetPodCreation: a Pending receive side behind parallelMigrationsPerCluster shows as Queued, in the table and in JSON', async () => {
    const l = await lab();
    l.api.put({ ...kubevirt('kubevirt'), spec: { configuration: { migrations: { parallelMigrationsPerCluster: 1 } } } });
    l.api.put(vmi('db', 'other', 'Running'));
    l.api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'db-evacuation', namespace: 'other' }, spec: { vmiName: 'db' }, status: { phase: 'Running' } });
    l.api.update('VirtualMachineInstanceMigration', 'dst', l.receiveName, (m) => (m.status = { phase: 'Pending' }));
    const table = await status(l, []);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/\nweb\s+migrate\s.*\sQueued\n/);
    expect(table.stdout).toContain('web: Queued (parallelMigrationsPerCluster: 1 of 1 running)');
    const [web] = JSON.parse((await status(l, ['-o', 'json'])).stdout);
    expect(web).toMatchObject({ outcome: 'InProgress', queued: { limit: 'parallelMigrationsPerCluster', running: 1, max: 1 } });
    // Once the other migration ends, it is simply Pending.
    l.api.update('VirtualMachineInstanceMigration', 'other', 'db-evacuation', (m) => (m.status = { phase: 'Succeeded' }));
    expect(JSON.parse((await status(l, ['-o', 'json'])).stdout)[0].queued).toBeUndefined();
  });

  it('--watch without a terminal prints a plain line per change until Succeeded, across a watch reconnect', async () => {
    const l = await lab();
    // Once status watches: the receive side moves on; the API server ends its watch streams mid-way (the rest must
    // still arrive); at last the migration succeeds and virt-controller deletes the sending side.
    l.api.afterRequest('GET', /namespaces\/dst\/virtualmachineinstancemigrations$/, () => {
      script(l, ['Pending', 'Scheduling', 'Scheduled'], 80);
      later(300, () => expect(l.api.dropWatches()).toBeGreaterThan(0));
      later(400, () => script(l, ['PreparingTarget', 'TargetReady', 'Running'], 80));
      later(1500, () => {
        l.api.update('VirtualMachineInstanceMigration', 'dst', l.receiveName, (m) => (m.status = { phase: 'Succeeded' }));
        l.api.remove('VirtualMachineInstanceMigration', 'src', l.sendName);
      });
    });
    const run = await status(l, ['--watch', '--timeout', '20']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(ANSI);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('web: receive WaitingForSync, send Synchronizing, source VMI Running, receiver VMI WaitingForSync');
    expect(lines.at(-1)).toBe('web: receive Succeeded, send -, source VMI Running, receiver VMI WaitingForSync, mode PreCopy [100%] Succeeded');
    expect(lines.some((line) => line.includes('receive Running') && line.includes('mode PreCopy'))).toBe(true);
    // Reconnected: more watch requests than the four streams opened at the start.
    expect(l.api.watchRequests.length).toBeGreaterThan(4);
  });

  it('--watch ends with exit 1 when the migration fails', async () => {
    const l = await lab();
    later(150, () => l.api.update('VirtualMachineInstanceMigration', 'src', l.sendName, (m) => (m.status = { phase: 'Failed', migrationState: { failureReason: 'connection refused' } })));
    const run = await status(l, ['--watch', '--timeout', '20']);
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n').at(-1)).toContain('Failed: connection refused');
  });

  it('--watch gives up at --timeout with exit 1', async () => {
    const l = await lab();
    const run = await status(l, ['--watch', '--timeout', '0.5']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('timed out after 0.5s; still running: web');
  });

  it('--watch on a terminal draws a progress bar with the bytes from Prometheus', async () => {
    const l = await lab();
    l.api.update('VirtualMachineInstanceMigration', 'dst', l.receiveName, (m) => (m.status = { phase: 'Running' }));
    l.api.update('VirtualMachineInstance', 'src', 'web', (v) => (v.status.migrationState = { mode: 'PreCopy', startTimestamp: new Date(Date.now() - 65_000).toISOString() }));
    const queries: string[] = [];
    const prometheus = await fakePrometheus((query) => {
      // The first frame has its bytes: then the migration ends.
      if (queries.length === 0) later(100, () => l.api.update('VirtualMachineInstanceMigration', 'dst', l.receiveName, (m) => (m.status = { phase: 'Succeeded' })));
      queries.push(query);
      return query.startsWith('kubevirt_vmi_migration_data_processed_bytes') ? 3 * 2 ** 30 : 2 ** 30;
    });
    const run = await status(l, ['--watch', '--timeout', '20', '--prometheus', prometheus], true);
    expect(run.code, run.stderr).toBe(0);
    const plain = run.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(plain).toMatch(/web {8}█{18}░{6}  75%  Running  PreCopy  1m\ds  3\.0 GiB\/4\.0 GiB\n/);
    expect(plain).toMatch(/web {8}█{24} 100%  Succeeded  PreCopy/);
    expect(queries).toContain('kubevirt_vmi_migration_data_processed_bytes{namespace="src",name="web"}');
    // Colour is on for a terminal ...
    expect(run.stdout).toContain('\x1b[33m');
  });

  it('... and off with NO_COLOR', async () => {
    const l = await lab();
    l.api.update('VirtualMachineInstanceMigration', 'dst', l.receiveName, (m) => (m.status = { phase: 'Succeeded' }));
    process.env.NO_COLOR = '1';
    try {
      const run = await status(l, ['--watch'], true);
      expect(run.stdout).not.toMatch(/\x1b\[\d+m/);
    } finally {
      delete process.env.NO_COLOR;
    }
  });
});

/** A Prometheus HTTP API on 127.0.0.1 answering instant queries with `value(query)`. */
async function fakePrometheus(value: (query: string) => number): Promise<string> {
  const server: Server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams.get('query') ?? '';
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1764237600, String(value(query))] }] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ stop: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
