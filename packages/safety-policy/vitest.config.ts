import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // PostgreSQL tests share one schema per file and empty it between tests; generous under load.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // No file mocks or patches globals: sharing the module graph across files saves loading
    // kysely, pg, better-sqlite3 and zod once per file.
    isolate: false,
  },
});
