// The CRD validators kvmigrate ships (lib/config/crd-validators.generated.js: object schemas hoisted and shared,
// errors without the schema, no status) against ajv compiling the shared CRD's schema as it is.
import fc from 'fast-check';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { validateDataVolumeCrd, validateVirtualMachineCrd } from '../lib/config/crd-validators.generated.js';
import { crdValidators } from './support/crds.ts';
import { baseManifest, mutate, structural } from './support/fuzz.ts';

/** What a validator found: each error's place, keyword and parameters, in a stable order. */
function findings(validate: ValidateFunction, object: unknown): string[] {
  if (validate(object)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`).sort();
}

const sourceVm = () => baseManifest()[0]!;
const dataVolume = (): Record<string, any> => {
  const template = sourceVm().spec.dataVolumeTemplates[0];
  return { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { ...template.metadata, namespace: 'src' }, spec: template.spec };
};

describe.skipIf(!crdValidators)('the shipped CRD validators', () => {
  const cases = [
    ['VirtualMachine', validateVirtualMachineCrd, 'kubevirt.io/v1/VirtualMachine', sourceVm],
    ['DataVolume', validateDataVolumeCrd, 'cdi.kubevirt.io/v1beta1/DataVolume', dataVolume],
  ] as const;

  it.each(cases)('%s: find what the CRD schema finds, at the same places, in any mutation of a valid object without status', (_, shipped, key, base) => {
    const full = crdValidators!.get(key)!;
    expect(findings(full, base())).toEqual([]);
    let invalid = 0;
    fc.assert(
      fc.property(fc.array(structural, { minLength: 1, maxLength: 3 }), (mutations) => {
        const object = mutations.reduce(mutate, base());
        delete object.status;
        const expected = findings(full, object);
        if (expected.length > 0) invalid++;
        expect(findings(shipped, object)).toEqual(expected);
      }),
      { numRuns: 400 },
    );
    // The mutations reach the schema, not only fields it leaves open.
    expect(invalid).toBeGreaterThan(20);
  });

  it.each(cases)('%s: leave status out, which the API server drops from a created object (customResourceStrategy.PrepareForCreate)', (_, shipped, key, base) => {
    const object = { ...base(), status: { phase: 5, conditions: 'none' } };
    expect(crdValidators!.get(key)!(object)).toBe(false);
    expect(shipped(object)).toBe(true);
  });
});
