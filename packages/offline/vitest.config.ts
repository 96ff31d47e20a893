import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Some tests search thousands of programs or run emitted tools in the sandbox; none asserts
    // on time, and a loaded 2-core machine can be several times slower than an idle one.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
