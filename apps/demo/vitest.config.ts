import { defineConfig } from 'vitest/config';

// Each test runs the whole demo in a child process (sandbox workers, SQLite, a local HTTP service).
export default defineConfig({ test: { testTimeout: 120_000 } });
