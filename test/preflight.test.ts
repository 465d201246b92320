import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../lib/cli/main.ts';
import { migration, vm, withDataVolume, withDataVolumeTemplate, withVolume, Workspace } from './support/builders.ts';
import { caBundle, kubevirt, lease, namespace, node, pod, secret, storageClass, vmi } from './support/cluster-objects.ts';
import { KubeApiServer, type KubeObject } from './support/kube-api-server.ts';

const servers: KubeApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function cluster(): Promise<KubeApiServer> {
  const api = await KubeApiServer.start();
  servers.push(api);
  return api;
}

const MAC = '02:00:00:00:00:01';
const sourceVm = () =>
  vm('web', withDataVolume('root', 'web-root'), withDataVolumeTemplate('web-root', { size: '10Gi', storageClassName: 'fast' }), withVolume({ name: 'ci', cloudInitNoCloud: { userDataSecretRef: { name: 'web-userdata' } } }));

/** A cluster where every check passes: both ends of a same-cluster move (or, with `side`, one end of a cross-cluster one). */
function healthy(api: KubeApiServer, side: 'both' | 'source' | 'destination' = 'both'): void {
  api.put(kubevirt('kubevirt', { addresses: ['10.128.0.9:9185'] }));
  api.put(lease('sync-a'));
  api.put(pod('sync-a', { ip: '10.128.0.9' }));
  if (side !== 'destination') {
    api.put(sourceVm() as KubeObject);
    api.put(vmi('web', 'src', 'Running', [{ type: 'LiveMigratable', status: 'True' }, { type: 'StorageLiveMigratable', status: 'True' }]));
    api.put(node('worker-1'));
    api.put(node('worker-2'));
  }
  if (side !== 'source') {
    api.put(namespace('dst'));
    api.put(storageClass('fast'));
    api.put(secret('web-userdata', 'dst'));
  }
}

async function preflight(workspace: Workspace, api: KubeApiServer, args: string[] = []) {
  let stdout = '';
  let stderr = '';
  const code = await main(['preflight', '--config', workspace.path('migrations.yaml'), '--kubeconfig', api.writeKubeconfig(workspace.dir, 'kube'), ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

function sameClusterWorkspace(): Workspace {
  const workspace = new Workspace();
  workspace.setup({ migrations: [migration('web')] }, { web: [sourceVm()] });
  return workspace;
}

/** The result of each check, by name. */
async function results(api: KubeApiServer, workspace = sameClusterWorkspace()): Promise<Record<string, string>> {
  const run = await preflight(workspace, api, ['-o', 'json']);
  const report = JSON.parse(run.stdout);
  return Object.fromEntries(report.migrations[0].checks.map((c: { check: string; result: string }) => [c.check, c.result]));
}

describe('kvmigrate preflight, same cluster', () => {
  it('passes every check on a ready cluster, as a table, exit 0', async () => {
    const api = await cluster();
    healthy(api);
    const run = await preflight(sameClusterWorkspace(), api);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toContain('\x1b[');
    expect(run.stdout).toContain('web: default/src -> default/dst\n  CHECK                    RESULT  DETAIL\n  source: feature gate     PASS    DecentralizedLiveMigration listed in the KubeVirt CR\n');
    expect(run.stdout).toMatch(/\n11 checks: 10 pass, 1 warn, 0 fail\n$/);
    // The source VM itself carries the MAC in this cluster: only a warning, naming the kubemacpool fix.
    expect(run.stdout).toContain('02:00:00:00:00:01 on the source VM itself');
    expect(run.stdout).toContain('fix: kubemacpool older than v0.51 rejects duplicate MACs');
  });

  it.each<[string, (api: KubeApiServer) => void, string, string]>([
    ['no KubeVirt at all', (api) => api.remove('KubeVirt', 'kubevirt', 'kubevirt'), 'source: KubeVirt', 'fail'],
    ['the feature gate off', (api) => api.put(kubevirt('kubevirt', { gate: false, addresses: ['10.128.0.9:9185'] })), 'source: feature gate', 'fail'],
    ['a KubeVirt on by default (v1.10)', (api) => api.put(kubevirt('kubevirt', { gate: false, version: 'v1.10.1', addresses: ['x:1'] })), 'source: feature gate', 'pass'],
    ['no sync leader', (api) => api.remove('Lease', 'kubevirt', 'virt-synchronization-controller'), 'source: sync controller', 'fail'],
    ['a leader pod without IP', (api) => api.put(pod('sync-a', { phase: 'Running' })), 'source: sync controller', 'fail'],
    ['no published address', (api) => api.put(kubevirt()), 'source: sync controller', 'warn'],
    ['the source VM missing', (api) => api.remove('VirtualMachine', 'src', 'web'), 'source VM', 'fail'],
    ['a stopped source VMI', (api) => api.put(vmi('web', 'src', 'Succeeded')), 'source VM', 'fail'],
    ['StorageLiveMigratable=False', (api) => api.put(vmi('web', 'src', 'Running', [{ type: 'StorageLiveMigratable', status: 'False', reason: 'NotMigratable', message: 'hotplugged disk' }])), 'source VM', 'fail'],
    [
      'an unfinished migration of the VMI',
      (api) => api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'old', namespace: 'src' }, spec: { vmiName: 'web' }, status: { phase: 'Running' } }),
      'source migrations',
      'fail',
    ],
    ['no destination namespace', (api) => api.remove('Namespace', '', 'dst'), 'destination namespace', 'fail'],
    ['another VM of that name there', (api) => api.put({ ...(vm('web') as KubeObject), metadata: { name: 'web', namespace: 'dst' } }), 'destination VM name', 'fail'],
    [
      'our own receiver there',
      (api) => api.put({ ...(vm('web') as KubeObject), metadata: { name: 'web', namespace: 'dst', labels: { 'app.kubernetes.io/managed-by': 'kvmigrate', 'kvmigrate.io/migration': 'web' } } }),
      'destination VM name',
      'pass',
    ],
    ['a missing storage class', (api) => api.remove('StorageClass', '', 'fast'), 'storage classes', 'fail'],
    ['a missing Secret', (api) => api.remove('Secret', 'dst', 'web-userdata'), 'referenced objects', 'fail'],
    ['one schedulable node', (api) => api.put(node('worker-2', { unschedulable: true })), 'nodes', 'fail'],
    ['no right to create migrations', (api) => api.deny('create', 'kubevirt.io', 'virtualmachineinstancemigrations', 'src'), 'permissions', 'fail'],
    ['no right to create the hook Job', (api) => api.deny('create', 'batch', 'jobs', 'src'), 'permissions', 'fail'],
  ])('%s', async (_, change, check, expected) => {
    const api = await cluster();
    healthy(api);
    change(api);
    expect((await results(api))[check]).toBe(expected);
  });

  it('a failing check exits 1 and prints its fix', async () => {
    const api = await cluster();
    healthy(api);
    api.put(kubevirt('kubevirt', { gate: false, addresses: ['10.128.0.9:9185'] }));
    const run = await preflight(sameClusterWorkspace(), api);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('fix: add DecentralizedLiveMigration to spec.configuration.developerConfiguration.featureGates of KubeVirt kubevirt/kubevirt');
  });

  it('on OpenShift, the HyperConverged gate counts', async () => {
    const api = await cluster();
    healthy(api);
    api.remove('KubeVirt', 'kubevirt', 'kubevirt');
    api.put(kubevirt('openshift-cnv', { gate: false, addresses: ['10.128.0.9:9185'] }));
    api.put({ apiVersion: 'hco.kubevirt.io/v1beta1', kind: 'HyperConverged', metadata: { name: 'kubevirt-hyperconverged', namespace: 'openshift-cnv' }, spec: { featureGates: { decentralizedLiveMigration: true } } });
    api.put(lease('sync-a', 'openshift-cnv'));
    api.put(pod('sync-a', { ip: '10.128.0.9' }, 'openshift-cnv'));
    const workspace = new Workspace();
    workspace.setup({ hook: { kubevirtNamespace: 'openshift-cnv' }, migrations: [migration('web')] }, { web: [sourceVm()] });
    expect((await results(api, workspace))['source: feature gate']).toBe('pass');
  });
});

describe('kvmigrate preflight, across clusters', () => {
  async function crossCluster() {
    const east = await cluster();
    const west = await cluster();
    healthy(east, 'source');
    healthy(west, 'destination');
    east.put(caBundle('kubevirt', 'EASTCA', 'WESTCA'));
    west.put(caBundle('kubevirt', 'WESTCA', 'EASTCA'));
    const workspace = new Workspace();
    // Both contexts live in one kubeconfig; the config picks one per cluster.
    const kubeconfig = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'east', cluster: { server: east.url, 'insecure-skip-tls-verify': true } },
        { name: 'west', cluster: { server: west.url, 'insecure-skip-tls-verify': true } },
      ],
      users: [
        { name: 'east', user: { token: east.token } },
        { name: 'west', user: { token: west.token } },
      ],
      contexts: [
        { name: 'east-admin', context: { cluster: 'east', user: 'east' } },
        { name: 'west-admin', context: { cluster: 'west', user: 'west' } },
      ],
      'current-context': 'east-admin',
    };
    workspace.write('kubeconfig', kubeconfig);
    workspace.setup(
      {
        clusters: { east: { kubeContext: 'east-admin' }, west: { kubeContext: 'west-admin' } },
        migrations: [migration('web', { source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west' } })],
      },
      { web: [sourceVm()] },
    );
    const run = async () => {
      let stdout = '';
      const code = await main(['preflight', '--config', workspace.path('migrations.yaml'), '--kubeconfig', workspace.path('kubeconfig'), '-o', 'json'], {
        stdout: (t) => (stdout += t),
        stderr: () => {},
      });
      const report = JSON.parse(stdout);
      return { code, checks: Object.fromEntries(report.migrations[0].checks.map((c: { check: string; result: string }) => [c.check, c.result])) };
    };
    return { east, west, run };
  }

  it('checks each end through its own context, and the exchanged CA bundles', async () => {
    const { run } = await crossCluster();
    const { code, checks } = await run();
    expect(code).toBe(0);
    expect(checks).toEqual({
      'source: feature gate': 'pass',
      'source: sync controller': 'pass',
      'destination: feature gate': 'pass',
      'destination: sync controller': 'pass',
      'KubeVirt versions': 'pass',
      'source VM': 'pass',
      'source migrations': 'pass',
      'destination namespace': 'pass',
      'destination VM name': 'pass',
      'storage classes': 'pass',
      'referenced objects': 'pass',
      'MAC addresses': 'pass',
      'CA bundles': 'pass',
      permissions: 'pass',
    });
  });

  it('warns about different KubeVirt minors, fails on a CA not exchanged, and warns about a MAC in use at the destination', async () => {
    const { west, run } = await crossCluster();
    west.put(kubevirt('kubevirt', { version: 'v1.8.2', addresses: ['10.1.1.1:9185'] }));
    west.put(caBundle('kubevirt', 'WESTCA'));
    west.put({ ...(vm('other') as KubeObject), metadata: { name: 'other', namespace: 'apps' } });
    const { code, checks } = await run();
    expect(code).toBe(1);
    expect(checks).toMatchObject({ 'KubeVirt versions': 'warn', 'CA bundles': 'fail', 'MAC addresses': 'warn' });
    expect(MAC).toBe(((vm('other').spec.template.spec.domain.devices.interfaces[0]) as { macAddress: string }).macAddress);
  });
});
