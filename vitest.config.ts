import { defineConfig } from 'vitest/config';

export default defineConfig({
  // the inlined workflow parser ships source maps without sources; vite warns once per file
  logLevel: 'error',
  test: {
    include: ['test/**/*.test.ts'],
    // the real control plane's suite runs with npm run test:real-kube (vitest.real-kube.config.ts)
    exclude: ['test/real-kube/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // the workflow parser ships ESM with JSON imports that vitest must transform itself
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    pool: 'forks',
    // most e2e files wait on child processes and servers, not on the CPU: two files at once on a 2-core machine
    // (vitest's default is cores − 1, which serialises the suite here); every test waits for events, not timings
    maxWorkers: 2,
  },
});
