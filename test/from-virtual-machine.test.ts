// DecentralizedMigration.fromVirtualMachine: a migration of a parsed VM dump, derived by lib/plan as `kvmigrate synth`
// derives one from a manifest file; so the objects are the CLI's, byte for byte.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DecentralizedMigration, WARNING_METADATA } from '../lib/index.ts';
import { claim, documents, vm, withDataVolume, withRunStrategy } from './support/builders.ts';
import { root } from './support/processes.ts';

describe('DecentralizedMigration.fromVirtualMachine', () => {
  it("emits what synth emits for the repository's migrations.yaml, from the same VM dump (vms/)", () => {
    const dump = documents(readFileSync(join(root, 'vms/vm-migration-ns-ns-live.yaml'), 'utf8'));
    const chart = new Chart(new App(), 'default', { disableResourceNameHashes: true });
    const migration = DecentralizedMigration.fromVirtualMachine(chart, 'vm-migration-ns-ns-live', {
      vm: 'vm-migration-ns-ns-live',
      related: dump,
      destination: { namespace: 'vm-live-migration-destination', storageClass: 'ocs-external-storagecluster-ceph-rbd' },
      migrationID: '52e4398d-bdbf-42b5-b0f4-1e7c6c0a08f5-38cec1f6-43bb-412d-8477-b3d635fd7123',
      hook: { leaseFallback: true, kubevirtNamespace: 'openshift-cnv' },
    });
    const synthesized = documents(readFileSync(join(root, 'dist/default/vm-migration-ns-ns-live.k8s.yaml'), 'utf8'));
    expect(chart.toJson()).toEqual(synthesized);
    expect(migration.disks.map((d) => d.name)).toEqual(['vm-migration-ns-ns-live']);
  });

  it('takes disk sizes from the DataVolumes and claims beside the VM, and derives a stable migrationID from the charts', () => {
    const source = vm('web', withDataVolume('root', 'web-root'));
    const build = () => {
      const chart = Testing.chart();
      const migration = DecentralizedMigration.fromVirtualMachine(chart, 'web', { vm: source, related: [{ kind: 'List', apiVersion: 'v1', items: [claim('web-root', { size: '20Gi', capacity: '21Gi' })] }], destination: { namespace: 'dst' } });
      return { migration, objects: Testing.synth(chart) };
    };
    const { migration, objects } = build();
    // The largest size any layer knows: the claim's capacity (issue 18's sizing rule, lib/plan/disks.ts).
    expect(objects.find((o) => o.kind === 'DataVolume')!.spec.storage.resources.requests.storage).toBe('21Gi');
    expect(migration.hook).toBeDefined();
    const id = objects.find((o) => o.kind === 'ConfigMap')!.data.migrationID;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(build().objects.find((o) => o.kind === 'ConfigMap')!.data.migrationID).toBe(id);
  });

  it("surfaces the CLI's warnings as a list and as construct metadata", () => {
    const source = vm('web', withDataVolume('root', 'web-root'));
    delete source.spec.template.spec.domain.devices.interfaces[0].macAddress;
    const migration = DecentralizedMigration.fromVirtualMachine(Testing.chart(), 'web', { vm: source, related: [claim('web-root', { size: '1Gi' })], destination: { namespace: 'dst' } });
    expect(migration.warnings).toEqual([expect.stringContaining('interface "default" has no macAddress, so the receiver gets a new MAC from the destination')]);
    expect(migration.node.metadata.filter((m) => m.type === WARNING_METADATA)).toHaveLength(1);
  });

  it("throws the CLI's errors, naming the construct path and the VM's field", () => {
    const chart = Testing.chart();
    const halted = vm('web', withRunStrategy('Halted'), withDataVolume('root', 'web-root'));
    expect(() => DecentralizedMigration.fromVirtualMachine(chart, 'web', { vm: halted, related: [claim('web-root', { size: '1Gi' })], destination: { namespace: 'dst' } })).toThrow(
      `DecentralizedMigration "${chart.node.path}/web": the source VM's spec.runStrategy "Halted" is not a running strategy: the source VM is not running (at DecentralizedMigration "${chart.node.path}/web" vm.spec.runStrategy)`,
    );
    const sizeless = vm('db', withDataVolume('root', 'db-root'));
    expect(() => DecentralizedMigration.fromVirtualMachine(chart, 'db', { vm: sizeless, destination: { namespace: 'dst' } })).toThrow('volume "root": the size of DataVolume "db-root" is unknown');
    // The rules of the constructs hold too: the plan passes connectURL through, the construct refuses it.
    expect(() =>
      DecentralizedMigration.fromVirtualMachine(chart, 'db2', { vm: sizeless, related: [claim('db-root', { size: '1Gi' })], destination: { namespace: 'dst' }, connectURL: 'http://10.0.0.5:9185', migrationName: 'db2' }),
    ).toThrow(`DecentralizedMigration "${chart.node.path}/db2": connectURL "http://10.0.0.5:9185" is not host:port`);
  });
});
