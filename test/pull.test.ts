import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Workspace } from './support/builders.ts';
import { kvmigrateInProcess } from './support/cli.ts';
import { KubeApiServer, type KubeObject } from './support/kube-api-server.ts';
import { only, synth } from './support/synth.ts';

const GOLDEN = resolve(import.meta.dirname, 'fixtures/pull/web.yaml');

let api: KubeApiServer;
beforeEach(async () => {
  api = await KubeApiServer.start();
});
afterEach(async () => {
  await api.stop();
});

/** A running VM as the API server returns it: defaulted values, server-managed fields, status. */
function clusterVm(): KubeObject {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: '1b1e6a3c-0000-4000-8000-000000000001',
      generation: 3,
      labels: { app: 'shop', 'app.kubernetes.io/instance': 'shop-apps' },
      annotations: {
        'kubevirt.io/latest-observed-api-version': 'v1',
        'kubevirt.io/storage-observed-api-version': 'v1',
        'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"kubevirt.io/v1"}',
        'shop.example.com/owner': 'team-web',
      },
      managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update' }],
      finalizers: ['kubevirt.io/virtualMachineControllerFinalize'],
    },
    spec: {
      runStrategy: 'Always',
      dataVolumeTemplates: [
        {
          metadata: { name: 'web-root', creationTimestamp: null },
          spec: { sourceRef: { kind: 'DataSource', name: 'fedora', namespace: 'openshift-virtualization-os-images' }, storage: { resources: { requests: { storage: '30Gi' } } } },
        },
      ],
      template: {
        metadata: { creationTimestamp: null, labels: { 'kubevirt.io/domain': 'web' } },
        spec: {
          architecture: 'amd64',
          domain: {
            devices: {
              disks: [
                { name: 'root', disk: { bus: 'virtio' } },
                { name: 'data', disk: { bus: 'virtio' } },
                { name: 'scratch', disk: { bus: 'virtio' } },
                { name: 'cloudinit', disk: { bus: 'virtio' } },
              ],
              interfaces: [{ name: 'default', masquerade: {}, macAddress: '02:6b:cd:00:00:07', model: 'virtio' }],
            },
            firmware: { uuid: '6b2a6f6e-2a4e-5b1e-9a0c-0c8a4b1f1b1e', serial: 'b1a2c3d4-0000-4000-8000-00000000beef' },
            machine: { type: 'pc-q35-rhel9.6.0' },
            memory: { guest: '4Gi' },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [
            { name: 'root', dataVolume: { name: 'web-root' } },
            { name: 'data', persistentVolumeClaim: { claimName: 'web-data' } },
            { name: 'scratch', dataVolume: { name: 'web-scratch' } },
            { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\nssh_authorized_keys: []\n' } },
          ],
        },
      },
    },
    status: { created: true, ready: true, printableStatus: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function seedCluster(): void {
  api.put(clusterVm());
  api.put({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'web-root', namespace: 'shop', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } },
    spec: { accessModes: ['ReadWriteMany'], storageClassName: 'fast-rbd', volumeMode: 'Filesystem', resources: { requests: { storage: '30Gi' } }, volumeName: 'pvc-1' },
    status: { phase: 'Bound', capacity: { storage: '32Gi' } },
  });
  api.put({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'web-data', namespace: 'shop' },
    spec: { accessModes: ['ReadWriteMany'], storageClassName: 'fast-rbd-block', volumeMode: 'Block', resources: { requests: { storage: '10Gi' } } },
    status: { phase: 'Bound', capacity: { storage: '10737418240' } },
  });
  // Not bound yet: only its DataVolume says how big it will be.
  api.put({
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name: 'web-scratch', namespace: 'shop' },
    spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '5Gi' } }, storageClassName: 'slow' } },
    status: { phase: 'Pending' },
  });
}

const kvmigrateOn = (workspace: Workspace, args: string[]) => kvmigrateInProcess([...args, '--kubeconfig', api.writeKubeconfig(workspace.dir)]);

describe('kvmigrate pull', () => {
  it('writes the clean manifest of the golden file: VM as the cluster has it, disk facts, no status or server fields', async () => {
    seedCluster();
    const workspace = new Workspace();
    const run = await kvmigrateOn(workspace, ['pull', 'shop/web', '--out', workspace.path('vms')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('VirtualMachine shop/web and 3 disk(s)');
    const text = readFileSync(workspace.path('vms/web.yaml'), 'utf8');
    if (process.env.KVMIGRATE_WRITE_GOLDEN) (await import('node:fs')).writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('keeps what identifies the VM and drops what the server manages', async () => {
    seedCluster();
    const workspace = new Workspace();
    await kvmigrateOn(workspace, ['pull', 'shop/web', '--out', workspace.path('vms')]);
    const [machine, root, data, scratch] = parseAllDocuments(readFileSync(workspace.path('vms/web.yaml'), 'utf8')).map((d) => d.toJS());
    expect(Object.keys(machine)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(machine.metadata).toEqual({ name: 'web', namespace: 'shop', labels: { app: 'shop' }, annotations: { 'shop.example.com/owner': 'team-web' } });
    expect(machine.spec.template.spec.domain.firmware).toEqual(clusterVm().spec.template.spec.domain.firmware);
    expect(machine.spec.template.spec.domain.devices.interfaces[0].macAddress).toBe('02:6b:cd:00:00:07');
    expect(machine.spec.template.metadata).toEqual({ labels: { 'kubevirt.io/domain': 'web' } });
    // Its capacity, larger than the request: the source image can fill it (sourceSize in plan/disks.ts).
    expect(root.spec.resources.requests.storage).toBe('32Gi');
    expect(data.spec).toMatchObject({ volumeMode: 'Block', resources: { requests: { storage: '10737418240' } } });
    expect(scratch).toMatchObject({ kind: 'DataVolume', spec: { storage: { storageClassName: 'slow', resources: { requests: { storage: '5Gi' } } } } });
  });

  it('pins the live MAC of an interface the VM leaves to kubemacpool, and fetches the namespaced instancetype and preference', async () => {
    seedCluster();
    api.update('VirtualMachine', 'shop', 'web', (vm) => {
      delete vm.spec.template.spec.domain.devices.interfaces[0].macAddress;
      vm.spec.instancetype = { kind: 'VirtualMachineInstancetype', name: 'shop-medium', revisionName: 'web-shop-medium-1' };
      vm.spec.preference = { kind: 'VirtualMachineClusterPreference', name: 'fedora' };
    });
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'web', namespace: 'shop' }, status: { phase: 'Running', interfaces: [{ name: 'default', mac: '02:6b:cd:00:00:99' }] } });
    api.put({ apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineInstancetype', metadata: { name: 'shop-medium', namespace: 'shop', uid: 'x' }, spec: { cpu: { guest: 2 }, memory: { guest: '4Gi' } } });
    const workspace = new Workspace();
    expect((await kvmigrateOn(workspace, ['pull', 'shop/web', '--out', workspace.path('vms')])).code).toBe(0);
    const docs = parseAllDocuments(readFileSync(workspace.path('vms/web.yaml'), 'utf8')).map((d) => d.toJS());
    expect(docs[0].spec.template.spec.domain.devices.interfaces[0].macAddress).toBe('02:6b:cd:00:00:99');
    // The cluster-scoped preference stays where it is; preflight checks it at the destination.
    expect(docs.filter((d) => d.apiVersion.startsWith('instancetype.'))).toEqual([
      { apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineInstancetype', metadata: { name: 'shop-medium', namespace: 'shop' }, spec: { cpu: { guest: 2 }, memory: { guest: '4Gi' } } },
    ]);
  });

  it("writes the running guest's firmware UUID (vm-mutator setFirmwareDefaultsIfEmpty, vm.go setupStableFirmwareUUID): the VMI's over a spec without one", async () => {
    seedCluster();
    api.update('VirtualMachine', 'shop', 'web', (vm) => delete vm.spec.template.spec.domain.firmware);
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'web', namespace: 'shop' }, spec: { domain: { firmware: { uuid: '5d307ca9-b3ef-428c-8861-06e72d69f223' } } }, status: { phase: 'Running' } });
    const workspace = new Workspace();
    expect((await kvmigrateOn(workspace, ['pull', 'shop/web', '--out', workspace.path('vms')])).code).toBe(0);
    const [machine] = parseAllDocuments(readFileSync(workspace.path('vms/web.yaml'), 'utf8')).map((d) => d.toJS());
    expect(machine.spec.template.spec.domain.firmware).toEqual({ uuid: '5d307ca9-b3ef-428c-8861-06e72d69f223' });
  });

  it('--add appends an entry (comments kept), and the result synthesizes: pull -> synth round trip', async () => {
    seedCluster();
    const workspace = new Workspace();
    const config = '# platform moves\nmigrations:\n  # the shop database moved last week\n  - vm: db\n    source: { namespace: shop, manifest: vms/db.yaml }\n    destination: { namespace: shop-new }   # done\n\n# end\n';
    workspace.write('migrations.yaml', config);
    const run = await kvmigrateOn(workspace, ['pull', 'shop/web', '--out', workspace.path('vms'), '--add', '--to', 'shop-new', '--config', workspace.path('migrations.yaml')]);
    expect(run.code, run.stderr).toBe(0);
    const edited = readFileSync(workspace.path('migrations.yaml'), 'utf8');
    expect(edited).toBe(
      config.replace(
        '# done\n',
        '# done\n  - vm: web\n    source:\n      namespace: shop\n      manifest: vms/web.yaml\n    destination:\n      namespace: shop-new\n',
      ),
    );
    // Compile only the pulled VM: the other entry's manifest does not exist here.
    workspace.write('migrations.yaml', edited.split('  # the shop database')[0]! + edited.split('# done\n')[1]!);
    const { objects } = synth(workspace);
    const sizes = Object.fromEntries(objects.filter((o) => o.kind === 'DataVolume').map((d) => [d.metadata.name, [d.spec.storage.resources.requests.storage, d.spec.storage.storageClassName, d.spec.storage.volumeMode]]));
    expect(sizes).toEqual({
      'web-root': ['32Gi', 'fast-rbd', 'Filesystem'],
      'web-data': ['10737418240', 'fast-rbd-block', 'Block'],
      'web-scratch': ['5Gi', 'slow', undefined],
    });
    const { creationTimestamp: _, ...templateMetadata } = clusterVm().spec.template.metadata;
    expect(only(objects, 'VirtualMachine').spec.template).toEqual({ ...clusterVm().spec.template, metadata: templateMetadata });
  });

  it('--add --dry-run prints the manifest and the config change as unified diffs, and writes nothing', async () => {
    seedCluster();
    const workspace = new Workspace();
    const config = 'migrations:\n  - vm: db\n    source: { namespace: shop, manifest: vms/db.yaml }\n    destination: { namespace: shop-new }\n';
    workspace.write('migrations.yaml', config);
    const run = await kvmigrateOn(workspace, ['pull', 'shop/web', '--out', workspace.path('vms'), '--add', '--to', 'shop-new', '--dry-run', '--config', workspace.path('migrations.yaml')]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(workspace.path('migrations.yaml'), 'utf8')).toBe(config);
    expect(existsSync(workspace.path('vms'))).toBe(false);
    expect(run.stderr).toBe('dry run: nothing was written\n');
    const manifestDiff = `--- /dev/null\n+++ ${workspace.path('vms/web.yaml')} (after pull)\n@@ -0,0 +1,`;
    expect(run.stdout.startsWith(manifestDiff)).toBe(true);
    expect(run.stdout).toContain(readFileSync(GOLDEN, 'utf8').split('\n').slice(0, 3).map((line) => `+${line}\n`).join(''));
    expect(run.stdout).toContain(
      `--- ${workspace.path('migrations.yaml')}\n+++ ${workspace.path('migrations.yaml')} (after pull)\n@@ -2,3 +2,9 @@\n   - vm: db\n     source: { namespace: shop, manifest: vms/db.yaml }\n     destination: { namespace: shop-new }\n+  - vm: web\n+    source:\n+      namespace: shop\n+      manifest: vms/web.yaml\n+    destination:\n`,
    );
  });

  it('--add starts a config when there is none, and refuses a second entry for the VM', async () => {
    seedCluster();
    const workspace = new Workspace();
    const args = ['pull', 'shop/web', '--out', workspace.path('vms'), '--add', '--to', 'shop-new', '--config', workspace.path('migrations.yaml')];
    expect((await kvmigrateOn(workspace, args)).code).toBe(0);
    expect(synth(workspace).plans.map((p) => p.name)).toEqual(['web']);
    const again = await kvmigrateOn(workspace, args);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already migrates VM shop/web');
  });

  it('never writes over the config: a VM named like the config, pulled into its folder, is refused, config kept', async () => {
    seedCluster();
    const workspace = new Workspace();
    const config = `migrations:\n  - vm: db\n    source: { namespace: shop, manifest: vms/db.yaml }\n    destination: { namespace: shop-new }\n`;
    workspace.write('web.yaml', config);
    for (const extra of [[], ['--add', '--to', 'shop-new'], ['--force']]) {
      const run = await kvmigrateOn(workspace, ['pull', 'shop/web', '--out', workspace.dir, '--config', workspace.path('web.yaml'), ...extra]);
      expect(run.code, extra.join(' ')).toBe(2);
      expect(run.stderr).toContain('is the config; kvmigrate never writes a manifest over it');
      expect(readFileSync(workspace.path('web.yaml'), 'utf8')).toBe(config);
    }
  });

  it('replaces a manifest it pulled, but a hand-written one only with --force', async () => {
    seedCluster();
    const workspace = new Workspace();
    const args = ['pull', 'shop/web', '--out', workspace.path('vms')];
    expect((await kvmigrateOn(workspace, args)).code).toBe(0);
    expect((await kvmigrateOn(workspace, args)).code).toBe(0);
    workspace.write('vms/web.yaml', '# mine, tuned by hand\napiVersion: kubevirt.io/v1\n');
    const refused = await kvmigrateOn(workspace, args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('exists and kvmigrate did not write it (its first line does not say "pulled by kvmigrate"); pass --force');
    expect(readFileSync(workspace.path('vms/web.yaml'), 'utf8')).toBe('# mine, tuned by hand\napiVersion: kubevirt.io/v1\n');
    expect((await kvmigrateOn(workspace, [...args, '--force'])).code).toBe(0);
    expect(readFileSync(workspace.path('vms/web.yaml'), 'utf8')).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it("--source-cluster reads through that cluster's kubeContext from the config", async () => {
    seedCluster();
    const workspace = new Workspace();
    workspace.write('kubeconfig', {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'east', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
      users: [
        { name: 'east', user: { token: api.token } },
        { name: 'nobody', user: { token: 'wrong' } },
      ],
      contexts: [
        { name: 'east-admin', context: { cluster: 'east', user: 'east' } },
        { name: 'elsewhere', context: { cluster: 'east', user: 'nobody' } },
      ],
      'current-context': 'elsewhere',
    });
    workspace.write('migrations.yaml', 'clusters:\n  east: { kubeContext: east-admin }\nmigrations: []\n');
    const { code, stderr } = await kvmigrateInProcess(['pull', 'shop/web', '--out', workspace.path('vms'), '--source-cluster', 'east', '--config', workspace.path('migrations.yaml'), '--kubeconfig', workspace.path('kubeconfig')]);
    expect(code, stderr).toBe(0);
    expect(api.requests.every((r) => r.status !== 401)).toBe(true);
  });

  it('a VM that does not exist: exit 1, nothing written', async () => {
    const workspace = new Workspace();
    const run = await kvmigrateOn(workspace, ['pull', 'shop/nope', '--out', workspace.path('vms')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: VirtualMachine shop\/nope not found on http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(() => workspace.files('vms')).toThrow();
  });

  it('usage errors exit 2', async () => {
    const workspace = new Workspace();
    expect((await kvmigrateOn(workspace, ['pull', 'web'])).stderr).toContain('expected <namespace>/<vm>');
    expect((await kvmigrateOn(workspace, ['pull', 'shop/web', '--add'])).code).toBe(2);
  });
});
