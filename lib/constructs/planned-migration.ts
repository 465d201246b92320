import type { Construct } from 'constructs';
import type { MigrationPlan } from '../plan/plan.ts';
import type { DecentralizedMigrationProps } from './decentralized-migration.ts';

/**
 * The props of the {@link DecentralizedMigration} that renders a plan: what `kvmigrate synth`, a MigrationSet and
 * `DecentralizedMigration.fromVirtualMachine` emit alike. A managed source's runStrategy counts as ignored: the plan
 * has applied the split-brain guard with what it knows of the sync (the config's `argocd:` section).
 */
export function plannedMigrationProps(plan: MigrationPlan, sourceScope: Construct | undefined): DecentralizedMigrationProps {
  return {
    vmName: plan.vm,
    phase: plan.phase,
    removeReceiverOnAbort: plan.removeReceiverOnAbort,
    sourceVirtualMachine: plan.sourceVm && { ...plan.sourceVm, runStrategyIgnored: true },
    migrationName: plan.name,
    sourceNamespace: plan.source.namespace,
    destinationNamespace: plan.destination.namespace,
    migrationID: plan.migrationID,
    template: plan.receiver.template,
    restoreRunStrategy: plan.receiver.restoreRunStrategy,
    allowRunStrategy: plan.allowRunStrategy,
    instancetype: plan.receiver.instancetype,
    preference: plan.receiver.preference,
    receiverLabels: plan.receiver.labels,
    receiverAnnotations: plan.receiver.annotations,
    disks: plan.disks.map((d) => ({
      name: d.dataVolumeName,
      size: d.size,
      storageClassName: d.storageClassName,
      volumeMode: d.volumeMode,
      accessModes: d.accessModes,
      usePopulator: d.usePopulator,
    })),
    instancetypes: plan.instancetypes.flatMap((i) => (i.copy ? [{ kind: i.kind, name: i.name, ...i.copy }] : [])),
    connectURL: plan.connectURL,
    hook: plan.hook,
    receiveMigrationName: plan.receiveMigrationName,
    sendMigrationName: plan.sendMigrationName,
    sourceScope,
  };
}
