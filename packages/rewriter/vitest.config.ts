import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The sandbox starts a worker process on first use.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
