// Builders for the objects a cluster holds, as KubeVirt, CDI and Kubernetes write them, for the API server tests.
import type { KubeObject } from './kube-api-server.ts';

export const kubevirt = (namespace = 'kubevirt', fields: { addresses?: string[]; port?: number; gate?: boolean; version?: string } = {}): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'KubeVirt',
  metadata: { name: 'kubevirt', namespace },
  spec: {
    ...(fields.port && { synchronizationPort: fields.port }),
    configuration: { developerConfiguration: { featureGates: fields.gate === false ? [] : ['DecentralizedLiveMigration'] } },
  },
  status: { phase: 'Deployed', observedKubeVirtVersion: fields.version ?? 'v1.9.0', ...(fields.addresses && { synchronizationAddresses: fields.addresses }) },
});

export const lease = (holder: string, namespace = 'kubevirt'): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'virt-synchronization-controller', namespace },
  spec: { holderIdentity: holder, leaseDurationSeconds: 15 },
});

export const pod = (name: string, fields: { ip?: string; phase?: string } = {}, namespace = 'kubevirt'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { 'kubevirt.io': 'virt-synchronization-controller' } },
  spec: { containers: [{ name: 'virt-synchronization-controller', image: 'virt-synchronization-controller' }] },
  status: { phase: fields.phase ?? 'Running', ...(fields.ip && { podIP: fields.ip, podIPs: [{ ip: fields.ip }] }) },
});

export const vmi = (name: string, namespace: string, phase: string, conditions: object[] = []): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name, namespace },
  status: { phase, nodeName: 'worker-1', conditions },
});

export const namespace = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } });

export const node = (name: string, fields: { ready?: boolean; unschedulable?: boolean } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: fields.unschedulable ? { unschedulable: true } : {},
  status: { conditions: [{ type: 'Ready', status: fields.ready === false ? 'False' : 'True' }] },
});

export const storageClass = (name: string, provisioner = 'openshift-storage.rbd.csi.ceph.com'): KubeObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner });

/** The CSIDriver object a CSI driver registers, named after its provisioner. */
export const csiDriver = (provisioner = 'openshift-storage.rbd.csi.ceph.com'): KubeObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: provisioner }, spec: {} });

/** CDI's StorageProfile of a class, as CDI fills its status: the claim property sets the class supports. */
export const storageProfile = (name: string, sets: { accessModes: string[]; volumeMode: string }[]): KubeObject => ({
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'StorageProfile',
  metadata: { name },
  spec: {},
  status: { storageClass: name, claimPropertySets: sets },
});

/** An instancetype or preference of any of the four kinds (namespaced when `namespace` is given). */
export const instancetype = (kind: string, name: string, spec: object, namespace?: string): KubeObject => ({
  apiVersion: 'instancetype.kubevirt.io/v1beta1',
  kind,
  metadata: { name, ...(namespace && { namespace }) },
  spec,
});

export const secret = (name: string, ns: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, data: {} });

/** A `kubevirt-ca` ConfigMap holding the given certificate bodies. */
export const caBundle = (namespace: string, ...bodies: string[]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'kubevirt-ca', namespace },
  data: { 'ca-bundle': bodies.map((b) => `-----BEGIN CERTIFICATE-----\n${b}\n-----END CERTIFICATE-----\n`).join('') },
});

/** A migration as kvmigrate's hook creates it: its label and ID, no Argo CD marks. */
export const hookMigration = (name: string, namespace: string, side: { receive?: { migrationID: string }; sendTo?: { migrationID: string; connectURL: string } }, phase?: string): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstanceMigration',
  metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'kvmigrate' }, annotations: { 'kvmigrate.io/migration-id': (side.receive ?? side.sendTo)!.migrationID } },
  spec: { vmiName: name.replace(/-(receive|send)-[0-9a-f]{8}$/, ''), ...side },
  ...(phase && { status: { phase } }),
});
