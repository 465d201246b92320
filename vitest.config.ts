import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real API server suite runs on its own: npm run test:apiserver (vitest.apiserver.config.ts).
    exclude: ['test/apiserver/**', '**/node_modules/**'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
