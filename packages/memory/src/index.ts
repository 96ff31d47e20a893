/**
 * `@toolwright/memory`: what happened — invocations, summaries, lessons and the audit log —
 * persisted through kysely in SQLite (embedded default) or PostgreSQL. `openDatabase`, the
 * handle every Toolwright store persists through, lives in `@toolwright/store` and is
 * re-exported here so that existing imports keep working.
 *
 * @packageDocumentation
 */
export { createMemory } from './create-memory.js';
export type { CreateMemoryOptions, MemoryStats, MemoryStore, MemorySummary } from './create-memory.js';
export { MAX_DURATION_MS, MAX_INVOCATION_INTEGER } from './invocation-check.js';
export { openDatabase } from '@toolwright/store';
export type { Database, DatabaseDialect, NotificationListener, OpenDatabaseOptions } from '@toolwright/store';
export { MEMORY_MIGRATION_TABLE } from './migrations/memory-migrations.js';
export type {
  AuditEntry,
  AuditEntryInput,
  Invocation,
  Lesson,
  LessonInput,
  Memory,
  SeriesBucket,
  SeriesOptions,
  SummaryOptions,
  ToolSeriesSummary,
  ToolSummary,
} from '@toolwright/core';
export { MAX_SERIES_BUCKETS } from '@toolwright/core';
