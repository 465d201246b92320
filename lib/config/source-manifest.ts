import type { DiagnosticBag } from '../diagnostics.ts';
import type { ValidateFunction } from 'ajv';
import { validateDataVolumeCrd, validateVirtualMachineCrd } from './crd-validators.generated.js';
import { validateDataVolume, validatePersistentVolumeClaim, validateVirtualMachine } from './validators.generated.js';
import { collapseAnyOf, describeSchemaError } from './schema-errors.ts';
import type { DataVolumeManifest, InstancetypeManifest, KubeObject, PersistentVolumeClaimManifest, VirtualMachineManifest } from '../kubevirt/api.ts';
import { objectsByKind, objectsOf } from '../kubevirt/manifest-objects.ts';
import { YamlFile, type Locator } from './yaml-file.ts';

/** An object read from a manifest file, with a way to point at any of its fields. */
export interface Located<T> {
  readonly object: T;
  readonly locate: Locator;
}

/** What one manifest file holds: every VirtualMachine, DataVolume, PersistentVolumeClaim, instancetype and preference. */
export interface ManifestFile {
  /** As shown in messages: relative to the working directory when inside it. */
  readonly file: string;
  /** Absolute. */
  readonly path: string;
  readonly virtualMachines: readonly Located<VirtualMachineManifest>[];
  readonly dataVolumes: readonly Located<DataVolumeManifest>[];
  readonly claims: readonly Located<PersistentVolumeClaimManifest>[];
  /** Namespaced VirtualMachineInstancetypes and VirtualMachinePreferences (`kubectl get vm,vminstancetype,vmpref`). */
  readonly instancetypes: readonly Located<InstancetypeManifest>[];
}

/**
 * The checks of each kind, in order: the CRD's schema as the API server applies it (KubeVirt v1.9.0, CDI v1.66.0;
 * PersistentVolumeClaims are core objects without one), then kvmigrate's own rules for what it reads
 * (source-manifest.schema.json: names, quantities, modes). All precompiled; the first that fails is reported.
 */
const VALIDATORS: Record<string, readonly ValidateFunction[]> = {
  VirtualMachine: [validateVirtualMachineCrd, validateVirtualMachine],
  DataVolume: [validateDataVolumeCrd, validateDataVolume],
  PersistentVolumeClaim: [validatePersistentVolumeClaim],
};

/**
 * Checks what kvmigrate reads from each object (types, names, quantities, modes) as the config is checked, each
 * fault at its line and column; so a string where a list belongs, `-5Gi` or `lots`, is an error, not a crash.
 */
function checkObjects(objects: readonly Located<KubeObject>[], bag: DiagnosticBag): boolean {
  let valid = true;
  for (const { object, locate } of objects) {
    const validate = (VALIDATORS[String(object.kind)] ?? []).find((check) => !check(object as unknown));
    if (!validate) continue;
    valid = false;
    for (const error of collapseAnyOf(validate.errors ?? [])) {
      const finding = describeSchemaError(error, object);
      bag.error(`${object.kind} ${object.metadata?.name ?? '(unnamed)'}: ${finding.message}`, locate(finding.path, { key: finding.key }), finding.hint);
    }
  }
  return valid;
}

/** Parses a (multi-document) manifest file; YAML faults are reported into `bag` and yield undefined. */
export function parseManifestFile(file: string, path: string, text: string, bag: DiagnosticBag): ManifestFile | undefined {
  const yaml = new YamlFile(file, text);
  const documents = yaml.load(bag);
  if (!documents) return undefined;
  const objects = documents.flatMap((data, index) => objectsOf(data, yaml.locator(index)));
  const byKind = objectsByKind(objects);
  const read = [...byKind.virtualMachines, ...byKind.dataVolumes, ...byKind.claims];
  if (!checkObjects(read, bag)) return undefined;
  return { file, path, ...byKind };
}
