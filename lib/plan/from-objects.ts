import type { MigrationEntry } from '../config/load-config.ts';
import type { DiskOverride, HookSettings, Migration } from '../config/types.generated.ts';
import { DiagnosticBag, fieldLabel, type Diagnostic } from '../diagnostics.ts';
import type { VirtualMachineManifest } from '../kubevirt/api.ts';
import { objectsByKind, objectsOf } from '../kubevirt/manifest-objects.ts';
import { planMigration, type MigrationPlan } from './plan.ts';

/** A migration of a parsed VirtualMachine and what stands beside it in a dump, without a config file. */
export interface ObjectMigration {
  readonly name: string;
  readonly vm: VirtualMachineManifest;
  /** Every other object of the dump; `kind: List`s are unfolded, kinds kvmigrate does not read are left out. */
  readonly related: readonly unknown[];
  readonly source: { readonly cluster: string; readonly namespace: string; readonly allowRunStrategy?: boolean };
  readonly destination: { readonly cluster: string; readonly namespace: string; readonly storageClass?: string; readonly instancetypesPresent?: boolean };
  readonly migrationID?: string;
  readonly attempt?: number;
  readonly connectURL?: string;
  readonly disks?: Readonly<Record<string, DiskOverride>>;
  readonly hook?: HookSettings;
  readonly phase?: NonNullable<Migration['phase']>;
  readonly removeReceiverOnAbort?: boolean;
  /** Names the input in messages, e.g. `DecentralizedMigration "app/web"`. */
  readonly label: string;
}

/**
 * Plans a migration of parsed objects as `kvmigrate synth` plans one from a manifest file: the same disks, sizes,
 * receiver, instancetype copies, errors and warnings (lib/plan). A message points at `<label> props.<field>` or at
 * `<label> vm.<field>`, as there is no file.
 */
export function planObjectMigration(input: ObjectMigration): { plan?: MigrationPlan; errors: readonly Diagnostic[]; warnings: readonly Diagnostic[] } {
  const bag = new DiagnosticBag();
  const at = (what: string) => (path: readonly (string | number)[]) => ({ file: `${input.label} ${fieldLabel([what, ...path])}` });
  const objects = objectsByKind([{ object: input.vm, locate: at('vm') }, ...input.related.flatMap((object, index) => objectsOf(object, (path) => at('related')([index, ...path])))]);
  const entry: MigrationEntry = {
    name: input.name,
    vm: input.vm.metadata?.name ?? '',
    source: {
      namespace: input.source.namespace,
      cluster: input.source.cluster,
      virtualMachine: { object: input.vm, locate: at('vm') },
      manifest: { file: `${input.label} related`, path: '', ...objects },
      manage: false,
      allowRunStrategy: input.source.allowRunStrategy ?? false,
    },
    destination: { ...input.destination, instancetypesPresent: input.destination.instancetypesPresent ?? false },
    migrationID: input.migrationID,
    attempt: input.attempt ?? 1,
    connectURL: input.connectURL,
    disks: new Map(Object.entries(input.disks ?? {})),
    hook: input.hook ?? {},
    phase: input.phase ?? 'migrate',
    removeReceiverOnAbort: input.removeReceiverOnAbort ?? false,
    // Batches order a config's fleet; one construct is one lane.
    batch: 1,
    locate: at('props'),
  };
  const plan = planMigration(entry, { storageClassMap: new Map(), storageClasses: new Map(), argocd: undefined, flux: undefined }, bag);
  return { plan: bag.errors.length === 0 ? plan : undefined, errors: bag.errors, warnings: bag.warnings };
}
