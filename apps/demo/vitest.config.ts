import { defineConfig } from 'vitest/config';

// Each end-to-end test runs the whole demo in a child process (sandbox workers, SQLite, a local
// HTTP service whose degradation scenario B measures): one file at a time, so two demos never
// compete for the machine and skew each other's timings.
export default defineConfig({ test: { testTimeout: 120_000, fileParallelism: false } });
