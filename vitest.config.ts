import { defineConfig } from 'vitest/config';

export default defineConfig({
  // the inlined workflow parser ships source maps without sources; vite warns once per file
  logLevel: 'error',
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // the workflow parser ships ESM with JSON imports that vitest must transform itself
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    pool: 'forks',
  },
});
