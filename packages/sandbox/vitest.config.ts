import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests start worker processes (isolated-vm) and some wait for a run to hit its deadline
    // or its memory limit; none asserts on time.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
