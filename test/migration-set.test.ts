// MigrationSet: a migrations.yaml loaded into the user's own chart, checked and planned as `kvmigrate synth` does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { MigrationSet, type MigrationSetConfig } from '../lib/index.ts';
import { documents, migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { root } from './support/processes.ts';

const goodVm = (name: string) => vm(name, withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size: '1Gi' }));

describe('MigrationSet', () => {
  it("loads the repository's migrations.yaml into a chart: the objects synth writes to dist/", () => {
    const chart = new Chart(new App(), 'default', { disableResourceNameHashes: true });
    const set = new MigrationSet(chart, 'migrations', { config: join(root, 'migrations.yaml') });
    expect(set.migrations.map((m) => m.node.id)).toEqual(['vm-migration-ns-ns-live']);
    expect(chart.toJson()).toEqual(documents(readFileSync(join(root, 'dist/default/vm-migration-ns-ns-live.k8s.yaml'), 'utf8')));
  });

  it('takes a parsed config, its manifests relative to the working directory, and puts named clusters into the charts given', () => {
    const workspace = new Workspace();
    workspace.write('vms/web.yaml', [goodVm('web')]);
    const config: MigrationSetConfig = { migrations: [migration('web', { source: { cluster: 'east', manifest: workspace.path('vms/web.yaml') }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west' } }) as MigrationSetConfig['migrations'][number]] };
    const app = Testing.app();
    const east = new Chart(app, 'east');
    const west = new Chart(app, 'west');
    new MigrationSet(west, 'migrations', { config, clusters: { east, west } });
    expect(east.toJson().map((o) => o.kind)).toContain('Job');
    expect(west.toJson().map((o) => o.kind)).toContain('VirtualMachine');
    expect(() => new MigrationSet(Testing.chart(), 'other', { config })).toThrow('migration "web" names cluster "west", which clusters does not map to a chart');
  });

  it("throws every error synth reports, at file:line:col, naming the construct", () => {
    const workspace = new Workspace();
    workspace.write('vms/web.yaml', [goodVm('web')]);
    const path = workspace.write('migrations.yaml', `migrations:\n  - vm: web\n    source: { namespace: src, manifest: vms/web.yaml }\n    destination: { namespace: dst }\n    connectURL: 10.0.0.5:70000\n`);
    const chart = Testing.chart();
    expect(() => new MigrationSet(chart, 'set', { config: path })).toThrow(
      new RegExp(`^MigrationSet "${chart.node.path}/set": .*migrations\\.yaml:5:17: error: migrations\\[0\\]\\.connectURL: "10\\.0\\.0\\.5:70000" is not host:port`),
    );
    expect(() => new MigrationSet(chart, 'object', { config: { migrations: [migration('web', { source: { manifest: workspace.path('vms/web.yaml') }, migrationID: 'a b' })] } as MigrationSetConfig })).toThrow(
      `MigrationSet "${chart.node.path}/object": MigrationSet "${chart.node.path}/object" config: error: migrations[0].migrationID: "a b" is not valid`,
    );
  });
});
