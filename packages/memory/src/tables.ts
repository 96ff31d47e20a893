import type { Generated } from 'kysely';

/** Row of `memory_invocations`. */
export interface InvocationRow {
  id: Generated<number>;
  tool: string;
  version: number;
  started_at: number;
  duration_ms: number;
  /** 1 for ok, 0 for an error. */
  ok: number;
  error_code: string | null;
  error_message: string | null;
  input_hash: string;
  output_hash: string | null;
  task_id: string | null;
  model_turn: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
}

/** Row of `memory_lessons`. */
export interface LessonRow {
  id: Generated<number>;
  text: string;
  source: string;
  /** JSON array of strings. */
  tags: string;
  task_id: string | null;
  invocation_id: string | null;
  helpful: Generated<number>;
  harmful: Generated<number>;
  supersedes: number | null;
  created_at: number;
}

/** Row of `memory_lesson_tags`. */
export interface LessonTagRow {
  lesson_id: number;
  tag: string;
}

/** Row of `memory_audit`. */
export interface AuditRow {
  id: Generated<number>;
  at: number;
  actor_kind: string;
  actor_id: string;
  action: string;
  artifact: string | null;
  from_version: number | null;
  to_version: number | null;
  reason: string;
  /** JSON object. */
  evidence: string;
}

/** The tables memory owns. */
export interface MemoryTables {
  memory_invocations: InvocationRow;
  memory_lessons: LessonRow;
  memory_lesson_tags: LessonTagRow;
  memory_audit: AuditRow;
}
