import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedName, migrationObjectNames } from '../lib/names.ts';
import { deriveMigrationId } from '../lib/plan/migration-id.ts';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { ofKind, synth } from './support/synth.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
const identity = (attempt: number) => ({
  vm: 'web',
  source: { cluster: 'east', namespace: 'a' },
  destination: { cluster: 'west', namespace: 'b' },
  attempt,
});

describe('migrationID', () => {
  it('is a UUID, stable for the same migration and attempt', () => {
    expect(deriveMigrationId(identity(1))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deriveMigrationId(identity(1))).toBe(deriveMigrationId(identity(1)));
  });

  it('changes with the attempt, the VM and either end', () => {
    const ids = new Set([
      deriveMigrationId(identity(1)),
      deriveMigrationId(identity(2)),
      deriveMigrationId({ ...identity(1), vm: 'db' }),
      deriveMigrationId({ ...identity(1), source: { cluster: 'east', namespace: 'c' } }),
      deriveMigrationId({ ...identity(1), destination: { cluster: 'north', namespace: 'b' } }),
    ]);
    expect(ids.size).toBe(5);
  });

  it('re-synthesis keeps it; a new attempt gives a new ID and new migration object names', () => {
    const machine = vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }));
    // What the hook is told to create: the migrationID and the receive migration's name.
    const receive = (attempt?: number) => {
      const workspace = new Workspace();
      workspace.setup({ migrations: [migration('a', attempt ? { attempt } : {})] }, { a: [machine] });
      const args = ofKind(synth(workspace).objects, 'Job')[0]!.spec.template.spec.containers[0].args as string[];
      return { migrationID: args[args.indexOf('--migration-id') + 1], name: args[args.indexOf('--receive-name') + 1] };
    };
    const first = receive();
    expect(receive(1)).toEqual(first);
    const retry = receive(2);
    expect(retry.migrationID).not.toBe(first.migrationID);
    expect(retry.name).not.toBe(first.name);
  });
});

describe('generated names', () => {
  it('are DNS labels of at most 63 characters that keep their suffix, for any VM name', () => {
    fc.assert(
      fc.property(dnsLabel, fc.string({ minLength: 1, maxLength: 80 }), (vmName, id) => {
        const names = migrationObjectNames(vmName, id);
        for (const name of [names.receive, names.send]) {
          expect(name.length).toBeLessThanOrEqual(63);
          expect(name).toMatch(DNS_LABEL);
        }
        expect(names.receive).toMatch(/-receive-[0-9a-f]{8}$/);
        expect(names.send).toMatch(/-send-[0-9a-f]{8}$/);
        expect(migrationObjectNames(vmName, id)).toEqual(names);
      }),
    );
  });

  it('keep a short base whole and cut a long one', () => {
    expect(boundedName('web', 'receive-0123abcd')).toBe('web-receive-0123abcd');
    const long = 'v'.repeat(63);
    expect(boundedName(long, 'receive-0123abcd')).toBe(`${'v'.repeat(46)}-receive-0123abcd`);
  });
});
