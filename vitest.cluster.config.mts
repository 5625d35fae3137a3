// `npm run test:cluster`: the cluster's own runs, apart from `npm test` (no shared dev server).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/cluster/**/*.cluster.ts'],
    pool: 'forks',
    setupFiles: ['test/harness/quiet-runtime.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 600_000,
  },
});
