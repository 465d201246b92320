import { defineConfig } from 'vitest/config';

/**
 * The real API server suite (npm run test:apiserver): kube-apiserver 1.20.2 and etcd, built and installed by
 * scripts/kube-apiserver.sh. Each file starts its own server (5-20 s), so timeouts are longer than npm test's.
 */
export default defineConfig({
  test: {
    include: ['test/apiserver/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
