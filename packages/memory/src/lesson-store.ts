import { type Lesson, type LessonInput, lessonInputSchema, parseOrThrow, StorageError, ValidationError } from '@toolwright/core';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { isForeignKeyViolation, isUniqueViolation } from './constraint-errors.js';
import type { LessonRow, MemoryTables } from './tables.js';

const LESSON_ID = /^[1-9][0-9]{0,15}$/;

const lessonQuerySchema = z
  .object({
    tags: z.array(z.string().min(1).max(100)).max(50).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();

/** Lessons: appended, superseded by newer ones, rated; never rewritten or deleted. */
export class LessonStore {
  readonly #db: Kysely<MemoryTables>;
  readonly #now: () => number;

  constructor(db: Kysely<MemoryTables>, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async add(input: LessonInput, supersedes?: string): Promise<Lesson> {
    const lesson = parseOrThrow(lessonInputSchema, input, 'lesson');
    const previous = supersedes === undefined ? null : parseLessonId(supersedes);
    const tags = [...new Set(lesson.tags)];
    const createdAt = this.#now();
    try {
      const id = await this.#db.transaction().execute(async (transaction) => {
        // The insert comes first: on SQLite it takes the write lock before anything is read.
        const row = await transaction
          .insertInto('memory_lessons')
          .values({
            text: lesson.text,
            source: lesson.source,
            tags: JSON.stringify(tags),
            task_id: lesson.provenance.taskId ?? null,
            invocation_id: lesson.provenance.invocationId ?? null,
            supersedes: previous,
            created_at: createdAt,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const newId = Number(row.id);
        if (tags.length > 0) {
          await transaction
            .insertInto('memory_lesson_tags')
            .values(tags.map((tag) => ({ lesson_id: newId, tag })))
            .execute();
        }
        return newId;
      });
      return toLesson({ ...(await this.#row(id)), superseded: false });
    } catch (error) {
      if (previous !== null && isForeignKeyViolation(error)) throw notFound(String(supersedes));
      if (previous !== null && isUniqueViolation(error)) {
        const successor = await this.#successorOf(previous);
        throw new ValidationError(
          'INVALID_ARGUMENT',
          `Lesson ${previous} was already superseded by lesson ${successor ?? '(unknown)'}; update the current lesson instead.`,
          { details: { lesson: String(previous), supersededBy: successor } },
        );
      }
      throw error;
    }
  }

  async rate(id: string, rating: 'helpful' | 'harmful'): Promise<Lesson> {
    const lessonId = parseLessonId(id);
    if (rating !== 'helpful' && rating !== 'harmful') {
      throw new ValidationError('INVALID_ARGUMENT', `A lesson rating is "helpful" or "harmful"; got ${JSON.stringify(rating)}.`);
    }
    const result = await this.#db
      .updateTable('memory_lessons')
      .set((eb) => ({ [rating]: eb(rating, '+', 1) }))
      .where('id', '=', lessonId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound(id);
    const row = await this.#row(lessonId);
    return toLesson({ ...row, superseded: (await this.#successorOf(lessonId)) !== undefined });
  }

  async list(query: unknown = {}): Promise<Lesson[]> {
    const { tags, limit = 100 } = parseOrThrow(lessonQuerySchema, query, 'lessons query');
    let select = this.#db
      .selectFrom('memory_lessons as l')
      .selectAll('l')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('memory_lessons as s').select('s.id').whereRef('s.supersedes', '=', 'l.id'))));
    if (tags !== undefined) {
      if (tags.length === 0) return [];
      select = select.where('l.id', 'in', (eb) => eb.selectFrom('memory_lesson_tags').select('lesson_id').where('tag', 'in', tags));
    }
    const rows = await select.orderBy('l.id', 'desc').limit(limit).execute();
    return rows.map((row) => toLesson({ ...row, superseded: false }));
  }

  async #row(id: number): Promise<Selected> {
    const row = await this.#db.selectFrom('memory_lessons').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw notFound(String(id));
    return row;
  }

  async #successorOf(id: number): Promise<string | undefined> {
    const row = await this.#db.selectFrom('memory_lessons').select('id').where('supersedes', '=', id).executeTakeFirst();
    return row === undefined ? undefined : String(row.id);
  }
}

type Selected = Selectable<LessonRow>;

function parseLessonId(id: unknown): number {
  if (typeof id !== 'string' || !LESSON_ID.test(id) || !Number.isSafeInteger(Number(id))) throw notFound(String(id));
  return Number(id);
}

function notFound(id: string): StorageError {
  return new StorageError('STORAGE_NOT_FOUND', `There is no lesson with id ${JSON.stringify(id)}; list lessons to find current ids.`, {
    details: { lesson: id },
  });
}

/** Tags as stored; a value that is not a JSON array of strings (only a hand-edited row) reads as none. */
function parseTags(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((tag): tag is string => typeof tag === 'string') : [];
  } catch {
    return [];
  }
}

function toLesson(row: Selected & { superseded: boolean }): Lesson {
  const provenance: { taskId?: string; invocationId?: string } = {};
  if (row.task_id !== null) provenance.taskId = row.task_id;
  if (row.invocation_id !== null) provenance.invocationId = row.invocation_id;
  return {
    id: String(row.id),
    text: row.text,
    source: row.source as Lesson['source'],
    tags: parseTags(row.tags),
    provenance,
    helpful: Number(row.helpful),
    harmful: Number(row.harmful),
    supersedes: row.supersedes === null ? undefined : String(row.supersedes),
    superseded: row.superseded,
    createdAt: Number(row.created_at),
  };
}
