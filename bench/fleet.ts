// Generates a fleet of N migrations into a folder: migrations.yaml and one source manifest per VM, each VM with two
// DataVolume disks and a cloud-init disk, the migrations spread over three clusters, in the fleet layout: Argo CD and
// Flux output, batches of BATCH_SIZE, and so (above the isolation threshold) an Application and a Kustomization per
// migration and cluster.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const CLUSTERS = ['east', 'west', 'north'] as const;
/** Migrations per batch: a fleet of 1000 moves in 10 batches. */
const BATCH_SIZE = 100;

function sourceVm(name: string, index: number): Record<string, unknown> {
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
            // Pinned, as `kvmigrate pull` writes it: a VM without one gets a warning (and its manifest a second parse).
            firmware: { bootloader: { efi: {} }, serial: '94f58dd1-b1e1-4aab-add2-ab3d3483d297', uuid: `5d307ca9-b3ef-428c-8861-${String(index).padStart(12, '0')}` },
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
  // The folder stands for the Git repository the engines read: the out dirs in it are where their objects point.
  mkdirSync(join(dir, '.git'));
  const migrations = [];
  for (let i = 0; i < n; i++) {
    const name = `vm-${String(i).padStart(5, '0')}`;
    writeFileSync(join(dir, 'vms', `${name}.yaml`), stringify(sourceVm(name, i)));
    migrations.push({
      vm: name,
      source: { namespace: 'apps', manifest: `vms/${name}.yaml`, cluster: CLUSTERS[i % CLUSTERS.length] },
      destination: { namespace: 'apps-moved' },
    });
  }
  const config = join(dir, 'migrations.yaml');
  const clusters = Object.fromEntries(CLUSTERS.map((c) => [c, { server: `https://${c}.example:6443`, kubeConfigSecret: `${c}-kubeconfig` }]));
  writeFileSync(
    config,
    stringify({
      hook: { kubevirtNamespace: 'openshift-cnv' },
      clusters,
      argocd: { repoURL: 'https://git.example.com/platform/vm-moves.git' },
      flux: {},
      fleet: { batchSize: BATCH_SIZE },
      migrations,
    }),
  );
  return config;
}
