import type { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { VIRTUAL_MACHINE_GVK } from '../kubevirt/api.ts';
import { KEEP_DATA, withSyncWave } from './argocd-annotations.ts';
import { CarriedApiObject } from './carried-api-object.ts';

/** What every VirtualMachine kvmigrate emits has: identity, labels, annotations, a sync wave. */
export interface VirtualMachineObjectMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly syncWave: number;
}

/**
 * A VirtualMachine as a plain ApiObject holding `spec` exactly as given. Not the imported class: a VM's spec is
 * copied from the source as YAML, and the imported class would drop every field it does not know (or spells
 * differently) on the way through its typed props. Argo CD never prunes or deletes it: it holds data.
 */
export function virtualMachineObject(scope: Construct, metadata: VirtualMachineObjectMetadata, spec: Record<string, unknown>): ApiObject {
  return new CarriedApiObject(scope, 'Resource', {
    ...VIRTUAL_MACHINE_GVK,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      labels: metadata.labels && { ...metadata.labels },
      annotations: withSyncWave({ ...metadata.annotations, ...KEEP_DATA }, metadata.syncWave),
    },
    spec,
  });
}
