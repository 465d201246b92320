// One set of rules under both faces (lib/rules/migration.ts): every refusal the CLI makes on a migration is made by
// the constructs too, naming the construct's path and the prop, with the same meaning (the same value and words).
import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DecentralizedMigration, MigrationPair, type DecentralizedMigrationProps } from '../lib/index.ts';
import { ACCESS_MODES, MIGRATION_ID_PATTERN, VOLUME_MODES } from '../lib/rules/migration.ts';
import schema from '../lib/config/schema.json' with { type: 'json' };
import { messagesOf } from './support/compile.ts';
import { migration, vm, withDataVolume, withDataVolumeTemplate, withRunStrategy, Workspace } from './support/builders.ts';
import { synth, type Json } from './support/synth.ts';

const machine = (name = 'web', ...options: ((vm: Json) => void)[]) => vm(name, withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '10Gi' }), ...options);

/** The props a construct user writes for the VM `machine` gives the CLI. */
function props(overrides: Partial<DecentralizedMigrationProps> = {}): DecentralizedMigrationProps {
  const source = machine();
  return {
    vmName: 'web',
    sourceNamespace: 'src',
    destinationNamespace: 'dst',
    migrationID: 'web-1',
    template: source.spec.template,
    restoreRunStrategy: 'Always',
    disks: [{ name: 'root-dv', size: '10Gi', sourceSize: '10Gi' }],
    ...overrides,
  };
}

interface RefusalCase {
  /** The CLI's input: the config entries and the VMs they move. */
  readonly cli: { readonly entries: Json[]; readonly vms: Json[] };
  /** The same input to the constructs: builds them in `chart`. */
  readonly construct: (chart: Chart) => void;
  /** The construct kind and prop the error must name. */
  readonly kind: string;
  readonly prop: string;
  /** What both messages must say: the value and the words of the rule. */
  readonly meaning: readonly string[];
}

const one = (entry: Json = {}, ...options: ((vm: Json) => void)[]) => ({ entries: [migration('web', entry)], vms: [machine('web', ...options)] });
const migrationWith = (overrides: Partial<DecentralizedMigrationProps>) => (chart: Chart) => new DecentralizedMigration(chart, 'web', props(overrides));
// JavaScript callers and casts get past the unions; the rules hold at run time too.
const loose = <T>(value: unknown) => value as T;

/** Each refusal of the CLI, as a case for both faces. */
const cases: Record<string, RefusalCase> = {
  'a connectURL with a scheme': { cli: one({ connectURL: 'http://10.0.0.5:9185' }), construct: migrationWith({ connectURL: 'http://10.0.0.5:9185' }), kind: 'DecentralizedMigration', prop: 'connectURL', meaning: ['"http://10.0.0.5:9185"', 'host:port, ip:port or [ipv6]:port'] },
  'a connectURL port out of range': { cli: one({ connectURL: '10.0.0.5:70000' }), construct: migrationWith({ connectURL: '10.0.0.5:70000' }), kind: 'DecentralizedMigration', prop: 'connectURL', meaning: ['"10.0.0.5:70000"', 'host:port, ip:port or [ipv6]:port'] },
  'an IPv6 connectURL without brackets': { cli: one({ connectURL: 'fd00::1:9185' }), construct: migrationWith({ connectURL: 'fd00::1:9185' }), kind: 'DecentralizedMigration', prop: 'connectURL', meaning: ['"fd00::1:9185"', '[ipv6]:port'] },
  'a MigrationPair connectURL with a scheme': {
    cli: one({ connectURL: 'http://10.0.0.5:9185' }),
    construct: (chart) => new MigrationPair(chart, 'web', { vmiName: 'web', migrationID: 'web-1', sourceNamespace: 'src', destinationNamespace: 'dst', connectURL: 'http://10.0.0.5:9185' }),
    kind: 'MigrationPair',
    prop: 'connectURL',
    meaning: ['"http://10.0.0.5:9185"', 'host:port'],
  },
  'a migrationID with spaces': { cli: one({ migrationID: 'a b c' }), construct: migrationWith({ migrationID: 'a b c' }), kind: 'DecentralizedMigration', prop: 'migrationID', meaning: ['"a b c"', 'letters, digits'] },
  'an empty migrationID': { cli: one({ migrationID: '' }), construct: migrationWith({ migrationID: '' }), kind: 'DecentralizedMigration', prop: 'migrationID', meaning: ['""', 'letters, digits'] },
  'a VM name that is not a DNS label': {
    cli: { entries: [migration('Web_1')], vms: [machine('Web_1')] },
    construct: migrationWith({ vmName: 'Web_1' }),
    kind: 'DecentralizedMigration',
    prop: 'vmName',
    meaning: ['"Web_1"', 'DNS'],
  },
  'a migration name that is not a DNS label': { cli: one({ name: 'Web_1' }), construct: migrationWith({ migrationName: 'Web_1' }), kind: 'DecentralizedMigration', prop: 'migrationName', meaning: ['"Web_1"', 'DNS'] },
  'a namespace that is not a DNS label': { cli: one({ destination: { namespace: 'Dst_1' } }), construct: migrationWith({ destinationNamespace: 'Dst_1' }), kind: 'DecentralizedMigration', prop: 'destinationNamespace', meaning: ['"Dst_1"', 'DNS'] },
  'a size that is no quantity': {
    cli: one({ disks: { root: { size: 'lots' } } }),
    construct: migrationWith({ disks: [{ name: 'root-dv', size: 'lots' }] }),
    kind: 'DecentralizedMigration',
    prop: 'disks[0].size',
    meaning: ['"lots"', 'Kubernetes quantity'],
  },
  'a negative size': {
    cli: one({ disks: { root: { size: '-5Gi' } } }),
    construct: migrationWith({ disks: [{ name: 'root-dv', size: '-5Gi' }] }),
    kind: 'DecentralizedMigration',
    prop: 'disks[0].size',
    meaning: ['"-5Gi"', 'Kubernetes quantity'],
  },
  'a size smaller than the source disk': {
    cli: one({ disks: { root: { size: '5Gi' } } }),
    construct: migrationWith({ disks: [{ name: 'root-dv', size: '5Gi', sourceSize: '10Gi' }] }),
    kind: 'DecentralizedMigration',
    prop: 'disks[0].size',
    meaning: ['5Gi is smaller than the source disk (10Gi)'],
  },
  'a volume mode in the wrong case': {
    cli: one({ disks: { root: { volumeMode: 'block' } } }),
    construct: migrationWith({ disks: [{ name: 'root-dv', size: '10Gi', volumeMode: loose('block') }] }),
    kind: 'DecentralizedMigration',
    prop: 'disks[0].volumeMode',
    meaning: ['"block"', 'Block', 'Filesystem'],
  },
  'an abbreviated access mode': {
    cli: one({ disks: { root: { accessModes: ['RWX'] } } }),
    construct: migrationWith({ disks: [{ name: 'root-dv', size: '10Gi', accessModes: loose(['RWX']) }] }),
    kind: 'DecentralizedMigration',
    prop: 'disks[0].accessModes',
    meaning: ['"RWX"', 'ReadWriteOnce', 'ReadWriteOncePod'],
  },
  'no access modes': {
    cli: one({ disks: { root: { accessModes: [] } } }),
    construct: migrationWith({ disks: [{ name: 'root-dv', size: '10Gi', accessModes: [] }] }),
    kind: 'DecentralizedMigration',
    prop: 'disks[0].accessModes',
    meaning: ['fewer than 1 item'],
  },
  'an access mode twice': {
    cli: one({ disks: { root: { accessModes: ['ReadWriteOnce', 'ReadWriteOnce'] } } }),
    construct: migrationWith({ disks: [{ name: 'root-dv', size: '10Gi', accessModes: ['ReadWriteOnce', 'ReadWriteOnce'] }] }),
    kind: 'DecentralizedMigration',
    prop: 'disks[0].accessModes',
    meaning: ['duplicate items'],
  },
  'a storage class that is not a name': {
    cli: one({ disks: { root: { storageClass: 'Fast_SSD' } } }),
    construct: migrationWith({ disks: [{ name: 'root-dv', size: '10Gi', storageClassName: 'Fast_SSD' }] }),
    kind: 'DecentralizedMigration',
    prop: 'disks[0].storageClassName',
    meaning: ['"Fast_SSD"', 'lowercase letters, digits'],
  },
  'a halted source': { cli: one({}, withRunStrategy('Halted')), construct: migrationWith({ restoreRunStrategy: loose('Halted') }), kind: 'DecentralizedMigration', prop: 'restoreRunStrategy', meaning: ['"Halted" is not a running strategy: the source VM is not running'] },
  'a source that is a receiver': {
    cli: one({}, withRunStrategy('WaitAsReceiver')),
    construct: migrationWith({ restoreRunStrategy: loose('WaitAsReceiver') }),
    kind: 'DecentralizedMigration',
    prop: 'restoreRunStrategy',
    meaning: ['"WaitAsReceiver" is not a running strategy: the source VM is itself a receiver'],
  },
  // Issue 18's rule under both faces: virt-controller vm.go syncRunStrategy halts only an Always source.
  'a source KubeVirt does not halt (RerunOnFailure)': {
    cli: one({}, withRunStrategy('RerunOnFailure')),
    construct: migrationWith({ restoreRunStrategy: 'RerunOnFailure' }),
    kind: 'DecentralizedMigration',
    prop: 'allowRunStrategy',
    meaning: ["the source VM's runStrategy is RerunOnFailure", 'from its stale disks, a second copy of the migrated VM'],
  },
  'a misspelt run strategy': { cli: one({}, withRunStrategy('Allways')), construct: migrationWith({ restoreRunStrategy: loose('Allways') }), kind: 'DecentralizedMigration', prop: 'restoreRunStrategy', meaning: ['"Allways" is not one of KubeVirt\'s run strategies'] },
  'the same namespace at both ends of one cluster': {
    cli: one({ destination: { namespace: 'src' } }),
    construct: migrationWith({ destinationNamespace: 'src' }),
    kind: 'DecentralizedMigration',
    prop: 'destinationNamespace',
    meaning: ['source and destination are the same namespace'],
  },
  'the split-brain guard: a managed Always source whose sync restores its runStrategy': {
    cli: one({ source: { manage: true } }),
    construct: migrationWith({ sourceVirtualMachine: { spec: machine().spec } }),
    kind: 'DecentralizedMigration',
    prop: 'sourceVirtualMachine.runStrategyIgnored',
    meaning: ['managed here with runStrategy Always', 'start it again from its stale disks'],
  },
  'the same VM migrated twice': {
    cli: { entries: [migration('web'), migration('web', { name: 'web-again', destination: { namespace: 'other' } })], vms: [machine()] },
    construct: (chart) => {
      new DecentralizedMigration(chart, 'web', props());
      new DecentralizedMigration(chart, 'web-again', props({ migrationName: 'web-again', migrationID: 'web-2', destinationNamespace: 'other' }));
    },
    kind: 'DecentralizedMigration',
    prop: 'vmName',
    meaning: ['VM "src/web" is migrated twice'],
  },
  'two migrations with one migrationID': {
    cli: { entries: [migration('web', { migrationID: 'same' }), migration('db', { migrationID: 'same' })], vms: [machine(), machine('db')] },
    construct: (chart) => {
      new DecentralizedMigration(chart, 'web', props({ migrationID: 'same' }));
      new DecentralizedMigration(chart, 'db', props({ vmName: 'db', migrationID: 'same', disks: [{ name: 'db-root', size: '1Gi' }] }));
    },
    kind: 'DecentralizedMigration',
    prop: 'migrationID',
    meaning: ['duplicate migrationID "same"'],
  },
  'two migrations with one name': {
    cli: { entries: [migration('web', { name: 'move' }), migration('db', { name: 'move' })], vms: [machine(), machine('db')] },
    construct: (chart) => {
      new DecentralizedMigration(chart, 'web', props({ migrationName: 'move' }));
      new DecentralizedMigration(chart, 'db', props({ vmName: 'db', migrationName: 'move', migrationID: 'db-1', disks: [{ name: 'db-root', size: '1Gi' }] }));
    },
    kind: 'DecentralizedMigration',
    prop: 'migrationName',
    meaning: ['duplicate migration name "move"'],
  },
  'two migrations that create one DataVolume': {
    cli: { entries: [migration('web'), migration('db')], vms: [machine(), machine('db')] },
    construct: (chart) => {
      new DecentralizedMigration(chart, 'web', props());
      new DecentralizedMigration(chart, 'db', props({ vmName: 'db', migrationID: 'db-1' }));
    },
    kind: 'DecentralizedMigration',
    prop: 'disks[0].name',
    meaning: ['migrations "web" and "db" both create DataVolume "root-dv" in namespace "dst"'],
  },
};

function cliErrors(input: RefusalCase['cli']): string[] {
  const workspace = new Workspace();
  workspace.setup({ migrations: input.entries }, Object.fromEntries(input.vms.map((v) => [v.metadata.name, [v]])));
  return messagesOf(() => synth(workspace));
}

const says = (message: string, meaning: readonly string[]) => meaning.every((words) => message.includes(words));

describe('the constructs refuse what the CLI refuses, in the same words', () => {
  it.each(Object.entries(cases))('%s', (_, refusal) => {
    const cli = cliErrors(refusal.cli);
    expect(cli.filter((m) => says(m, refusal.meaning)), cli.join('\n')).not.toEqual([]);

    const chart = Testing.chart();
    let thrown: unknown;
    try {
      refusal.construct(chart);
    } catch (error) {
      thrown = error;
    }
    expect(thrown, 'the constructs accepted it').toBeInstanceOf(Error);
    const lines = (thrown as Error).message.split('\n');
    const named = lines.filter((line) => new RegExp(`^${refusal.kind} "${chart.node.path}/[\\w-]+": ${refusal.prop.replace(/[.[\]]/g, '\\$&')} `).test(line));
    expect(named.filter((line) => says(line, refusal.meaning)), lines.join('\n')).not.toEqual([]);
  });

  it('both faces accept the valid migration the cases start from', () => {
    expect(cliErrors(one())).toEqual([]);
    expect(() => migrationWith({})(Testing.chart())).not.toThrow();
  });

  it('the message names the construct path and the prop (MigrationPair "test/web": connectURL ...)', () => {
    const chart = Testing.chart();
    expect(() => new MigrationPair(chart, 'web', { vmiName: 'web', migrationID: 'm', sourceNamespace: 's', destinationNamespace: 'd', connectURL: 'http://10.0.0.5:9185' })).toThrow(
      `MigrationPair "${chart.node.path}/web": connectURL "http://10.0.0.5:9185" is not host:port`,
    );
  });

  it('a managed source is accepted when its sync ignores the runStrategy, and two migrations of one VM in different charts (clusters) are not duplicates', () => {
    const app = Testing.app();
    const east = new Chart(app, 'east');
    const west = new Chart(app, 'west');
    expect(() => new DecentralizedMigration(east, 'web', props({ sourceVirtualMachine: { spec: machine().spec, runStrategyIgnored: true } }))).not.toThrow();
    expect(() => new DecentralizedMigration(west, 'web', props({ migrationName: 'web-west', migrationID: 'web-2' }))).not.toThrow();
  });
});

describe('the config schema repeats the closed sets of lib/rules for editors, unchanged', () => {
  const definitions = (schema as { definitions: Record<string, any> }).definitions;
  it('volume modes, access modes and the migrationID pattern', () => {
    expect(definitions.DiskOverride.properties.volumeMode.enum).toEqual([...VOLUME_MODES]);
    expect(definitions.DiskOverride.properties.accessModes.items.enum).toEqual([...ACCESS_MODES]);
    expect(definitions.Migration.properties.migrationID.pattern).toBe(MIGRATION_ID_PATTERN.source);
  });
});
