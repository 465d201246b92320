import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hookMigrationObject } from '../lib/cluster/send-migration.ts';
import { synthesize } from '../lib/synth/synthesize.ts';
import { documents, Workspace } from './support/builders.ts';
import { crdErrors, crdValidators, hasCrd } from './support/crds.ts';
import { semanticErrors } from './support/semantic-checks.ts';
import type { Json } from './support/synth.ts';

const root = resolve(import.meta.dirname, '..');
const LAB_ID = '52e4398d-bdbf-42b5-b0f4-1e7c6c0a08f5-38cec1f6-43bb-412d-8477-b3d635fd7123';

function synthExample() {
  const workspace = new Workspace();
  const result = synthesize({ configPath: join(root, 'migrations.yaml'), outdir: workspace.path('dist') });
  return { workspace, result, files: workspace.files('dist') };
}

/** Drops what kvmigrate adds on top of the lab's objects: its labels, annotations and the derived VMIM name. */
function withoutKvmigrateMarks(object: Json): Json {
  const copy = structuredClone(object);
  const strip = (map: Record<string, string> | undefined) => {
    if (!map) return map;
    for (const key of Object.keys(map)) {
      if (key.startsWith('kvmigrate.io/') || key.startsWith('argocd.argoproj.io/') || key === 'app.kubernetes.io/managed-by') delete map[key];
    }
    return Object.keys(map).length > 0 ? map : undefined;
  };
  copy.metadata.labels = strip(copy.metadata.labels);
  copy.metadata.annotations = strip(copy.metadata.annotations);
  if (copy.metadata.labels === undefined) delete copy.metadata.labels;
  if (copy.metadata.annotations === undefined) delete copy.metadata.annotations;
  if (copy.kind === 'VirtualMachineInstanceMigration') delete copy.metadata.name;
  return copy;
}

describe('the bundled example (namespace-to-namespace lab)', () => {
  it('writes one file for the one cluster, and the committed dist/ is exactly that output', () => {
    const { files } = synthExample();
    expect(Object.keys(files)).toEqual(['default/vm-migration-ns-ns-live.k8s.yaml']);
    const committed = readFileSync(join(root, 'dist/default/vm-migration-ns-ns-live.k8s.yaml'), 'utf8');
    expect(files['default/vm-migration-ns-ns-live.k8s.yaml']).toBe(committed);
  });

  it('matches the reviewed snapshot', () => {
    expect(synthExample().files).toMatchSnapshot();
  });

  it("equals the lab's hand-written DataVolume and receiver VM, and the hook's receive migration the lab's, field for field", () => {
    const { files, result } = synthExample();
    const objects = documents(files['default/vm-migration-ns-ns-live.k8s.yaml']!);
    const args = objects.find((o) => o.kind === 'Job')!.spec.template.spec.containers[0].args as string[];
    const plan = result.plans[0]!;
    // What the hook creates, built by the hook's own code from the Job's arguments.
    const receive = hookMigrationObject(args[args.indexOf('--receive-name') + 1]!, plan.destination.namespace, { vmi: plan.vm, migrationID: args[args.indexOf('--migration-id') + 1]! }, {
      receive: { migrationID: plan.migrationID },
    });
    const synthesized = [...objects.filter(hasCrd), receive as Json];
    const lab = documents(readFileSync(join(root, 'test/fixtures/lab/destination.yaml'), 'utf8'));
    expect(synthesized.map((o) => o.kind)).toEqual(['DataVolume', 'VirtualMachine', 'VirtualMachineInstanceMigration']);
    for (const [index, expected] of lab.entries()) {
      expect(withoutKvmigrateMarks(synthesized[index]!), `${expected.kind}`).toEqual(withoutKvmigrateMarks(expected));
    }
  });

  it('orders hook access, disks, receiver and hook by sync wave, in the file too', () => {
    const objects = documents(synthExample().files['default/vm-migration-ns-ns-live.k8s.yaml']!);
    const waves = objects.map((o) => [o.kind, Number(o.metadata.annotations['argocd.argoproj.io/sync-wave'])]);
    expect(waves).toEqual([
      ['ConfigMap', 0],
      ['ServiceAccount', 0],
      ['Role', 0],
      ['RoleBinding', 0],
      ['RoleBinding', 0],
      ['Role', 0],
      ['RoleBinding', 0],
      ['RoleBinding', 0],
      ['Role', 0],
      ['RoleBinding', 0],
      ['DataVolume', 1],
      ['VirtualMachine', 2],
      ['Job', 4],
    ]);
  });

  it('leaves both migrations to the hook, with the configured migrationID and names within 63 characters', () => {
    const objects = documents(synthExample().files['default/vm-migration-ns-ns-live.k8s.yaml']!);
    expect(objects.filter((o) => o.kind === 'VirtualMachineInstanceMigration')).toEqual([]);
    const args = objects.find((o) => o.kind === 'Job')!.spec.template.spec.containers[0].args as string[];
    expect(args[args.indexOf('--migration-id') + 1]).toBe(LAB_ID);
    for (const flag of ['--name', '--receive-name']) expect(args[args.indexOf(flag) + 1]!.length).toBeLessThanOrEqual(63);
  });

  it("warns about the lab's plaintext cloud-init password, pointing at the volume", () => {
    const { result } = synthExample();
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]!.message).toContain('plaintext password');
    expect(result.warnings[0]!.location).toMatchObject({ file: 'vms/vm-migration-ns-ns-live.yaml', line: 77, column: 11 });
  });

  describe.skipIf(!crdValidators)('against the CRD schemas', () => {
    it('every object validates and passes the checks the schemas cannot make', () => {
      const objects = Object.values(synthExample().files).flatMap((text) => documents(text));
      for (const object of objects.filter(hasCrd)) {
        expect(crdErrors(object as any), `${object.kind} ${object.metadata.name}`).toEqual([]);
        expect(semanticErrors(object as any)).toEqual([]);
      }
    });
  });
});
