import { defineConfig } from 'vitest/config';

// npm run test:real-kube: the scenarios against the real control plane scripts/real-kube.sh starts
export default defineConfig({
  logLevel: 'error',
  test: {
    include: ['test/real-kube/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
