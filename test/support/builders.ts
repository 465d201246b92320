// Small builders for test VMs, after KubeVirt's libvmi: each test states only what it is about.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';

type Json = Record<string, any>;
type VmOption = (vm: Json) => void;

const templateSpec = (vm: Json): Json => vm.spec.template.spec;

/** A running VM with no disks; options add what a test is about. */
export function vm(name: string, ...options: VmOption[]): Json {
  const machine: Json = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: 'src' },
    spec: {
      runStrategy: 'Always',
      template: {
        metadata: { labels: { 'kubevirt.io/domain': name } },
        spec: {
          domain: {
            devices: { disks: [], interfaces: [{ name: 'default', masquerade: {}, macAddress: '02:00:00:00:00:01' }] },
            // As the live VM has it (KubeVirt's VM mutator gives every VM one): without it synth warns.
            firmware: { uuid: '6a1c3f0e-5b7d-4e2a-9c41-0d2e8f7b3a15' },
            memory: { guest: '1Gi' },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [],
        },
      },
    },
  };
  for (const option of options) option(machine);
  return machine;
}

export const withRunStrategy = (runStrategy: string | undefined): VmOption => (vm) => {
  if (runStrategy === undefined) delete vm.spec.runStrategy;
  else vm.spec.runStrategy = runStrategy;
};

export const withRunning = (running: boolean): VmOption => (vm) => {
  delete vm.spec.runStrategy;
  vm.spec.running = running;
};

export const withNamespace = (namespace: string | undefined): VmOption => (vm) => {
  if (namespace === undefined) delete vm.metadata.namespace;
  else vm.metadata.namespace = namespace;
};

export const withMetadata = (metadata: { labels?: Json; annotations?: Json }): VmOption => (vm) => {
  Object.assign(vm.metadata, metadata);
};

/** A disk device and its volume; `device` is the disk entry's body (`{ disk: {} }`, `{ cdrom: {} }`, ...). */
export const withVolume = (volume: Json, device: Json | undefined = { disk: { bus: 'virtio' } }): VmOption => (vm) => {
  templateSpec(vm).volumes.push(volume);
  if (device) templateSpec(vm).domain.devices.disks.push({ name: volume.name, ...device });
};

export const withDataVolume = (volumeName: string, dvName: string, device?: Json): VmOption =>
  withVolume({ name: volumeName, dataVolume: { name: dvName } }, device);

export const withClaim = (volumeName: string, claimName: string, device?: Json): VmOption =>
  withVolume({ name: volumeName, persistentVolumeClaim: { claimName } }, device);

/** A dataVolumeTemplate with `storage` (size, class, modes). */
export const withDataVolumeTemplate = (name: string, storage: { size?: string; storageClassName?: string; volumeMode?: string; accessModes?: string[] }, api: 'storage' | 'pvc' = 'storage'): VmOption => (vm) => {
  vm.spec.dataVolumeTemplates ??= [];
  vm.spec.dataVolumeTemplates.push({ metadata: { name }, spec: { source: { blank: {} }, [api]: storageSpec(storage) } });
};

export const withTemplateField = (field: string, value: unknown): VmOption => (vm) => {
  templateSpec(vm)[field] = value;
};

export const withSpecField = (field: string, value: unknown): VmOption => (vm) => {
  vm.spec[field] = value;
};

function storageSpec(storage: { size?: string; storageClassName?: string; volumeMode?: string; accessModes?: string[] }): Json {
  return {
    ...(storage.storageClassName && { storageClassName: storage.storageClassName }),
    ...(storage.volumeMode && { volumeMode: storage.volumeMode }),
    ...(storage.accessModes && { accessModes: storage.accessModes }),
    ...(storage.size && { resources: { requests: { storage: storage.size } } }),
  };
}

/** A standalone DataVolume manifest, as `kubectl get dv -o yaml` gives it. */
export function dataVolume(name: string, storage: { size?: string; storageClassName?: string; volumeMode?: string }, namespace = 'src'): Json {
  return { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name, namespace }, spec: { source: { blank: {} }, storage: storageSpec(storage) } };
}

/** A PVC manifest; `capacity` is what the status reports. */
export function claim(name: string, storage: { size?: string; storageClassName?: string; volumeMode?: string; capacity?: string }, namespace = 'src'): Json {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: storageSpec(storage),
    ...(storage.capacity && { status: { phase: 'Bound', capacity: { storage: storage.capacity } } }),
  };
}

/** A migrations.yaml entry for a VM from `vms/<vm>.yaml`. */
export function migration(vmName: string, extra: Json = {}): Json {
  const { source, destination, ...rest } = extra;
  return {
    vm: vmName,
    source: { namespace: 'src', manifest: `vms/${vmName}.yaml`, ...source },
    destination: { namespace: 'dst', ...destination },
    ...rest,
  };
}

/** A temp folder holding a config and its manifests; removed after each test. */
export class Workspace {
  public readonly dir = mkdtempSync(join(tmpdir(), 'kvmigrate-test-'));

  public constructor() {
    workspaces.push(this);
  }

  /** Writes `content`: a string as is, an array as multi-document YAML, an object as YAML. */
  public write(path: string, content: string | Json | Json[]): string {
    const target = join(this.dir, path);
    mkdirSync(dirname(target), { recursive: true });
    const text = typeof content === 'string' ? content : Array.isArray(content) ? content.map((d) => stringify(d)).join('---\n') : stringify(content);
    writeFileSync(target, text);
    return target;
  }

  /** Writes each VM (and its extra documents) to `vms/<name>.yaml` and the config to migrations.yaml. */
  public setup(config: Json, manifests: Record<string, Json[]>): string {
    for (const [name, docs] of Object.entries(manifests)) this.write(`vms/${name}.yaml`, docs);
    return this.write('migrations.yaml', config);
  }

  public path(relative: string): string {
    return join(this.dir, relative);
  }

  /** Every file under `relative` with its content, sorted: a snapshot of a folder. */
  public files(relative: string): Record<string, string> {
    const root = join(this.dir, relative);
    const out: Record<string, string> = {};
    const walk = (dir: string, prefix: string) => {
      for (const name of readdirSync(dir).sort()) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
        else out[`${prefix}${name}`] = readFileSync(full, 'utf8');
      }
    };
    walk(root, '');
    return out;
  }
}

const workspaces: Workspace[] = [];
afterEach(() => {
  for (const w of workspaces.splice(0)) rmSync(w.dir, { recursive: true, force: true });
});

/** All objects of a multi-document YAML text. */
export function documents(text: string): Json[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Json);
}
