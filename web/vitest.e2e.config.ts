import { defineConfig } from 'vitest/config';

// The browser end-to-end spec: run by the Go harness (test/e2e/dashboard)
// against a real local fleet; see e2e/dashboard.e2e.ts for the environment.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
