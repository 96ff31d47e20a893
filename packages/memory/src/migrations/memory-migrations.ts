import { type Migration, sql } from 'kysely';
import type { MigrationPlan } from '@toolwright/store';

type Dialect = 'sqlite' | 'postgres';

/** The table kysely records memory's migrations in (its lock table is `<name>_lock`). */
export const MEMORY_MIGRATION_TABLE = 'toolwright_memory_migrations';

/**
 * 0001: invocations, lessons (tags as JSON) and the audit log.
 */
function initial(dialect: Dialect): Migration {
  const idType = dialect === 'postgres' ? 'bigserial' : 'integer';
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db) {
      await db.schema
        .createTable('memory_invocations')
        .addColumn('id', idType, (column) => column.primaryKey())
        .addColumn('tool', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('started_at', bigint, (column) => column.notNull())
        .addColumn('duration_ms', 'double precision', (column) => column.notNull())
        .addColumn('ok', 'integer', (column) => column.notNull())
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('input_hash', 'text', (column) => column.notNull())
        .addColumn('output_hash', 'text')
        .addColumn('task_id', 'text')
        .addColumn('model_turn', 'integer')
        .addColumn('input_tokens', 'integer')
        .addColumn('output_tokens', 'integer')
        .execute();
      // Summaries read a window of one tool's calls: this index covers the statistics (no
      // table lookups), and the partial one below holds only the failures, for error classes.
      await db.schema
        .createIndex('memory_invocations_tool_time')
        .on('memory_invocations')
        .columns(['tool', 'started_at', 'id', 'duration_ms', 'ok'])
        .execute();
      await db.schema
        .createIndex('memory_invocations_tool_failures')
        .on('memory_invocations')
        .columns(['tool', 'started_at', 'id', 'error_code'])
        .where(sql.ref('ok'), '=', 0)
        .execute();

      await db.schema
        .createTable('memory_lessons')
        .addColumn('id', idType, (column) => column.primaryKey())
        .addColumn('text', 'text', (column) => column.notNull())
        .addColumn('source', 'text', (column) => column.notNull())
        .addColumn('tags', 'text', (column) => column.notNull())
        .addColumn('task_id', 'text')
        .addColumn('invocation_id', 'text')
        .addColumn('helpful', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('harmful', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('supersedes', bigint, (column) => column.references('memory_lessons.id'))
        .addColumn('created_at', bigint, (column) => column.notNull())
        .execute();
      // At most one successor per lesson: two concurrent updates of one lesson cannot both win.
      await db.schema.createIndex('memory_lessons_supersedes').on('memory_lessons').column('supersedes').unique().execute();

      await db.schema
        .createTable('memory_audit')
        .addColumn('id', idType, (column) => column.primaryKey())
        .addColumn('at', bigint, (column) => column.notNull())
        .addColumn('actor_kind', 'text', (column) => column.notNull())
        .addColumn('actor_id', 'text', (column) => column.notNull())
        .addColumn('action', 'text', (column) => column.notNull())
        .addColumn('artifact', 'text')
        .addColumn('from_version', 'integer')
        .addColumn('to_version', 'integer')
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('evidence', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('memory_audit_artifact').on('memory_audit').columns(['artifact', 'id']).execute();
    },
  };
}

/**
 * 0002: a tag table for lessons (backfilled from the JSON column), indexes for per-version
 * summaries, and triggers that make the audit log append-only and lessons unchangeable except
 * for their helpful/harmful counters.
 */
function tagsVersionsAndGuards(dialect: Dialect): Migration {
  return {
    async up(db) {
      await db.schema
        .createTable('memory_lesson_tags')
        .addColumn('lesson_id', dialect === 'postgres' ? 'bigint' : 'integer', (column) =>
          column.notNull().references('memory_lessons.id'),
        )
        .addColumn('tag', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('memory_lesson_tags_pk', ['lesson_id', 'tag'])
        .execute();
      await db.schema.createIndex('memory_lesson_tags_tag').on('memory_lesson_tags').columns(['tag', 'lesson_id']).execute();
      const lessons = await db.selectFrom('memory_lessons').select(['id', 'tags']).execute();
      for (const lesson of lessons as { id: number; tags: string }[]) {
        const tags = [...new Set(parseTags(lesson.tags))];
        if (tags.length > 0) {
          await db
            .insertInto('memory_lesson_tags')
            .values(tags.map((tag) => ({ lesson_id: lesson.id, tag })))
            .execute();
        }
      }

      await db.schema
        .createIndex('memory_invocations_tool_version_time')
        .on('memory_invocations')
        .columns(['tool', 'version', 'started_at', 'id', 'duration_ms', 'ok'])
        .execute();
      await db.schema
        .createIndex('memory_invocations_tool_version_failures')
        .on('memory_invocations')
        .columns(['tool', 'version', 'started_at', 'id', 'error_code'])
        .where(sql.ref('ok'), '=', 0)
        .execute();

      if (dialect === 'sqlite') {
        await sql`create trigger memory_audit_no_update before update on memory_audit
          begin select raise(abort, 'memory_audit is append-only: entries cannot be changed'); end`.execute(db);
        await sql`create trigger memory_audit_no_delete before delete on memory_audit
          begin select raise(abort, 'memory_audit is append-only: entries cannot be deleted'); end`.execute(db);
        await sql`create trigger memory_lessons_no_rewrite before update of text, source, tags, task_id, invocation_id, supersedes, created_at on memory_lessons
          begin select raise(abort, 'memory_lessons are append-only: add a lesson that supersedes this one'); end`.execute(db);
        await sql`create trigger memory_lessons_no_delete before delete on memory_lessons
          begin select raise(abort, 'memory_lessons are append-only: lessons cannot be deleted'); end`.execute(db);
      } else {
        await sql`create function memory_append_only() returns trigger language plpgsql as $$
          begin raise exception '% is append-only: % is not allowed', tg_table_name, tg_op; end $$`.execute(db);
        await sql`create trigger memory_audit_append_only before update or delete on memory_audit
          for each row execute function memory_append_only()`.execute(db);
        await sql`create trigger memory_audit_no_truncate before truncate on memory_audit
          for each statement execute function memory_append_only()`.execute(db);
        await sql`create trigger memory_lessons_no_rewrite before update of text, source, tags, task_id, invocation_id, supersedes, created_at
          on memory_lessons for each row execute function memory_append_only()`.execute(db);
        await sql`create trigger memory_lessons_no_delete before delete on memory_lessons
          for each row execute function memory_append_only()`.execute(db);
      }
    },
  };
}

function parseTags(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((tag): tag is string => typeof tag === 'string' && tag !== '') : [];
  } catch {
    return [];
  }
}

/** Every memory migration, oldest first. Forward only: a published migration never changes. */
export function memoryMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_invocations_lessons_audit': initial(dialect),
    '0002_lesson_tags_version_index_guards': tagsVersionsAndGuards(dialect),
  };
}

/** Memory's migration plan for a database of `dialect`. */
export function memoryMigrationPlan(dialect: Dialect): MigrationPlan {
  return { owner: '@toolwright/memory', table: MEMORY_MIGRATION_TABLE, migrations: memoryMigrations(dialect) };
}
