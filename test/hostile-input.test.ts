// Hostile input, round three: what an attacker's (or a careless tool's) config and manifests do to synthesis. Each
// case ends in an error at the file and line to blame, exit 1 and nothing written, never a stack trace or a hang.
import { describe, expect, it } from 'vitest';
import { InputError } from '../lib/diagnostics.ts';
import { claim, dataVolume, vm, withClaim, withDataVolume, withDataVolumeTemplate } from './support/builders.ts';
import { compile } from './support/compile.ts';

/** The errors of a synthesis as `file:line: message`, or [] when it succeeds. */
function placedErrors(run: () => unknown): string[] {
  try {
    run();
    return [];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return error.diagnostics.map((d) => `${d.location?.file.replace(/^.*kvmigrate-test-[^/]+\//, '')}:${d.location?.line}: ${d.message}`);
  }
}

describe('disk sizes a DataVolume cannot have (CDI refuses a zero size; kvmigrate reads exponents up to 100)', () => {
  it.each([
    ['0Gi', 'a disk needs a size above zero'],
    ['0', 'a disk needs a size above zero'],
    ['1e400', 'it is out of the range of a disk size'],
  ])('%s in a dataVolumeTemplate is refused at its line', (size, why) => {
    const machine = vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size }));
    expect(placedErrors(() => compile(machine))).toEqual([`vms/a.yaml:41: dataVolumeTemplate "root-dv": size "${size}" is not a usable disk size: ${why}`]);
  });

  it('in a DataVolume, a claim request and a claim capacity, each at its own line', () => {
    const machine = vm('a', withDataVolume('root', 'root-dv'), withClaim('data', 'data-pvc'));
    const errors = placedErrors(() => compile(machine, { docs: [dataVolume('root-dv', { size: '0Gi' }), claim('data-pvc', { size: '1e400', capacity: '0' })] }));
    expect(errors.map((e) => e.replace(/^vms\/a\.yaml:\d+: /, ''))).toEqual([
      'DataVolume "root-dv": size "0Gi" is not a usable disk size: a disk needs a size above zero',
      'PersistentVolumeClaim "data-pvc": size "1e400" is not a usable disk size: it is out of the range of a disk size',
      'PersistentVolumeClaim "data-pvc" status.capacity: size "0" is not a usable disk size: a disk needs a size above zero',
    ]);
    expect(new Set(errors.map((e) => e.split(':')[1])).size).toBe(3);
  });

  it('a zero size override in the config is refused at the config line', () => {
    const machine = vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '10Gi' }));
    expect(placedErrors(() => compile(machine, { entry: { disks: { root: { size: '0Gi' } } } }))).toEqual([
      'migrations.yaml:10: disks.root: size "0Gi" is not a usable disk size: a disk needs a size above zero',
    ]);
  });
});
