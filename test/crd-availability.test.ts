import { expect, it } from 'vitest';
import { CRDS_MISSING_MESSAGE, crdValidators } from './support/crds.ts';

// Locally a missing ../shared/crds only skips the schema tests (with a visible message); CI must have them.
it.runIf(process.env.CI === 'true')('the shared CRDs are available under CI', () => {
  expect(crdValidators, CRDS_MISSING_MESSAGE).toBeDefined();
});

it('without the CRDs, the message says which files, and where a user gets each', () => {
  for (const file of ['kubevirt.io_virtualmachines.yaml', 'cdi.kubevirt.io_datavolumes.yaml', 'argoproj.io_applications.yaml']) expect(CRDS_MISSING_MESSAGE).toContain(file);
  expect(CRDS_MISSING_MESSAGE).toContain('kubectl get crd virtualmachines.kubevirt.io -o yaml > kubevirt.io_virtualmachines.yaml');
  expect(CRDS_MISSING_MESSAGE).toContain('manifests/crds/application-crd.yaml');
});
