import { describe, expect, it } from 'vitest';
import { claim, migration, vm, withClaim, withDataVolume, withDataVolumeTemplate, withSpecField, withVolume, Workspace } from './support/builders.ts';
import { crdErrors, crdValidators, hasCrd } from './support/crds.ts';
import { semanticErrors } from './support/semantic-checks.ts';
import { hookMigrationObject } from '../lib/cluster/send-migration.ts';
import { only, synth, type Json } from './support/synth.ts';

/** A fleet exercising every output shape: several disk kinds, static and hook send sides, two clusters. */
function fleet() {
  const workspace = new Workspace();
  const db = vm(
    'db',
    withDataVolume('root', 'db-root'),
    withDataVolumeTemplate('db-root', { size: '20Gi', storageClassName: 'fast', volumeMode: 'Block', accessModes: ['ReadWriteMany'] }),
    withClaim('data', 'db-data'),
    withVolume({ name: 'ci', cloudInitNoCloud: { userData: '#cloud-config\n' } }),
    withSpecField('instancetype', { kind: 'VirtualMachineClusterInstancetype', name: 'u1.large', revisionName: 'x' }),
  );
  const web = vm('web', withDataVolume('root', 'web-root'), withDataVolumeTemplate('web-root', { size: '10Gi' }, 'pvc'));
  workspace.setup(
    {
      migrations: [
        migration('db', { source: { cluster: 'east' }, destination: { cluster: 'west' }, connectURL: '10.1.2.3:9185', hook: { destinationKubeconfigSecret: 'west' } }),
        migration('web', { attempt: 3 }),
      ],
    },
    { db: [db, claim('db-data', { size: '100Gi', storageClassName: 'fast' })], web: [web] },
  );
  const result = synth(workspace);
  // The migrations, as the hook creates them at run time from each Job's arguments.
  const migrations = result.plans.flatMap((plan) => [
    hookMigrationObject(plan.receiveMigrationName, plan.destination.namespace, { vmi: plan.vm, migrationID: plan.migrationID }, { receive: { migrationID: plan.migrationID } }),
    hookMigrationObject(plan.sendMigrationName, plan.source.namespace, { vmi: plan.vm, migrationID: plan.migrationID }, { sendTo: { migrationID: plan.migrationID, connectURL: plan.connectURL ?? '10.0.0.1:9185' } }),
  ]);
  return { ...result, objects: [...result.objects, ...(migrations as Json[])] };
}

describe.skipIf(!crdValidators)('synthesized objects against the CRD schemas', () => {
  it('every object of a varied fleet validates and passes the semantic checks', () => {
    const { objects } = fleet();
    expect(objects.filter(hasCrd).map((o) => o.kind).sort()).toEqual([
      'DataVolume',
      'DataVolume',
      'DataVolume',
      'VirtualMachine',
      'VirtualMachine',
      'VirtualMachineInstanceMigration',
      'VirtualMachineInstanceMigration',
      'VirtualMachineInstanceMigration',
      'VirtualMachineInstanceMigration',
    ]);
    // Both migrations have a hook (one with a static address): a Job and its access each; cross-cluster, the
    // destination's ServiceAccount and Roles too.
    const others = objects.filter((o) => !hasCrd(o)).map((o) => o.kind);
    expect(others.filter((k) => k === 'Job')).toHaveLength(2);
    expect(others.filter((k) => k === 'ServiceAccount')).toHaveLength(3);
    expect(new Set(others)).toEqual(new Set(['ConfigMap', 'Job', 'Role', 'RoleBinding', 'ServiceAccount']));
    for (const object of objects) {
      if (hasCrd(object)) expect(crdErrors(object as any), `${object.kind} ${object.metadata.name}`).toEqual([]);
      expect(semanticErrors(object as any)).toEqual([]);
    }
  });

  it('the schema check catches a malformed object', () => {
    const receive = structuredClone(fleet().objects.find((o) => o.spec?.receive)!);
    receive.spec.receive = {};
    expect(crdErrors(receive as any)).toEqual([expect.stringContaining("must have required property 'migrationID'")]);
  });

  it('the semantic check catches what the schema lets through: a misspelt run strategy, a missing restore annotation', () => {
    const receiver = structuredClone(only(fleet().objects.filter((o) => o.metadata.name === 'web'), 'VirtualMachine'));
    receiver.spec.runStrategy = 'WaitAsReciever';
    expect(crdErrors(receiver as any)).toEqual([]);
    expect(semanticErrors(receiver as any)).toEqual([expect.stringContaining('runStrategy "WaitAsReciever" is not one of KubeVirt\'s')]);
    receiver.spec.runStrategy = 'WaitAsReceiver';
    delete receiver.metadata.annotations['kubevirt.io/restore-run-strategy'];
    expect(semanticErrors(receiver as any)).toEqual([expect.stringContaining('stays WaitAsReceiver forever')]);
  });

  it('the semantic check catches a migration with both sides set', () => {
    const receive = structuredClone(fleet().objects.find((o) => o.spec?.receive)!);
    receive.spec.sendTo = { migrationID: 'x', connectURL: 'h:1' };
    expect(semanticErrors(receive as any)).toEqual([expect.stringContaining('exactly one of sendTo and receive')]);
  });
});
