// What kvmigrate reads from a dump of the source (`kubectl get vm,dv,pvc,vminstancetype,vmpref -o yaml`), sorted by
// kind: for a manifest file (lib/config/source-manifest.ts) and for parsed objects (DecentralizedMigration.fromVirtualMachine).
import type { Located, ManifestFile } from '../config/source-manifest.ts';
import type { Locator } from '../config/yaml-file.ts';
import type { DataVolumeManifest, InstancetypeManifest, KubeObject, PersistentVolumeClaimManifest, VirtualMachineManifest } from './api.ts';

function isObject(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The objects of one document: itself, or the items of a `kind: List` (as `kubectl get -o yaml` writes them). */
export function objectsOf(data: unknown, locate: Locator): Located<KubeObject>[] {
  if (!isObject(data)) return [];
  const items = data.kind === 'List' && Array.isArray(data.items) ? data.items : undefined;
  if (!items) return [{ object: data, locate }];
  return items.flatMap((item, index) => (isObject(item) ? [{ object: item, locate: (path, options) => locate(['items', index, ...path], options) }] : []));
}

/** The objects kvmigrate reads, by kind (API group checked): VMs, DataVolumes, claims, instancetypes and preferences. */
export function objectsByKind(objects: readonly Located<KubeObject>[]): Omit<ManifestFile, 'file' | 'path'> {
  const ofKind = <T extends KubeObject>(group: RegExp, kind: string) =>
    objects.filter((o) => o.object.kind === kind && group.test(String(o.object.apiVersion ?? ''))) as Located<T>[];
  return {
    virtualMachines: ofKind<VirtualMachineManifest>(/^kubevirt\.io\//, 'VirtualMachine'),
    dataVolumes: ofKind<DataVolumeManifest>(/^cdi\.kubevirt\.io\//, 'DataVolume'),
    claims: ofKind<PersistentVolumeClaimManifest>(/^v1$/, 'PersistentVolumeClaim'),
    instancetypes: [
      ...ofKind<InstancetypeManifest>(/^instancetype\.kubevirt\.io\//, 'VirtualMachineInstancetype'),
      ...ofKind<InstancetypeManifest>(/^instancetype\.kubevirt\.io\//, 'VirtualMachinePreference'),
    ],
  };
}
