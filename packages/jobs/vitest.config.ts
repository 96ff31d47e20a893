import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // PostgreSQL tests migrate a fresh schema per test; the two-process test starts child processes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
