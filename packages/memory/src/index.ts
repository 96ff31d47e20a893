/**
 * `@toolwright/memory`: what happened — invocations, summaries, lessons and the audit log —
 * persisted through kysely in SQLite (embedded default) or PostgreSQL; and `openDatabase`,
 * the handle every Toolwright store persists through.
 *
 * @packageDocumentation
 */
export { createMemory } from './create-memory.js';
export type { CreateMemoryOptions, MemoryStats, MemoryStore } from './create-memory.js';
export { openDatabase } from './database/open-database.js';
export type { Database, DatabaseDialect, NotificationListener, OpenDatabaseOptions } from './database/database.js';
export { MEMORY_MIGRATION_TABLE } from './migrations/memory-migrations.js';
export type {
  AuditEntry,
  AuditEntryInput,
  Invocation,
  Lesson,
  LessonInput,
  Memory,
  SummaryOptions,
  ToolSummary,
} from '@toolwright/core';
