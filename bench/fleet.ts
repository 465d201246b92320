// Generates a fleet of N migrations into a folder: migrations.yaml and one source manifest per VM, each VM with two
// DataVolume disks and a cloud-init disk, the migrations spread over three clusters.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const CLUSTERS = ['east', 'west', 'north'] as const;

function sourceVm(name: string): Record<string, unknown> {
  const disk = (volume: string, size: string) => ({
    metadata: { name: `${name}-${volume}` },
    spec: { sourceRef: { kind: 'DataSource', name: 'rhel9', namespace: 'os-images' }, storage: { resources: { requests: { storage: size } }, storageClassName: 'fast-rbd' } },
  });
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: 'apps', labels: { app: name, tier: 'backend' }, annotations: { 'vm.kubevirt.io/os': 'rhel9' } },
    spec: {
      runStrategy: 'Always',
      dataVolumeTemplates: [disk('root', '30Gi'), disk('data', '100Gi')],
      template: {
        metadata: { labels: { 'kubevirt.io/domain': name, 'kubevirt.io/size': 'medium' } },
        spec: {
          architecture: 'amd64',
          domain: {
            cpu: { cores: 2, sockets: 1, threads: 1 },
            devices: {
              disks: [
                { name: 'root', disk: { bus: 'virtio' } },
                { name: 'data', disk: { bus: 'virtio' } },
                { name: 'cloudinit', disk: { bus: 'virtio' } },
              ],
              interfaces: [{ name: 'default', masquerade: {}, model: 'virtio', macAddress: '02:00:00:00:00:01' }],
              rng: {},
            },
            features: { acpi: {}, smm: { enabled: true } },
            firmware: { bootloader: { efi: {} }, serial: '94f58dd1-b1e1-4aab-add2-ab3d3483d297' },
            machine: { type: 'pc-q35-rhel9.6.0' },
            memory: { guest: '8Gi' },
          },
          networks: [{ name: 'default', pod: {} }],
          terminationGracePeriodSeconds: 180,
          volumes: [
            { name: 'root', dataVolume: { name: `${name}-root` } },
            { name: 'data', dataVolume: { name: `${name}-data` } },
            { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\nssh_authorized_keys: []\n' } },
          ],
        },
      },
    },
  };
}

/** Writes a fleet of `n` migrations into `dir` and returns the config's path. */
export function writeFleet(dir: string, n: number): string {
  mkdirSync(join(dir, 'vms'), { recursive: true });
  const migrations = [];
  for (let i = 0; i < n; i++) {
    const name = `vm-${String(i).padStart(5, '0')}`;
    writeFileSync(join(dir, 'vms', `${name}.yaml`), stringify(sourceVm(name)));
    migrations.push({
      vm: name,
      source: { namespace: 'apps', manifest: `vms/${name}.yaml`, cluster: CLUSTERS[i % CLUSTERS.length] },
      destination: { namespace: 'apps-moved' },
    });
  }
  const config = join(dir, 'migrations.yaml');
  writeFileSync(config, stringify({ hook: { kubevirtNamespace: 'openshift-cnv' }, migrations }));
  return config;
}
