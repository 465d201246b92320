import { afterEach, describe, expect, it } from 'vitest';
import { migration, vm, withDataVolume, withDataVolumeTemplate, withSpecField, withVolume, Workspace } from './support/builders.ts';
import { kvmigrateInProcess } from './support/cli.ts';
import { caBundle, csiDriver, instancetype, kubevirt, lease, namespace, node, pod, secret, storageClass, storageProfile, vmi } from './support/cluster-objects.ts';
import { KubeApiServer, twoClusterKubeconfig, type KubeObject } from './support/kube-api-server.ts';
import { synth } from './support/synth.ts';
import { ClusterApi } from '../lib/cluster/cluster-api.ts';
import { Deadline } from '../lib/cluster/cluster-calls.ts';
import { connect } from '../lib/cluster/kube-clients.ts';
import { preflightMigration } from '../lib/cluster/preflight.ts';
import { createStepLog } from '../lib/cluster/step-log.ts';

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
  // CDI's own config, with its default filesystem overhead (CDIConfigReconciler reconcileFilesystemOverhead).
  api.put({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'CDIConfig', metadata: { name: 'config' }, spec: {}, status: { filesystemOverhead: { global: '0.06' } } } as KubeObject);
  if (side !== 'destination') {
    api.put(sourceVm() as KubeObject);
    api.put(vmi('web', 'src', 'Running', [{ type: 'LiveMigratable', status: 'True' }, { type: 'StorageLiveMigratable', status: 'True' }]));
    api.put(node('worker-1'));
    api.put(node('worker-2'));
  }
  if (side !== 'source') {
    api.put(namespace('dst'));
    api.put(storageClass('fast'));
    api.put(csiDriver());
    api.put(secret('web-userdata', 'dst'));
  }
}

const preflight = (workspace: Workspace, api: KubeApiServer, args: string[] = []) =>
  kvmigrateInProcess(['preflight', '--config', workspace.path('migrations.yaml'), '--kubeconfig', api.writeKubeconfig(workspace.dir, 'kube'), ...args]);

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
    expect(run.stdout).toMatch(/\n19 checks: 18 pass, 1 warn, 0 fail\n$/);
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

/** A same-cluster workspace whose VM gets `options` and whose entry and top level get `entry` / `config`. */
function variant(options: ((vm: Record<string, any>) => void)[], entry: Record<string, unknown> = {}, config: Record<string, unknown> = {}): Workspace {
  const workspace = new Workspace();
  const machine = sourceVm();
  for (const option of options) option(machine);
  workspace.setup({ ...config, migrations: [migration('web', entry)] }, { web: [machine] });
  return workspace;
}

describe('preflight rules mirrored from KubeVirt and CDI', () => {
  async function checked(change: (api: KubeApiServer) => void, workspace = sameClusterWorkspace()) {
    const api = await cluster();
    healthy(api);
    change(api);
    const run = await preflight(workspace, api, ['-o', 'json']);
    const checks = JSON.parse(run.stdout).migrations[0].checks as { check: string; result: string; detail: string; fix?: string }[];
    return Object.fromEntries(checks.map((c) => [c.check, c]));
  }

  it('featuregate.IsEnabled: Beta from v1.10 is on unless disabledFeatureGates lists it; an explicit enable wins', async () => {
    const disabled = (featureGates: string[]) => (api: KubeApiServer) =>
      api.update('KubeVirt', 'kubevirt', 'kubevirt', (kv) => {
        kv.status.observedKubeVirtVersion = 'v1.10.0';
        kv.spec.configuration.developerConfiguration = { featureGates, disabledFeatureGates: ['DecentralizedLiveMigration'] };
      });
    const off = (await checked(disabled([])))['source: feature gate']!;
    expect(off.result).toBe('fail');
    expect(off.fix).toContain('disabledFeatureGates');
    expect((await checked(disabled(['DecentralizedLiveMigration'])))['source: feature gate']!.result).toBe('pass');
  });

  // Issue 18.
  it("vm.go: only an Always source is halted once the move completes, so the live VM's RerunOnFailure fails with the patch that makes it Always", async () => {
    const rerun = (await checked((api) => api.update('VirtualMachine', 'src', 'web', (v) => (v.spec.runStrategy = 'RerunOnFailure'))))['source run strategy']!;
    expect(rerun).toMatchObject({ result: 'fail', detail: expect.stringContaining('if its VMI ends Failed instead of Succeeded the controller starts it again') });
    expect(rerun.fix).toBe(`kubectl patch vm -n src web --type merge -p '{"spec":{"runStrategy":"Always"}}', or set source.allowRunStrategy: true on this migration to accept it`);
    expect((await checked((api) => api.update('VirtualMachine', 'src', 'web', (v) => (v.spec.runStrategy = 'Manual'))))['source run strategy']!.detail).toContain('stopped but not Halted');
    expect((await checked(() => {}))['source run strategy']!.result).toBe('pass');
  });

  it('source.allowRunStrategy turns the run-strategy failure into a warning saying what KubeVirt will do', async () => {
    const api = await cluster();
    healthy(api);
    api.update('VirtualMachine', 'src', 'web', (v) => (v.spec.runStrategy = 'RerunOnFailure'));
    const plan = { ...synth(sameClusterWorkspace()).plans[0]!, allowRunStrategy: true };
    const clusterApi = new ClusterApi(connect({ kubeconfig: api.writeKubeconfig(new Workspace().dir) }, 5000));
    const context = { log: createStepLog('text', () => {}), deadline: new Deadline(5), pollMs: 50 };
    const checks = await preflightMigration(plan, { source: clusterApi, destination: clusterApi }, context);
    expect(checks.find((c) => c.check === 'source run strategy')).toMatchObject({ result: 'warn', detail: expect.stringContaining('RerunOnFailure (accepted by source.allowRunStrategy)') });
  });

  it("vm-mutator setFirmwareDefaultsIfEmpty: a manifest firmware UUID other than the live VM's fails, naming both", async () => {
    const pinned = variant([(v) => (v.spec.template.spec.domain.firmware = { uuid: '11111111-1111-4111-8111-111111111111' })]);
    const live = (uuid: string) => (api: KubeApiServer) => api.update('VirtualMachineInstance', 'src', 'web', (v) => (v.spec = { domain: { firmware: { uuid } } }));
    const differs = (await checked(live('22222222-2222-4222-8222-222222222222'), pinned))['firmware UUID']!;
    expect(differs).toMatchObject({ result: 'fail', detail: 'the manifest sets 11111111-1111-4111-8111-111111111111, the live VM runs with 22222222-2222-4222-8222-222222222222: the receiver would get another SMBIOS UUID' });
    expect((await checked(live('11111111-1111-4111-8111-111111111111'), pinned))['firmware UUID']!.result).toBe('pass');
  });

  it("by the destination's KubeVirt version: a vTPM and hotplugged volumes need v1.7+, persistent EFI v1.9+ and a Filesystem class for the VM state (backend-storage getStorageClass)", async () => {
    const version = (v: string, configuration: object = {}) => (api: KubeApiServer) =>
      api.update('KubeVirt', 'kubevirt', 'kubevirt', (kv) => {
        kv.status.observedKubeVirtVersion = v;
        Object.assign(kv.spec.configuration, configuration);
      });
    const tpm = variant([(v) => (v.spec.template.spec.domain.devices.tpm = {})]);
    expect((await checked(version('v1.6.3'), tpm))['KubeVirt for a vTPM']).toMatchObject({ result: 'fail', detail: expect.stringContaining('from KubeVirt v1.7; the destination runs v1.6.3') });
    expect((await checked(version('v1.7.0'), tpm))['KubeVirt for a vTPM']!.result).toBe('pass');
    const hotplug = variant([(v) => (v.spec.template.spec.volumes.find((volume: { name: string }) => volume.name === 'root').dataVolume.hotpluggable = true)]);
    expect((await checked(version('v1.6.3'), hotplug))['KubeVirt for hotplugged volumes (root)']!.result).toBe('fail');

    const efi = variant([(v) => (v.spec.template.spec.domain.firmware = { bootloader: { efi: { persistent: true } } })]);
    const old = await checked(version('v1.8.2'), efi);
    expect(old['KubeVirt for a persistent EFI']!.result).toBe('fail');
    expect(old['VM state storage class']).toMatchObject({ result: 'fail', detail: expect.stringContaining('no vmStateStorageClass and no default class') });
    const blockOnly = (api: KubeApiServer) => {
      version('v1.9.0', { vmStateStorageClass: 'fast' })(api);
      api.put(storageProfile('fast', [{ accessModes: ['ReadWriteOnce'], volumeMode: 'Block' }]));
    };
    expect((await checked(blockOnly, efi))['VM state storage class']!.result).toBe('fail');
    const ready = await checked((api) => {
      blockOnly(api);
      api.put(storageProfile('fast', [{ accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' }]));
    }, efi);
    expect([ready['KubeVirt for a persistent EFI']!.result, ready['VM state storage class']!.result]).toEqual(['pass', 'pass']);
  });

  it("CDI's filesystem overhead (CDIConfig status, per class over global) above what a Filesystem disk was sized for is reported", async () => {
    const filesystem = variant([], { disks: { root: { volumeMode: 'Filesystem' } } });
    const cdi = (filesystemOverhead: object) => (api: KubeApiServer) =>
      api.put({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'CDIConfig', metadata: { name: 'config' }, spec: {}, status: { filesystemOverhead } });
    const above = (await checked(cdi({ global: '0.055', storageClass: { fast: '0.1' } }), filesystem))['filesystem overhead']!;
    expect(above).toMatchObject({ result: 'warn', detail: 'web-root: CDI takes 0.1 of class fast, the disk was sized for 0.06' });
    expect(above.fix).toContain('storageClasses.<class>.filesystemOverhead');
    expect((await checked(cdi({ global: '0.055' }), filesystem))['filesystem overhead']!.result).toBe('pass');
    // A Block disk has no filesystem, and a disk given no headroom is sized by the source's own rule: nothing to check.
    expect((await checked(cdi({ global: '0.2' })))['filesystem overhead']).toBeUndefined();
  });

  it('migration-create-admitter isMigratable: LiveMigratable=False fails, except for DisksNotLiveMigratable', async () => {
    const condition = (reason: string) => (api: KubeApiServer) => api.put(vmi('web', 'src', 'Running', [{ type: 'LiveMigratable', status: 'False', reason, message: 'why' }]));
    const blocked = (await checked(condition('InterfaceNotLiveMigratable')))['source live-migratable']!;
    expect(blocked).toMatchObject({ result: 'fail', detail: 'LiveMigratable=False (InterfaceNotLiveMigratable): why' });
    expect((await checked(condition('DisksNotLiveMigratable')))['source live-migratable']!.result).toBe('pass');
  });

  it('migration-create-admitter ensureNoMigrationConflict: an unfinished receive migration of another attempt blocks this one', async () => {
    const receive = (phase: string, migrationID: string) => (api: KubeApiServer) =>
      api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'old-receive', namespace: 'dst' }, spec: { vmiName: 'web', receive: { migrationID } }, status: { phase } });
    const blocked = (await checked(receive('WaitingForSync', 'attempt-1')))['destination migrations']!;
    expect(blocked.result).toBe('fail');
    expect(blocked.fix).toBe('delete it (kubectl delete vmim old-receive -n dst) before this attempt');
    expect((await checked(receive('Failed', 'attempt-1')))['destination migrations']!.result).toBe('pass');
  });

  it('with leaseFallback the hook looks for KubeVirt where synth told it to: KubeVirt in openshift-cnv with the default namespace fails with the fix', async () => {
    const openshift = (api: KubeApiServer) => {
      api.remove('KubeVirt', 'kubevirt', 'kubevirt');
      api.put(kubevirt('openshift-cnv', { addresses: ['10.128.0.9:9185'] }));
      api.put(lease('sync-a', 'openshift-cnv'));
      api.put(pod('sync-a', { ip: '10.128.0.9' }, 'openshift-cnv'));
    };
    const wrong = (await checked(openshift, variant([], {}, { hook: { leaseFallback: true } })))['KubeVirt namespace']!;
    expect(wrong.result).toBe('fail');
    expect(wrong.fix).toContain('hook.kubevirtNamespace: openshift-cnv');
    const right = await checked(openshift, variant([], {}, { hook: { kubevirtNamespace: 'openshift-cnv', leaseFallback: true } }));
    // Without the Lease fallback the hook never looks in KubeVirt's namespace: nothing to check.
    expect((await checked(openshift)).hasOwnProperty('KubeVirt namespace')).toBe(false);
    expect(right['KubeVirt namespace']!.result).toBe('pass');
  });

  it('virt-operator updateSynchronizationAddress: a terminating leader has no address', async () => {
    const terminating = (api: KubeApiServer) => api.update('Pod', 'kubevirt', 'sync-a', (p) => (p.metadata.deletionTimestamp = '2026-11-30T10:00:00Z'));
    expect((await checked(terminating))['source: sync controller']).toMatchObject({ result: 'fail', detail: 'leader pod kubevirt/sync-a is terminating' });
  });

  it('CDI shouldUseCDIPopulator: the annotation overrides the CSI check, so a class without a CSIDriver warns; usePopulator: false quiets it', async () => {
    const noCsi = (api: KubeApiServer) => api.remove('CSIDriver', '', 'openshift-storage.rbd.csi.ceph.com');
    const warned = (await checked(noCsi))['volume populator']!;
    expect(warned.result).toBe('warn');
    expect(warned.fix).toBe('set storageClasses.<class>.usePopulator: false for fast');
    expect((await checked(noCsi, variant([], {}, { storageClasses: { fast: { usePopulator: false } } })))['volume populator']!.result).toBe('pass');
  });

  it("CDI StorageProfile: the modes a disk asks for must be among the class's claimPropertySets", async () => {
    const rwxBlock = variant([], { disks: { root: { volumeMode: 'Block', accessModes: ['ReadWriteMany'] } } });
    const profile = (sets: { accessModes: string[]; volumeMode: string }[]) => (api: KubeApiServer) => api.put(storageProfile('fast', sets));
    const refused = (await checked(profile([{ accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' }]), rwxBlock))['storage modes']!;
    expect(refused.result).toBe('fail');
    expect(refused.detail).toBe('web-root wants Block ReadWriteMany of fast, whose StorageProfile offers Filesystem ReadWriteOnce');
    const offered = await checked(profile([{ accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' }, { accessModes: ['ReadWriteMany'], volumeMode: 'Block' }]), rwxBlock);
    expect(offered['storage modes']!.result).toBe('pass');
  });

  it('vm.go handleWaitAsReceiverVolumeInfo: a volume mode change needs KubeVirt v1.8+ (kubevirt#16637) and vmRolloutStrategy LiveUpdate', async () => {
    const toBlock = () => {
      const workspace = new Workspace();
      const machine = vm('web', withDataVolume('root', 'web-root'), withDataVolumeTemplate('web-root', { size: '10Gi', storageClassName: 'fast', volumeMode: 'Filesystem' }));
      workspace.setup({ migrations: [migration('web', { disks: { root: { volumeMode: 'Block' } } })] }, { web: [machine] });
      return workspace;
    };
    const kubevirtWith = (version: string, rollout?: string) => (api: KubeApiServer) => {
      api.put(storageProfile('fast', [{ accessModes: ['ReadWriteOnce'], volumeMode: 'Block' }]));
      api.update('KubeVirt', 'kubevirt', 'kubevirt', (kv) => {
        kv.status.observedKubeVirtVersion = version;
        if (rollout) kv.spec.configuration.vmRolloutStrategy = rollout;
      });
    };
    const withoutLiveUpdate = (await checked(kubevirtWith('v1.9.0'), toBlock()))['volume mode change']!;
    expect(withoutLiveUpdate.result).toBe('fail');
    expect(withoutLiveUpdate.detail).toContain('web-root Filesystem -> Block');
    expect(withoutLiveUpdate.detail).toContain('vmRolloutStrategy is unset');
    expect((await checked(kubevirtWith('v1.7.3', 'LiveUpdate'), toBlock()))['volume mode change']!.detail).toContain('older than v1.8.0');
    expect((await checked(kubevirtWith('v1.9.0', 'LiveUpdate'), toBlock()))['volume mode change']!.result).toBe('pass');
  });

  it('instancetype specFinder.Find: a cluster-scoped instancetype must exist at the destination; a namespaced one too when not copied', async () => {
    const clusterScoped = variant([withSpecField('instancetype', { name: 'u1.large' })]);
    expect((await checked(() => {}, clusterScoped)).instancetypes).toMatchObject({ result: 'fail', detail: 'VirtualMachineClusterInstancetype u1.large is missing at the destination' });
    const present = await checked((api) => api.put(instancetype('VirtualMachineClusterInstancetype', 'u1.large', { cpu: { guest: 2 } })), clusterScoped);
    expect(present.instancetypes!.result).toBe('pass');
    const namespaced = variant([withSpecField('preference', { kind: 'virtualmachinepreferences', name: 'linux' })], { destination: { instancetypesPresent: true } });
    expect((await checked(() => {}, namespaced)).instancetypes!.detail).toBe('VirtualMachinePreference dst/linux is missing at the destination');
  });

  it('an interface without macAddress fails preflight, naming the live MAC to pin', async () => {
    const unpinned = variant([(machine) => delete machine.spec.template.spec.domain.devices.interfaces[0].macAddress]);
    const withLiveMac = (api: KubeApiServer) => api.update('VirtualMachineInstance', 'src', 'web', (v) => (v.status.interfaces = [{ name: 'default', mac: '02:aa:bb:cc:dd:ee' }]));
    const macs = (await checked(withLiveMac, unpinned))['MACs pinned']!;
    expect(macs).toMatchObject({ result: 'fail', detail: 'interface default (live MAC 02:aa:bb:cc:dd:ee) has no macAddress in the manifest: the receiver would get a new MAC' });
    expect(macs.fix).toContain('kvmigrate pull src/web');
  });
});

describe('kvmigrate preflight, across clusters', () => {
  async function crossCluster(machine = sourceVm()) {
    const east = await cluster();
    const west = await cluster();
    healthy(east, 'source');
    healthy(west, 'destination');
    east.put(caBundle('kubevirt', 'EASTCA', 'WESTCA'));
    west.put(caBundle('kubevirt', 'WESTCA', 'EASTCA'));
    const workspace = new Workspace();
    // Both contexts live in one kubeconfig; the config picks one per cluster.
    workspace.write('kubeconfig', twoClusterKubeconfig(east, west));
    workspace.setup(
      {
        clusters: { east: { kubeContext: 'east-admin' }, west: { kubeContext: 'west-admin' } },
        migrations: [migration('web', { source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west' } })],
      },
      { web: [machine] },
    );
    const run = async () => {
      const { code, stdout } = await kvmigrateInProcess(['preflight', '--config', workspace.path('migrations.yaml'), '--kubeconfig', workspace.path('kubeconfig'), '-o', 'json']);
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
      'source live-migratable': 'pass',
      'source VM': 'pass',
      'source migrations': 'pass',
      'source run strategy': 'pass',
      'firmware UUID': 'pass',
      'filesystem overhead': 'pass',
      'destination namespace': 'pass',
      'destination VM name': 'pass',
      'destination migrations': 'pass',
      'storage classes': 'pass',
      'volume populator': 'pass',
      'storage modes': 'pass',
      'referenced objects': 'pass',
      'MACs pinned': 'pass',
      'MAC addresses': 'pass',
      'CA bundles': 'pass',
      permissions: 'pass',
    });
  });

  it('instancetype specFinder.Find: a cluster-scoped instancetype must have the same spec at both ends', async () => {
    const machine = sourceVm();
    withSpecField('instancetype', { kind: 'virtualmachineclusterinstancetype', name: 'u1.large' })(machine);
    const { east, west, run } = await crossCluster(machine);
    east.put(instancetype('VirtualMachineClusterInstancetype', 'u1.large', { cpu: { guest: 2 }, memory: { guest: '8Gi' } }));
    west.put(instancetype('VirtualMachineClusterInstancetype', 'u1.large', { memory: { guest: '8Gi' }, cpu: { guest: 2 } }));
    expect((await run()).checks.instancetypes).toBe('pass');
    west.put(instancetype('VirtualMachineClusterInstancetype', 'u1.large', { cpu: { guest: 4 }, memory: { guest: '8Gi' } }));
    expect((await run()).checks.instancetypes).toBe('fail');
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

describe("kvmigrate preflight: how the fleet queues behind KubeVirt's migration limits", () => {
  // Each VM moves 1Gi of memory and a 10Gi disk: 11 GiB, 12 GB as virt-launcher's manager.go
  // `getVMIMigrationDataSize` counts it (ScaledValue(Giga), rounded up).
  const fleetVm = (name: string) => vm(name, withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size: '10Gi', storageClassName: 'fast' }));
  const names = (n: number) => Array.from({ length: n }, (_, i) => `vm-${i}`);

  function fleet(n: number, extra: object = {}, each: (i: number) => object = () => ({})): Workspace {
    const workspace = new Workspace();
    workspace.setup({ ...extra, migrations: names(n).map((name, i) => migration(name, each(i))) }, Object.fromEntries(names(n).map((name) => [name, [fleetVm(name)]])));
    return workspace;
  }

  /** The cluster's KubeVirt CR, with `spec.configuration.migrations` when given. */
  async function kubevirtCluster(migrations?: object): Promise<KubeApiServer> {
    const api = await cluster();
    healthy(api);
    const cr = kubevirt('kubevirt', { addresses: ['10.128.0.9:9185'] });
    if (migrations) (cr.spec as { configuration: object }).configuration = { ...(cr.spec as { configuration: object }).configuration, migrations };
    api.put(cr);
    return api;
  }

  /** The queue part of `preflight -o json`; only vm-0's own checks run (the queue covers the whole fleet). */
  async function queue(workspace: Workspace, api: KubeApiServer, args: string[] = ['--migration', 'vm-0']) {
    const run = await preflight(workspace, api, ['-o', 'json', ...args]);
    return JSON.parse(run.stdout).queue as { checks: { check: string; result: string; detail: string; fix?: string }[]; queues: Record<string, any>[] };
  }

  it("virt-config.go defaults and migration.go handleTargetPodCreation: receivers have no node until ackMigrationCompletion, so parallelOutboundMigrationsPerNode (2) paces them", async () => {
    const { checks, queues } = await queue(fleet(5), await kubevirtCluster());
    expect(queues).toEqual([
      {
        cluster: 'default',
        batch: 1,
        migrations: 5,
        limits: { parallelMigrationsPerCluster: 5, parallelOutboundMigrationsPerNode: 2, completionTimeoutPerGiB: 150 },
        runningNow: 0,
        receivingNow: 0,
        behindRunning: false,
        limit: 'parallelOutboundMigrationsPerNode',
        atATime: 2,
        rounds: 3,
        // 3 rounds of 150 s x 12 GB; no bandwidth limit, so no least time.
        mostSeconds: 5400,
        hookDeadlines: [],
      },
    ]);
    expect(checks).toEqual([
      {
        check: 'queue: default, batch 1',
        result: 'pass',
        detail:
          '5 migrations in, 2 at a time (parallelOutboundMigrationsPerNode 2: receivers have no node yet and count against one another): 3 rounds; ' +
          "bandwidthPerMigration is unlimited, so how long each round takes depends on the network; at most 1h30m0s before KubeVirt's completion timeouts (completionTimeoutPerGiB 150 s) abort one",
      },
    ]);
  });

  it('custom limits: a same-cluster move takes two of parallelMigrationsPerCluster (its sendTo runs there too); bandwidthPerMigration gives the least time', async () => {
    const api = await kubevirtCluster({ parallelMigrationsPerCluster: 4, parallelOutboundMigrationsPerNode: 10, bandwidthPerMigration: '64Mi', completionTimeoutPerGiB: 100 });
    const [same] = (await queue(fleet(5), api)).queues;
    // 11 GiB at 64 MiB/s: 176 s a round; 100 s x 12 GB at most.
    expect(same).toMatchObject({ limit: 'parallelMigrationsPerCluster', atATime: 2, rounds: 3, leastSeconds: 528, mostSeconds: 3600 });
    expect(same!.limits).toEqual({ parallelMigrationsPerCluster: 4, parallelOutboundMigrationsPerNode: 10, bandwidthPerMigration: 67108864, bandwidthText: '64Mi', completionTimeoutPerGiB: 100 });
    // Across clusters only the receive side is here: four at a time, two rounds.
    const across = fleet(5, { clusters: { east: { kubeContext: 'east-admin' }, west: { kubeContext: 'west-admin' } } }, () => ({
      source: { cluster: 'east' },
      destination: { cluster: 'west' },
      hook: { destinationKubeconfigSecret: 'west' },
    }));
    // Both contexts reach the one emulated cluster: only its role as destination matters here.
    across.write('kubeconfig', twoClusterKubeconfig(api, api));
    const { stdout } = await kvmigrateInProcess(['preflight', '--config', across.path('migrations.yaml'), '--kubeconfig', across.path('kubeconfig'), '--migration', 'vm-0', '-o', 'json']);
    // The planned destination disk has room for CDI's filesystem overhead on top: 186 s a round, 13 GB.
    expect(JSON.parse(stdout).queue.queues).toEqual([expect.objectContaining({ cluster: 'west', atATime: 4, rounds: 2, leastSeconds: 372, mostSeconds: 2600 })]);
  });

  it('findRunningMigrations: what runs now takes its slots in the first round (the reader status uses for Queued)', async () => {
    const api = await kubevirtCluster();
    // Another receive side running: its VMI has no node yet.
    api.put({ ...vmi('db', 'other', 'WaitingForSync'), status: { phase: 'WaitingForSync' } });
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'db-receive', namespace: 'other' }, spec: { vmiName: 'db', receive: { migrationID: 'x' } }, status: { phase: 'Running' } });
    const [busy] = (await queue(fleet(4), api)).queues;
    expect(busy).toMatchObject({ runningNow: 1, receivingNow: 1, behindRunning: false, rounds: 3 });
    // Two running: the node's limit is full, the batch waits behind them.
    api.put({ ...vmi('cache', 'other', 'WaitingForSync'), status: { phase: 'WaitingForSync' } });
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'cache-receive', namespace: 'other' }, spec: { vmiName: 'cache', receive: { migrationID: 'y' } }, status: { phase: 'Scheduled' } });
    const { queues, checks } = await queue(fleet(4), api);
    expect(queues[0]).toMatchObject({ runningNow: 2, receivingNow: 2, behindRunning: true, rounds: 2 });
    expect(checks[0]!.detail).toContain(': 2 rounds, behind the 2 migrations running now;');
  });

  it('batches: each batch queues on its own, one check per destination cluster and batch, in the table too', async () => {
    const workspace = fleet(7, { fleet: { batchSize: 3 } });
    const api = await kubevirtCluster();
    const { queues } = await queue(workspace, api, []);
    expect(queues.map((q) => [q.batch, q.migrations, q.rounds])).toEqual([
      [1, 3, 2],
      [2, 3, 2],
      [3, 1, 1],
    ]);
    const table = await preflight(workspace, api, []);
    expect(table.stdout).toContain("queue behind KubeVirt's migration limits, by destination and batch:\n  CHECK");
    expect(table.stdout).toMatch(/\n {2}queue: default, batch 2 +PASS +3 migrations in, 2 at a time/);
    // With --migration, the queue of that migration's batch only.
    expect((await queue(workspace, api, ['--migration', 'vm-4'])).queues.map((q) => q.batch)).toEqual([2]);
  });

  it("warns when a hook that waits (hook.wait) can still be queued at its hook.migrationTimeoutSeconds, KubeVirt's completion timeout bounding each round", async () => {
    const api = await kubevirtCluster();
    // 3 rounds of at most 1800 s: vm-4 (third round) can wait 3600 s, past 3000 s.
    const { checks, queues } = await queue(fleet(5, { hook: { wait: true, migrationTimeoutSeconds: 3000 } }), api);
    expect(queues[0]!.hookDeadlines).toEqual([{ migration: 'vm-4', queuedMostSeconds: 3600, migrationTimeoutSeconds: 3000 }]);
    expect(checks[0]).toMatchObject({
      result: 'warn',
      detail: expect.stringContaining('1 hook following its migration (hook.wait) can time out still queued: vm-4 wait up to 1h0m0s before their round, past hook.migrationTimeoutSeconds 3000 s'),
      fix: "raise hook.migrationTimeoutSeconds to 6600 or more, use smaller batches (fleet.batchSize), or raise parallelOutboundMigrationsPerNode in the KubeVirt CR's spec.configuration.migrations",
    });
    // A hook that does not wait ends once the sendTo exists: nothing to outlive.
    expect((await queue(fleet(5, { hook: { migrationTimeoutSeconds: 3000 } }), api)).checks[0]!.result).toBe('pass');
    // With a bandwidth so low that even the least time passes the deadline, it will time out.
    // 11 GiB at 7 MiB/s: 1610 s a round, so vm-4 waits at least 3220 s.
    const slow = await kubevirtCluster({ bandwidthPerMigration: '7Mi' });
    const certain = (await queue(fleet(5, { hook: { wait: true, migrationTimeoutSeconds: 3000 } }), slow)).checks[0]!;
    expect(certain.detail).toContain('(hook.wait) will time out still queued: vm-4 wait at least 53m40s and up to 1h0m0s before their round');
    // A transfer slower than its completion timeout is aborted at it: a round lasts no longer than that.
    const slowest = (await queue(fleet(5), await kubevirtCluster({ bandwidthPerMigration: '1Mi' }))).queues[0]!;
    expect([slowest.leastSeconds, slowest.mostSeconds]).toEqual([5400, 5400]);
    // completionTimeoutPerGiB 0: shouldTriggerTimeout never ends a migration, so nothing bounds a round.
    const unbounded = await queue(fleet(5, { hook: { wait: true } }), await kubevirtCluster({ completionTimeoutPerGiB: 0 }));
    expect(unbounded.queues[0]!.mostSeconds).toBeUndefined();
    expect(unbounded.checks[0]!.detail).toContain('no bound: completionTimeoutPerGiB is 0, so KubeVirt never aborts a slow migration. 3 hooks following their migrations (hook.wait) can time out still queued: vm-2, vm-3, vm-4 wait without bound');
  });

  it('without the right to list migrations cluster-wide, says the queue is not estimated (a warning, not a failure)', async () => {
    const api = await kubevirtCluster();
    api.inject({ method: 'GET', path: /^\/apis\/kubevirt\.io\/v1\/virtualmachineinstancemigrations$/, status: 403, times: 100 });
    const { checks, queues } = await queue(fleet(2), api);
    expect(queues).toEqual([]);
    expect(checks).toEqual([expect.objectContaining({ check: 'queue: default', result: 'warn', detail: expect.stringContaining('how the fleet queues is not estimated') })]);
  });
});
