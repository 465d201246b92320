import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runHookProcess, type HookRun } from './support/hook-process.ts';
import { kubevirt, lease, pod } from './support/cluster-objects.ts';
import { KubeApiServer, type KubeObject } from './support/kube-api-server.ts';
const ID = '52e4398d-bdbf-42b5-b0f4-1e7c6c0a08f5-38cec1f6-43bb-412d-8477-b3d635fd7123';
const VMI = 'web';
const SEND_NAME = 'web-send-1234abcd';

let dir: string;
let servers: KubeApiServer[] = [];
let api: KubeApiServer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvmigrate-hook-'));
  api = await KubeApiServer.start();
  servers = [api];
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

// --- builders for the cluster state the hook sees ---------------------------------------------------------------

const vmi = (namespace: string, phase: string): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: VMI, namespace },
  status: { phase },
});
const receiveMigration = (status: object = { phase: 'WaitingForSync' }): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstanceMigration',
  metadata: { name: 'web-receive-1234abcd', namespace: 'dst' },
  spec: { vmiName: VMI, receive: { migrationID: ID } },
  status,
});
/** The usual same-cluster state: source VMI running, receiver parked, receive migration waiting. */
function parkedReceiver(server = api, destination = api): void {
  server.put(vmi('src', 'Running'));
  destination.put(vmi('dst', 'WaitingForSync'));
  destination.put(receiveMigration());
}

/** Runs the bundled hook as its own process, with a kubeconfig pointing at the test server. */
function runHook(extra: string[] = [], options: { server?: KubeApiServer } = {}): Promise<HookRun> {
  const kubeconfig = (options.server ?? api).writeKubeconfig(dir, 'source');
  const args = [
    'send',
    '--source-namespace', 'src',
    '--vmi', VMI,
    '--migration-id', ID,
    '--name', SEND_NAME,
    '--destination-namespace', 'dst',
    '--receive-name', 'web-receive-1234abcd',
    '--poll-interval', '0.05',
    '--timeout', '5',
    '--request-timeout', '0.5',
    ...extra,
  ];
  return runHookProcess(args, kubeconfig);
}

const sendMigrations = (server = api) => server.list('VirtualMachineInstanceMigration', 'src');

/** Exactly one sendTo migration exists, and it is the one the hook must create. */
function expectCreated(connectURL: string, server = api): void {
  const created = sendMigrations(server);
  expect(created).toHaveLength(1);
  expect(created[0]!.metadata).toMatchObject({
    name: SEND_NAME,
    namespace: 'src',
    labels: { 'app.kubernetes.io/managed-by': 'kvmigrate' },
    annotations: { 'kvmigrate.io/migration-id': ID },
  });
  expect(JSON.stringify(created[0]!.metadata)).not.toMatch(/argocd\.argoproj\.io|app\.kubernetes\.io\/instance/);
  expect(created[0]!.spec).toEqual({ vmiName: VMI, sendTo: { migrationID: ID, connectURL } });
}

const later = (ms: number, action: () => void) => setTimeout(action, ms);

describe('finding the synchronization address', () => {
  it("uses the destination KubeVirt CR's published address first", async () => {
    parkedReceiver();
    api.put(kubevirt('kubevirt', { addresses: ['10.128.0.7:9185', '10.128.0.8:9185'] }));
    api.put(receiveMigration({ phase: 'WaitingForSync', synchronizationAddresses: ['10.1.1.1:9185'] }));
    api.put(lease('sync-a'));
    api.put(pod('sync-a', { ip: '10.9.9.9' }));
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expectCreated('10.128.0.7:9185');
    expect(run.stderr).toContain('synchronization address 10.128.0.7:9185 (from KubeVirt kubevirt/kubevirt status)');
  });

  it('finds the KubeVirt CR in openshift-cnv when no namespace is given', async () => {
    parkedReceiver();
    api.put(kubevirt('openshift-cnv', { addresses: ['10.130.0.4:9185'] }));
    expect((await runHook()).code).toBe(0);
    expectCreated('10.130.0.4:9185');
  });

  it("uses the receive migration's mirrored address when the CR publishes none", async () => {
    parkedReceiver();
    api.put(kubevirt());
    api.put(receiveMigration({ phase: 'WaitingForSync', synchronizationAddresses: ['10.1.1.1:9185'] }));
    expect((await runHook()).code).toBe(0);
    expectCreated('10.1.1.1:9185');
  });

  it('falls back to Lease holder -> Pod IP on the default port', async () => {
    parkedReceiver();
    api.put(kubevirt());
    api.put(lease('sync-a'));
    api.put(pod('sync-a', { ip: '10.131.0.12' }));
    const run = await runHook();
    expect(run.code).toBe(0);
    expectCreated('10.131.0.12:9185');
    expect(run.stderr).toContain('(from Lease kubevirt/virt-synchronization-controller -> Pod sync-a)');
  });

  it('puts an IPv6 pod IP in brackets', async () => {
    parkedReceiver();
    api.put(kubevirt());
    api.put(lease('sync-a'));
    api.put(pod('sync-a', { ip: 'fd00:10:128::7' }));
    expect((await runHook()).code).toBe(0);
    expectCreated('[fd00:10:128::7]:9185');
  });

  it("uses KubeVirt's custom synchronizationPort", async () => {
    parkedReceiver();
    api.put(kubevirt('kubevirt', { port: 19185 }));
    api.put(lease('sync-a'));
    api.put(pod('sync-a', { ip: '10.131.0.12' }));
    expect((await runHook()).code).toBe(0);
    expectCreated('10.131.0.12:19185');
  });

  it('takes a static --connect-url without looking anything up', async () => {
    parkedReceiver();
    expect((await runHook(['--connect-url', 'sync.west.example:9185'])).code).toBe(0);
    expectCreated('sync.west.example:9185');
    expect(api.requests.filter((r) => /leases|pods|kubevirts/.test(r.path))).toEqual([]);
  });

  it('waits for a Lease that appears later', async () => {
    parkedReceiver();
    api.put(kubevirt());
    // Once the hook has looked for the Lease and not found it.
    api.afterRequest('GET', /leases\/virt-synchronization-controller$/, () =>
      later(100, () => {
        api.put(pod('sync-b', { ip: '10.131.0.20' }));
        api.put(lease('sync-b'));
      }),
    );
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('waiting for a leader in Lease kubevirt/virt-synchronization-controller');
    expectCreated('10.131.0.20:9185');
  });

  it('a holder pod without an IP: keeps waiting, then fails clearly and creates nothing', async () => {
    parkedReceiver();
    api.put(kubevirt());
    api.put(lease('sync-a'));
    api.put(pod('sync-a', { phase: 'Running' }));
    const run = await runHook(['--timeout', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: failed: timed out after 1s waiting for an IP for the leader pod kubevirt/sync-a');
    expect(sendMigrations()).toEqual([]);
  });

  it('virt-operator updateSynchronizationAddress: a terminating leader has no address, so the hook waits for the next one', async () => {
    parkedReceiver();
    api.put(kubevirt());
    api.put(lease('sync-a'));
    api.put({ ...pod('sync-a', { ip: '10.131.0.12' }), metadata: { ...pod('sync-a').metadata, deletionTimestamp: '2026-11-30T10:00:00Z' } });
    // Once the hook has seen the terminating leader.
    api.afterRequest('GET', /pods\/sync-a$/, () =>
      later(100, () => {
        api.put(pod('sync-b', { ip: '10.131.0.22' }));
        api.put(lease('sync-b'));
      }),
    );
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('waiting for a new leader (pod kubevirt/sync-a is terminating)');
    expectCreated('10.131.0.22:9185');
  });

  it('follows a leader change while waiting', async () => {
    parkedReceiver();
    api.put(kubevirt());
    api.put(lease('sync-a'));
    api.put(pod('sync-a', { phase: 'Pending' }));
    // Once the hook has seen the old leader's pod not running.
    api.afterRequest('GET', /pods\/sync-a$/, () =>
      later(100, () => {
        api.put(pod('sync-b', { ip: '10.131.0.21' }));
        api.put(lease('sync-b'));
        api.remove('Pod', 'kubevirt', 'sync-a');
      }),
    );
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('waiting for the leader pod kubevirt/sync-a to run (phase Pending)');
    expectCreated('10.131.0.21:9185');
  });
});

describe('waiting for the receive side', () => {
  it('waits until the receiver VMI is parked, then creates the receive migration (KubeVirt refuses it earlier)', async () => {
    api.put(vmi('src', 'Running'));
    api.put(kubevirt('kubevirt', { addresses: ['10.0.0.1:9185'] }));
    // The receiver's VMI appears only after the hook has looked for it and waited.
    api.afterRequest('GET', /namespaces\/dst\/virtualmachineinstances\/web$/, () => later(100, () => api.put(vmi('dst', 'WaitingForSync'))));
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`waiting for receiver VMI dst/${VMI} to be WaitingForSync (now: absent`);
    const [receive] = api.list('VirtualMachineInstanceMigration', 'dst');
    expect(receive!.metadata).toMatchObject({ name: 'web-receive-1234abcd', labels: { 'app.kubernetes.io/managed-by': 'kvmigrate' }, annotations: { 'kvmigrate.io/migration-id': ID } });
    expect(JSON.stringify(receive!.metadata)).not.toMatch(/argocd\.argoproj\.io/);
    expect(receive!.spec).toEqual({ vmiName: VMI, receive: { migrationID: ID } });
    expectCreated('10.0.0.1:9185');
  });

  it('a receiver that never parks: times out with a clear error, non-zero, nothing created', async () => {
    api.put(vmi('src', 'Running'));
    const run = await runHook(['--timeout', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`timed out after 1s waiting for receiver VMI dst/${VMI} to be WaitingForSync (now: absent`);
    expect(api.list('VirtualMachineInstanceMigration')).toEqual([]);
  });

  it('a receiver VM that has arrived (runStrategy restored): exit 0, nothing created, even with its migrations gone', async () => {
    api.put(vmi('src', 'Succeeded'));
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: VMI, namespace: 'dst' }, spec: { runStrategy: 'Always' } });
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`receiver VM dst/${VMI} has arrived (runStrategy Always); nothing to do`);
    expect(api.creates('VirtualMachineInstanceMigration')).toEqual([]);
  });

  it('an existing sendTo migration that Failed: non-zero (a red sync, not a green one)', async () => {
    parkedReceiver();
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: SEND_NAME, namespace: 'src' }, spec: { vmiName: VMI, sendTo: { migrationID: ID, connectURL: '10.0.0.1:9185' } }, status: { phase: 'Failed', migrationState: { failureReason: 'dial tcp: i/o timeout' } } });
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`sendTo migration src/${SEND_NAME} Failed: failureReason: dial tcp: i/o timeout`);
  });

  it('a receive migration that Failed: non-zero with its failureReason, nothing created', async () => {
    parkedReceiver();
    api.put(receiveMigration({ phase: 'Failed', migrationState: { failed: true, failureReason: 'target pod unschedulable' } }));
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('receive migration dst/web-receive-1234abcd Failed: failureReason: target pod unschedulable');
    expect(sendMigrations()).toEqual([]);
  });

  it('a receive migration that already Succeeded: exit 0 and create nothing (the sendTo side was cleaned up)', async () => {
    api.put(vmi('src', 'Succeeded'));
    api.put(receiveMigration({ phase: 'Succeeded' }));
    const run = await runHook();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('already Succeeded; nothing to do');
    expect(api.creates('VirtualMachineInstanceMigration')).toEqual([]);
  });
});

describe('idempotence: never more than one sendTo migration', () => {
  it('a re-run after success reports the existing migration and creates no second one', async () => {
    parkedReceiver();
    api.put(kubevirt('kubevirt', { addresses: ['10.0.0.1:9185'] }));
    expect((await runHook()).code).toBe(0);
    const again = await runHook();
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`sendTo migration src/${SEND_NAME} already exists for migrationID ${ID}`);
    expect(api.creates('VirtualMachineInstanceMigration')).toHaveLength(1);
    expectCreated('10.0.0.1:9185');
  });

  it('an existing object of that name for another migration: non-zero, saying what differs', async () => {
    parkedReceiver();
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: SEND_NAME, namespace: 'src' }, spec: { vmiName: VMI, sendTo: { migrationID: 'other', connectURL: '1.2.3.4:9185' } } });
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`migration src/${SEND_NAME} exists but is not ours to reuse: migrationID is "other", not "${ID}"`);
    expect(api.creates('VirtualMachineInstanceMigration')).toEqual([]);
  });

  it('409 on create, same migration created concurrently: success, still one', async () => {
    parkedReceiver();
    api.put(kubevirt('kubevirt', { addresses: ['10.0.0.1:9185'] }));
    // Between the hook's first read (404) and its create, another run creates the same migration.
    api.afterRequest('GET', new RegExp(`virtualmachineinstancemigrations/${SEND_NAME}$`), () =>
      api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: SEND_NAME, namespace: 'src' }, spec: { vmiName: VMI, sendTo: { migrationID: ID, connectURL: '10.0.0.1:9185' } } }),
    );
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expect(api.creates('VirtualMachineInstanceMigration').map((r) => r.status)).toEqual([409]);
    expect(run.stderr).toContain('was created concurrently');
    expect(sendMigrations()).toHaveLength(1);
  });

  it('409 on create with a different spec: non-zero, saying what differs', async () => {
    parkedReceiver();
    api.put(kubevirt('kubevirt', { addresses: ['10.0.0.1:9185'] }));
    api.afterRequest('GET', new RegExp(`virtualmachineinstancemigrations/${SEND_NAME}$`), () =>
      api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: SEND_NAME, namespace: 'src' }, spec: { vmiName: 'db', sendTo: { migrationID: ID, connectURL: '10.0.0.1:9185' } } }),
    );
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`vmiName is "db", not "${VMI}"`);
    expect(sendMigrations()).toHaveLength(1);
  });
});

describe('transient and permanent API failures', () => {
  it('retries 500s with backoff, then succeeds', async () => {
    parkedReceiver();
    api.put(kubevirt('kubevirt', { addresses: ['10.0.0.1:9185'] }));
    api.inject({ method: 'GET', path: /virtualmachineinstancemigrations$/, status: 500, times: 3 });
    api.inject({ method: 'POST', path: /virtualmachineinstancemigrations$/, status: 503, times: 1 });
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.match(/retry: .*HTTP 50[03]/g)).toHaveLength(4);
    expectCreated('10.0.0.1:9185');
  });

  it('retries requests that time out, then succeeds', async () => {
    parkedReceiver();
    api.put(kubevirt('kubevirt', { addresses: ['10.0.0.1:9185'] }));
    api.inject({ method: 'GET', path: /kubevirts$/, hang: true, times: 2 });
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.match(/retry: list KubeVirt in kubevirt: request timed out/g)).toHaveLength(2);
    expectCreated('10.0.0.1:9185');
  });

  it('429 is retried too', async () => {
    parkedReceiver();
    api.inject({ method: 'GET', path: /virtualmachineinstances\/web$/, status: 429, times: 1 });
    const run = await runHook(['--connect-url', '10.0.0.9:9185']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('HTTP 429');
  });

  it('a 403 fails fast, without retrying', async () => {
    parkedReceiver();
    api.inject({ method: 'GET', path: /virtualmachineinstancemigrations$/, status: 403, times: 10 });
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: failed: list migrations in dst: HTTP 403');
    expect(api.requests.filter((r) => r.status === 403)).toHaveLength(1);
  });

  it('a rejected create (admission) fails with the webhook message', async () => {
    parkedReceiver();
    // The source VMI goes between the hook's source check and its create of the sendTo migration.
    api.afterRequest('GET', /namespaces\/src\/virtualmachineinstancemigrations$/, () => api.remove('VirtualMachineInstance', 'src', VMI));
    const run = await runHook(['--connect-url', '10.0.0.9:9185']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`create migration src/${SEND_NAME}: HTTP 422: admission webhook "migration-create-validator.kubevirt.io" denied the request: the VMI "web" does not exist`);
  });
});

describe('--wait', () => {
  it('prints phase changes and exits 0 when the migration succeeds', async () => {
    parkedReceiver();
    // Each change follows one of the hook's polls (a poll ends with its list of the destination's migrations).
    const afterPoll = (action: () => void) => api.afterRequest('GET', /namespaces\/dst\/virtualmachineinstancemigrations$/, action);
    api.afterRequest('POST', /virtualmachineinstancemigrations$/, () =>
      afterPoll(() => {
        api.update('VirtualMachineInstanceMigration', 'src', SEND_NAME, (m) => (m.status = { phase: 'Synchronizing' }));
        api.put(receiveMigration({ phase: 'Running' }));
        afterPoll(() => {
          api.put(receiveMigration({ phase: 'Succeeded' }));
          api.remove('VirtualMachineInstanceMigration', 'src', SEND_NAME);
        });
      }),
    );
    const run = await runHook(['--connect-url', '10.0.0.9:9185', '--wait']);
    expect(run.code, run.stderr).toBe(0);
    const progress = run.stderr.split('\n').filter((l) => l.startsWith('progress: '));
    expect(progress).toEqual([
      'progress: send (none), receive WaitingForSync',
      'progress: send Synchronizing, receive Running',
      'progress: send (deleted), receive Succeeded',
    ]);
  });

  it('the transfer has its own clock: a migration outlasting --timeout still succeeds; one outlasting --migration-timeout fails naming it', async () => {
    parkedReceiver();
    // The receive side succeeds only after the readiness clock (1 s) has run out.
    api.afterRequest('POST', /virtualmachineinstancemigrations$/, () => later(1500, () => api.put(receiveMigration({ phase: 'Succeeded' }))));
    const outlasting = await runHook(['--connect-url', '10.0.0.9:9185', '--wait', '--timeout', '1', '--migration-timeout', '60', '--poll-interval', '0.2']);
    expect(outlasting.code, outlasting.stderr).toBe(0);

    api.remove('VirtualMachineInstanceMigration', 'src', SEND_NAME);
    api.put(receiveMigration({ phase: 'Running' }));
    const stuck = await runHook(['--connect-url', '10.0.0.9:9185', '--wait', '--migration-timeout', '1', '--poll-interval', '0.2']);
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toContain('timed out after 1s (hook.migrationTimeoutSeconds) waiting for the migration to finish');
  });

  it('exits non-zero with the reason and conditions when the migration fails', async () => {
    parkedReceiver();
    api.afterRequest('POST', /virtualmachineinstancemigrations$/, () =>
      later(150, () =>
        api.put(
          receiveMigration({
            phase: 'Failed',
            migrationState: { failed: true, failureReason: 'connection refused' },
            conditions: [{ type: 'decentralizedMigrationBlocked', status: 'True', reason: 'SyncFailed', message: 'dial tcp 10.0.0.9:9185' }],
          }),
        ),
      ),
    );
    const run = await runHook(['--connect-url', '10.0.0.9:9185', '--wait']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'receive migration dst/web-receive-1234abcd Failed: failureReason: connection refused; conditions: decentralizedMigrationBlocked=True (SyncFailed: dial tcp 10.0.0.9:9185)',
    );
  });
});

describe('cross-cluster and logging', () => {
  it('reads the destination through --destination-kubeconfig and creates on the source cluster', async () => {
    const west = await KubeApiServer.start();
    servers.push(west);
    parkedReceiver(api, west);
    west.put(kubevirt('kubevirt', { addresses: ['192.168.50.4:9185'] }));
    const run = await runHook(['--destination-kubeconfig', west.writeKubeconfig(dir, 'west')]);
    expect(run.code, run.stderr).toBe(0);
    expectCreated('192.168.50.4:9185');
    expect(west.list('VirtualMachineInstanceMigration', 'src')).toEqual([]);
    expect(api.requests.filter((r) => r.path.includes('/namespaces/dst/') || r.path.includes('kubevirts'))).toEqual([]);
    expect(west.requests.some((r) => r.path.endsWith('/namespaces/dst/virtualmachineinstancemigrations'))).toBe(true);
  });

  it('--log-format json writes one JSON object per line', async () => {
    parkedReceiver();
    const run = await runHook(['--connect-url', '10.0.0.9:9185', '--log-format', 'json']);
    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual(['start', 'exists', 'address', 'created']);
    expect(lines[3]).toMatchObject({ level: 'info', msg: `created sendTo migration src/${SEND_NAME} -> 10.0.0.9:9185` });
  });
});

// Issue 18: a hook that never strands a migration.
describe('the source side, checked as KubeVirt will admit the sendTo (migration-create-admitter.go)', () => {
  /** The receiver parked and an address published; no receive migration yet, so the hook would create one. */
  function parkedOnly(): void {
    api.put(vmi('dst', 'WaitingForSync'));
    api.put(kubevirt('kubevirt', { addresses: ['10.0.0.9:9185'] }));
  }
  const allMigrations = () => api.list('VirtualMachineInstanceMigration');

  it('Admit: a missing source VMI fails saying so and creates nothing (no receive migration left waiting)', async () => {
    parkedOnly();
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: failed: source VMI src/${VMI} does not exist`);
    expect(api.creates('VirtualMachineInstanceMigration')).toEqual([]);
  });

  it('Admit (vmi.IsFinal) and the Pending phase (vmi.IsRunning): a source VMI that does not run fails with its phase, nothing created', async () => {
    parkedOnly();
    api.put(vmi('src', 'Scheduling'));
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`source VMI src/${VMI} is Scheduling, not Running`);
    expect(allMigrations()).toEqual([]);
  });

  it('isMigratable: LiveMigratable=False fails, nothing created; DisksNotLiveMigratable is no obstacle to a decentralized move', async () => {
    parkedOnly();
    api.put({ ...vmi('src', 'Running'), status: { phase: 'Running', conditions: [{ type: 'LiveMigratable', status: 'False', reason: 'InterfaceNotLiveMigratable', message: 'bridge interface' }] } });
    const refused = await runHook();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not live-migratable (LiveMigratable=False, InterfaceNotLiveMigratable: bridge interface)');
    expect(allMigrations()).toEqual([]);

    api.put({ ...vmi('src', 'Running'), status: { phase: 'Running', conditions: [{ type: 'LiveMigratable', status: 'False', reason: 'DisksNotLiveMigratable' }] } });
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expectCreated('10.0.0.9:9185');
  });

  it('ensureNoMigrationConflict: another unfinished migration of the source VMI fails, naming it, nothing created', async () => {
    parkedOnly();
    api.put(vmi('src', 'Running'));
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'evacuation-x1', namespace: 'src' }, spec: { vmiName: VMI }, status: { phase: 'Running' } });
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`source VMI src/${VMI} is already in migration evacuation-x1 (phase Running)`);
    expect(api.creates('VirtualMachineInstanceMigration')).toEqual([]);
  });
});

describe('an attempt that cannot go on: the hook deletes its own receive migration (either side cancels both since v1.7: synchronization-controller needsOrphanSourceAbortSync)', () => {
  const RECEIVE = 'web-receive-1234abcd';
  const deletes = () => api.requests.filter((r) => r.method === 'DELETE');
  function parkedWithSource(): void {
    api.put(vmi('src', 'Running'));
    api.put(vmi('dst', 'WaitingForSync'));
  }

  it('a refused sendTo: the receive migration it created is deleted by name with a uid precondition', async () => {
    parkedWithSource();
    api.put(kubevirt('kubevirt', { addresses: ['10.0.0.9:9185'] }));
    api.afterRequest('GET', /namespaces\/src\/virtualmachineinstancemigrations$/, () => api.remove('VirtualMachineInstance', 'src', VMI));
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('denied the request');
    expect(run.stderr).toContain(`cleanup: deleted receive migration dst/${RECEIVE}`);
    expect(deletes()).toEqual([expect.objectContaining({ path: `/apis/kubevirt.io/v1/namespaces/dst/virtualmachineinstancemigrations/${RECEIVE}`, status: 200 })]);
    expect(deletes()[0]!.body.preconditions.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(api.list('VirtualMachineInstanceMigration', 'dst')).toEqual([]);
  });

  it('no address before the timeout: the receive migration is deleted, and a retry is admitted', async () => {
    parkedWithSource();
    api.put(kubevirt());
    const run = await runHook(['--timeout', '1', '--published-address-only']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('timed out after 1s waiting for KubeVirt to publish the synchronization address');
    expect(run.stderr).toContain(`cleanup: deleted receive migration dst/${RECEIVE}`);
    expect(api.list('VirtualMachineInstanceMigration', 'dst')).toEqual([]);
  });

  it("a namesake that is not the hook's (no label, or another migrationID) is left alone", async () => {
    parkedWithSource();
    api.put(kubevirt());
    api.put(receiveMigration());
    const run = await runHook(['--timeout', '1', '--published-address-only']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`receive migration dst/${RECEIVE} is not this hook's`);
    expect(deletes()).toEqual([]);
    expect(api.list('VirtualMachineInstanceMigration', 'dst')).toHaveLength(1);
  });

  it('a Failed sendTo side: the waiting receive migration is deleted', async () => {
    parkedWithSource();
    api.put({ ...receiveMigration(), metadata: { ...receiveMigration().metadata, labels: { 'app.kubernetes.io/managed-by': 'kvmigrate' }, annotations: { 'kvmigrate.io/migration-id': ID } } });
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: SEND_NAME, namespace: 'src' }, spec: { vmiName: VMI, sendTo: { migrationID: ID, connectURL: '10.0.0.9:9185' } }, status: { phase: 'Failed' } });
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`sendTo migration src/${SEND_NAME} Failed`);
    expect(run.stderr).toContain(`cleanup: deleted receive migration dst/${RECEIVE}`);
  });

  it('--wait: a sendTo stuck in Synchronizing (migration.go MigrationSynchronizing has no timeout) past --synchronizing-timeout fails saying what happened and how to retry', async () => {
    parkedWithSource();
    // virt-controller moves the new sendTo to Synchronizing; nothing answers at the address, so it stays there.
    api.afterRequest('POST', /namespaces\/src\/virtualmachineinstancemigrations$/, () =>
      api.update('VirtualMachineInstanceMigration', 'src', SEND_NAME, (m) => (m.status = { phase: 'Synchronizing' })),
    );
    const run = await runHook(['--connect-url', '10.0.0.9:9185', '--wait', '--synchronizing-timeout', '0.5']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`sendTo migration src/${SEND_NAME} stayed Synchronizing for 0.5s (hook.synchronizingTimeoutSeconds)`);
    expect(run.stderr).toContain('at 10.0.0.9:9185');
    expect(run.stderr).toContain(`kvmigrate retry ${VMI}`);
    expect(run.stderr).toContain(`cleanup: deleted receive migration dst/${RECEIVE}`);
  });
});

describe('choosing among the published addresses (virt-operator updateSynchronizationAddress, getIpsFromAnnotations)', () => {
  const listeners: Server[] = [];
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => new Promise((resolve) => l.close(resolve))));
  });
  /** A TCP listener on `host`, and its port. */
  async function listening(host: string): Promise<number> {
    const server = createServer((socket) => socket.destroy());
    listeners.push(server);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return (server.address() as { port: number }).port;
  }
  /** A port nothing listens on: bound, then closed. */
  async function closedPort(host: string): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it('takes the first published address that answers a TCP connect from where the hook runs', async () => {
    parkedReceiver();
    const [closed, open] = [await closedPort('127.0.0.2'), await listening('127.0.0.1')];
    api.put(kubevirt('kubevirt', { addresses: [`127.0.0.2:${closed}`, `127.0.0.1:${open}`] }));
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expectCreated(`127.0.0.1:${open}`);
    expect(run.stderr).toContain(`probe: 127.0.0.2:${closed} does not answer a TCP connect from here`);
  });

  it('--address-family IPv6 takes the IPv6 address of a dual-stack leader; --no-address-probe takes the first listed', async () => {
    parkedReceiver();
    const [v4, v6] = [await listening('127.0.0.1'), await listening('::1')];
    api.put(kubevirt('kubevirt', { addresses: [`127.0.0.1:${v4}`, `[::1]:${v6}`] }));
    const run = await runHook(['--address-family', 'IPv6']);
    expect(run.code, run.stderr).toBe(0);
    expectCreated(`[::1]:${v6}`);

    api.remove('VirtualMachineInstanceMigration', 'src', SEND_NAME);
    const closed = await closedPort('127.0.0.2');
    api.put(kubevirt('kubevirt', { addresses: [`127.0.0.2:${closed}`, `127.0.0.1:${v4}`] }));
    const unprobed = await runHook(['--no-address-probe']);
    expect(unprobed.code, unprobed.stderr).toBe(0);
    expectCreated(`127.0.0.2:${closed}`);
    expect(unprobed.stderr).not.toContain('probe:');
  });

  it("the Lease fallback takes the leader's migration network address (Multus network-status, interface migration0)", async () => {
    parkedReceiver();
    api.put(kubevirt());
    api.put(lease('sync-a'));
    const leader = pod('sync-a', { ip: '10.131.0.12' });
    leader.metadata.annotations = {
      'k8s.v1.cni.cncf.io/network-status': JSON.stringify([
        { name: 'ovn-kubernetes', interface: 'eth0', ips: ['10.131.0.12'], default: true },
        { name: 'kubevirt/migration-net', interface: 'migration0', ips: ['192.168.77.5'] },
      ]),
    };
    api.put(leader);
    const run = await runHook();
    expect(run.code, run.stderr).toBe(0);
    expectCreated('192.168.77.5:9185');
  });
});

describe('what the hook reports while it follows (--wait)', () => {
  it("does not report synchronization-controller's 'waiting for incoming synchronization' as a failure, but reports a real one", async () => {
    parkedReceiver();
    const condition = (message: string) => ({ type: 'DecentralizedLiveMigrationFailure', status: 'True', reason: 'DecentralizedNotLiveMigratable', message });
    api.put({ ...vmi('dst', 'WaitingForSync'), status: { phase: 'WaitingForSync', conditions: [condition('waiting for incoming synchronization, unable to proceed')] } });
    const afterPoll = (action: () => void) => api.afterRequest('GET', /namespaces\/dst\/virtualmachineinstances\/web$/, action);
    api.afterRequest('POST', /virtualmachineinstancemigrations$/, () =>
      afterPoll(() => {
        api.put({ ...vmi('dst', 'WaitingForSync'), status: { phase: 'WaitingForSync', conditions: [condition('x509 hostname error')] } });
        afterPoll(() => api.put(receiveMigration({ phase: 'Succeeded' })));
      }),
    );
    const run = await runHook(['--connect-url', '10.0.0.9:9185', '--wait']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('waiting for incoming synchronization');
    expect(run.stderr).toContain('(receiver VMI: DecentralizedLiveMigrationFailure: DecentralizedNotLiveMigratable (x509 hostname error))');
  });

  it('handleTargetPodCreation: a Pending receive side behind parallelOutboundMigrationsPerNode is reported as Queued', async () => {
    parkedReceiver();
    api.put(receiveMigration({ phase: 'Pending' }));
    // Two other decentralized targets run; their VMIs, like ours, have no node yet: they count against the same one.
    for (const name of ['db1', 'db2']) {
      api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: 'other' }, status: { phase: 'WaitingForSync' } });
      api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: `${name}-receive`, namespace: 'other' }, spec: { vmiName: name, receive: { migrationID: name } }, status: { phase: 'Running' } });
    }
    api.put({ ...vmi('dst', 'WaitingForSync'), status: { phase: 'WaitingForSync' } });
    api.afterRequest('POST', /virtualmachineinstancemigrations$/, () => later(300, () => api.put(receiveMigration({ phase: 'Succeeded' }))));
    const run = await runHook(['--connect-url', '10.0.0.9:9185', '--wait']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('progress: send (none), receive Queued (parallelOutboundMigrationsPerNode: 2 of 2 running)');
  });
});
