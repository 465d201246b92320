import { expect, it } from 'vitest';
import { CRDS_MISSING_MESSAGE, crdValidators } from './support/crds.ts';

// Locally a missing ../shared/crds only skips the schema tests (with a visible message); CI must have them.
it.runIf(process.env.CI === 'true')('the shared CRDs are available under CI', () => {
  expect(crdValidators, CRDS_MISSING_MESSAGE).toBeDefined();
});
