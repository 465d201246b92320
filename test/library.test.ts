import { App, Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
// The package's public entry point, as a user's own cdk8s app imports it.
import { BlankDataVolume, DecentralizedMigration, DEFAULT_HOOK_IMAGE, MigrationPair, ReceiverVirtualMachine } from 'kvmigrate';
import { readFileSync } from 'node:fs';

const template = { spec: { domain: { devices: {} }, volumes: [{ name: 'root', dataVolume: { name: 'root' } }] } };

describe('the construct library, without any config file', () => {
  it("the default hook image is this version's", () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(DEFAULT_HOOK_IMAGE).toBe(`ghcr.io/kvmigrate/kvmigrate-hook:${version}`);
  });

  it('BlankDataVolume renders a populator-backed blank DataVolume with its defaults', () => {
    const chart = Testing.chart();
    new BlankDataVolume(chart, 'Disk', { name: 'root', namespace: 'dst', size: '10Gi' });
    expect(Testing.synth(chart)).toEqual([
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataVolume',
        metadata: {
          name: 'root',
          namespace: 'dst',
          annotations: {
            'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
            'argocd.argoproj.io/sync-wave': '1',
            'cdi.kubevirt.io/storage.usePopulator': 'true',
            'kustomize.toolkit.fluxcd.io/prune': 'Disabled',
          },
        },
        spec: { source: { blank: {} }, preallocation: false, storage: { resources: { requests: { storage: '10Gi' } } } },
      },
    ]);
  });

  it('ReceiverVirtualMachine carries a `constructor` key of the source data (cdk8s would refuse it), keys sorted, other objects untouched', () => {
    const chart = Testing.chart();
    const labelled = { metadata: { labels: { zone: 'a', constructor: 'ops', app: 'web' } }, spec: template.spec };
    new ReceiverVirtualMachine(chart, 'Vm', { name: 'a', template: labelled, restoreRunStrategy: 'Always', externalVolumes: ['root'] });
    new ReceiverVirtualMachine(chart, 'Plain', { name: 'b', template, restoreRunStrategy: 'Always', externalVolumes: ['root'] });
    const [withKey, plain] = Testing.synth(chart);
    expect(Object.keys(withKey.spec.template.metadata.labels)).toEqual(['app', 'constructor', 'zone']);
    expect(withKey.spec.template.metadata.labels.constructor).toBe('ops');
    expect(plain.spec.template.spec).toEqual(template.spec);
  });

  it('ReceiverVirtualMachine refuses a restore strategy that would leave the VM stopped or parked', () => {
    const chart = Testing.chart();
    // The type leaves both out; a JavaScript caller (or a cast) still gets the refusal.
    const strategy = (value: string) => value as 'Always';
    expect(() => new ReceiverVirtualMachine(chart, 'Vm', { name: 'a', template, restoreRunStrategy: strategy('Halted') })).toThrow(/running strategy/);
    expect(() => new ReceiverVirtualMachine(chart, 'Vm2', { name: 'a', template, restoreRunStrategy: strategy('WaitAsReceiver') })).toThrow(/running strategy/);
  });

  it('MigrationPair derives stable names and emits sendTo only with an address', () => {
    const chart = Testing.chart();
    const pair = new MigrationPair(chart, 'Pair', { vmiName: 'a', migrationID: 'id-1', sourceNamespace: 'src', destinationNamespace: 'dst' });
    expect(pair.send).toBeUndefined();
    expect(pair.receiveName).toMatch(/^a-receive-[0-9a-f]{8}$/);
    expect(Testing.synth(chart).map((o) => o.spec)).toEqual([{ vmiName: 'a', receive: { migrationID: 'id-1' } }]);
  });

  it('DecentralizedMigration spans two clusters when given a source scope', () => {
    const app = new App({ outdir: Testing.app().outdir });
    const west = new Chart(app, 'west');
    const east = new Chart(app, 'east');
    new DecentralizedMigration(west, 'web', {
      vmName: 'web',
      sourceNamespace: 'prod',
      destinationNamespace: 'prod',
      migrationID: 'm-1',
      template,
      restoreRunStrategy: 'RerunOnFailure',
      allowRunStrategy: true,
      disks: [{ name: 'root', size: '20Gi', storageClassName: 'fast' }],
      connectURL: 'west-sync.example:9185',
      sourceScope: east,
    });
    const westKinds = west.toJson().map((o: any) => o.kind);
    expect(westKinds.slice(-2)).toEqual(['DataVolume', 'VirtualMachine']);
    expect(westKinds).not.toContain('VirtualMachineInstanceMigration');
    const job = east.toJson().find((o: any) => o.kind === 'Job');
    expect(job.metadata.namespace).toBe('prod');
    expect(job.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--migration-id', 'm-1', '--connect-url', 'west-sync.example:9185']));
    expect(job.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'kvmigrate', 'kvmigrate.io/migration': 'web' });
  });
});
