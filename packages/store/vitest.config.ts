import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // PostgreSQL tests migrate a fresh schema per test; child-process tests start Node.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
