import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Volume } from '../kubevirt/api.ts';
import { ownMetadata } from '../plan/metadata.ts';
import { manifestYaml } from '../synth/yaml-output.ts';
import { largestQuantity, parseQuantity } from '../kubernetes/quantity.ts';
import { resolveMatcherKind } from '../plan/instancetypes.ts';
import type { ClusterApi, KubeObject } from './cluster-api.ts';
import { call, type CallContext } from './cluster-calls.ts';
import { ClusterFailure } from './cluster-failure.ts';

/** A VM read from a cluster, cleaned into a source manifest for migrations.yaml. */
export interface PulledVm {
  /** The documents of the manifest file: the VM, then one disk-facts document per copied volume. */
  readonly documents: readonly Record<string, unknown>[];
  /** The manifest file's text: stable key order, no status, no server-managed fields. */
  readonly text: string;
  /** Volumes whose disk facts could not be read (the compiler will ask for their size). */
  readonly missing: readonly string[];
}

/** Server-managed metadata dropped from the template and dataVolumeTemplates too (kubectl writes `null` there). */
function withoutCreationTimestamp<T extends { metadata?: Record<string, unknown> }>(object: T): T {
  if (!object.metadata) return object;
  const { creationTimestamp: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}

function cleanMetadata(object: KubeObject): Record<string, unknown> {
  const { labels, annotations } = ownMetadata(object.metadata as never);
  return {
    name: object.metadata?.name,
    namespace: object.metadata?.namespace,
    ...(Object.keys(labels).length > 0 && { labels }),
    ...(Object.keys(annotations).length > 0 && { annotations }),
  };
}

/** The facts of a claim the compiler needs: class, modes, and its size (the larger of request and capacity). */
function claimFacts(claim: V1PersistentVolumeClaim): Record<string, unknown> {
  const spec = claim.spec ?? {};
  const request = spec.resources?.requests?.storage;
  const capacity = claim.status?.capacity?.storage;
  // The source disk can fill its capacity, whatever the volume mode (see `sourceSize` in plan/disks.ts).
  const sizes = [capacity, request].flatMap((q) => (q === undefined ? [] : (parseQuantity(q) ?? [])));
  const size = largestQuantity(sizes)?.text ?? request;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim.metadata?.name, namespace: claim.metadata?.namespace },
    spec: {
      storageClassName: spec.storageClassName,
      volumeMode: spec.volumeMode,
      accessModes: spec.accessModes,
      resources: { requests: { storage: size } },
    },
  };
}

function dataVolumeFacts(dataVolume: KubeObject): Record<string, unknown> {
  const spec = dataVolume.spec ?? {};
  const field = spec.storage ? 'storage' : 'pvc';
  const storage = spec[field] ?? {};
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name: dataVolume.metadata?.name, namespace: dataVolume.metadata?.namespace },
    spec: {
      [field]: {
        storageClassName: storage.storageClassName,
        volumeMode: storage.volumeMode,
        accessModes: storage.accessModes,
        resources: { requests: { storage: storage.resources?.requests?.storage } },
      },
    },
  };
}

/**
 * Writes the running instance's MAC into every interface that does not pin one: the receiver must keep the MAC the
 * guest has, and an unpinned interface would get a new one from the destination's kubemacpool.
 */
function pinLiveMacs(vmi: KubeObject | undefined, spec: KubeObject['spec']): void {
  const interfaces = (spec.template?.spec?.domain?.devices?.interfaces ?? []) as { name: string; macAddress?: string }[];
  const live = (vmi?.status?.interfaces ?? []) as { name?: string; mac?: string }[];
  for (const nic of interfaces) {
    const mac = live.find((l) => l.name === nic.name)?.mac;
    if (!nic.macAddress && mac) nic.macAddress = mac;
  }
}

/**
 * Writes the running guest's firmware UUID (the VMI's) into the template: KubeVirt's VM mutator gives a VM created
 * without one a random UUID (vm-mutator.go `setFirmwareDefaultsIfEmpty`), and an older VM runs with one derived from
 * its name (vm.go `setupStableFirmwareUUID`) that its spec may not hold; the receiver must keep the guest's.
 */
function pinLiveFirmwareUuid(vmi: KubeObject | undefined, spec: KubeObject['spec']): void {
  const live = vmi?.spec?.domain?.firmware?.uuid;
  const domain = spec.template?.spec?.domain;
  if (!live || !domain) return;
  domain.firmware = { ...domain.firmware, uuid: live };
}

/** The namespaced instancetype and preference the VM names, cleaned, so synth can copy them to the destination. */
async function namespacedInstancetypes(api: ClusterApi, context: CallContext, namespace: string, spec: KubeObject['spec']): Promise<Record<string, unknown>[]> {
  const documents: Record<string, unknown>[] = [];
  for (const which of ['instancetype', 'preference'] as const) {
    const matcher = spec[which] as { name?: string; kind?: string } | undefined;
    const resolved = matcher?.name ? resolveMatcherKind(which, matcher.kind) : undefined;
    if (!matcher?.name || !resolved?.namespaced) continue;
    const found = await call(context, `read ${resolved.kind} ${namespace}/${matcher.name}`, () => api.getInstancetype(resolved.kind, matcher.name!, namespace));
    if (found) documents.push({ apiVersion: found.apiVersion, kind: resolved.kind, metadata: cleanMetadata(found), spec: found.spec });
  }
  return documents;
}

/**
 * Reads VM `namespace/name` and the claims (or, while they do not exist, the DataVolumes) behind its PVC and
 * DataVolume volumes, and returns a clean source manifest: the VM's spec as the cluster has it (with the values
 * KubeVirt defaulted, such as firmware UUID and serial, MACs and machine type), no status, no server-managed fields.
 */
/** The first line of every manifest `pull` writes says this: a file without it is the user's, not to be replaced. */
export const PULLED_MARK = 'pulled by kvmigrate';

export async function pullVirtualMachine(api: ClusterApi, context: CallContext, namespace: string, name: string): Promise<PulledVm> {
  const vm = await call(context, `read VirtualMachine ${namespace}/${name}`, () => api.getVirtualMachine(namespace, name));
  if (!vm) throw new ClusterFailure(`VirtualMachine ${namespace}/${name} not found on ${api.server}`);
  const spec = structuredClone(vm.spec ?? {});
  if (spec.template) spec.template = withoutCreationTimestamp(spec.template);
  if (spec.dataVolumeTemplates) spec.dataVolumeTemplates = spec.dataVolumeTemplates.map(withoutCreationTimestamp);

  // The running instance holds what the guest has now: MACs and firmware UUID.
  const vmi = await call(context, `read VMI ${namespace}/${name}`, () => api.getInstance(namespace, name));
  pinLiveMacs(vmi, spec);
  pinLiveFirmwareUuid(vmi, spec);

  const documents: Record<string, unknown>[] = [{ apiVersion: vm.apiVersion ?? 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: cleanMetadata(vm), spec }];
  const missing: string[] = [];
  for (const volume of (spec.template?.spec?.volumes ?? []) as Volume[]) {
    const claimName = volume.dataVolume?.name ?? volume.persistentVolumeClaim?.claimName;
    if (!claimName) continue;
    const claim = await call(context, `read PersistentVolumeClaim ${namespace}/${claimName}`, () => api.getClaim(namespace, claimName));
    if (claim) {
      documents.push(claimFacts(claim));
      continue;
    }
    const dataVolume = volume.dataVolume && (await call(context, `read DataVolume ${namespace}/${claimName}`, () => api.getDataVolume(namespace, claimName)));
    if (dataVolume) documents.push(dataVolumeFacts(dataVolume));
    else missing.push(volume.name);
  }
  documents.push(...(await namespacedInstancetypes(api, context, namespace, spec)));
  const header = `# Source VM ${namespace}/${name}, ${PULLED_MARK}: the VM and the facts of its disks.\n`;
  const text = header + manifestYaml(documents, { sortKeys: true });
  return { documents, text, missing };
}
