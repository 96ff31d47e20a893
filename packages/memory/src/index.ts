/**
 * `@toolwright/memory` — interface only today. The types it will implement are re-exported
 * from `@toolwright/core`; the implementation lands with the storage issue. Nothing here pretends to work.
 *
 * @packageDocumentation
 */
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
