import { defineConfig } from 'vitest/config';

// The end-to-end tests open real SQLite files and start real sandboxes (a worker each); on a
// loaded 2-core machine one command can take seconds. Correctness does not depend on the limit.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
