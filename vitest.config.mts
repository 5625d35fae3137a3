import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Temporal SDK's native runtime is per process: one fork per test file.
    pool: 'forks',
    globalSetup: ['test/harness/global-dev-server.ts'],
    setupFiles: ['test/harness/quiet-runtime.ts'],
    reporters: ['default', './test/harness/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
