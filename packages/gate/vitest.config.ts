import { defineConfig } from 'vitest/config';

// Agent tests start real sandboxes (a worker process each) and SQLite files; on a loaded
// 2-core CI machine a single test can take seconds. Correctness does not depend on the limit.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
