import { randomUUID } from 'node:crypto';
import {
  parseOrThrow,
  preferenceTextSchema,
  StorageError,
  userIdSchema,
  ValidationError,
  type PreferenceReader,
  type PreferenceSource,
  type UserPreference,
} from '@toolwright/core';
import { runMigrations, toStorageError } from '@toolwright/store';
import { type ColumnType, type Kysely, type Migration, type Selectable } from 'kysely';
import { z } from 'zod';
import { isPolicyDatabase, type PolicyDatabase } from '../database.js';

type BigIntColumn = ColumnType<number | string, number, number>;

interface PreferenceTable {
  id: string;
  user_id: string;
  text: string;
  source: PreferenceSource;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
}

interface PreferenceTables {
  toolwright_user_preferences: PreferenceTable;
}

/** The table the preference store records its migrations in, apart from the policy's. */
export const PREFERENCE_MIGRATION_TABLE = 'toolwright_preference_migrations';

const migrations: Record<string, Migration> = {
  '0001_user_preferences': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('toolwright_user_preferences')
        .addColumn('id', 'varchar(64)', (column) => column.primaryKey())
        .addColumn('user_id', 'varchar(200)', (column) => column.notNull())
        .addColumn('text', 'text', (column) => column.notNull())
        .addColumn('source', 'varchar(10)', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('toolwright_user_preferences_user').on('toolwright_user_preferences').columns(['user_id', 'created_at']).execute();
    },
  },
};

const optionsSchema = z
  .object({
    database: z.custom<PolicyDatabase>(isPolicyDatabase, { message: 'database must be a handle { dialect, kysely } (openDatabase of @toolwright/store)' }),
    /** Most preferences one user may have; adding one more is refused until one is deleted. Default 20. */
    maxPerUser: z.number().int().min(1).max(1000).default(20),
    clock: z.custom<() => number>((value) => typeof value === 'function', { message: 'clock is a function returning epoch ms' }).optional(),
  })
  .strict();

/** Options of {@link createPreferenceStore}. */
export type PreferenceStoreOptions = z.input<typeof optionsSchema>;

const addSchema = z.object({ text: preferenceTextSchema, source: z.enum(['explicit', 'implicit']).default('explicit') }).strict();

/**
 * Per-user preferences: what a user prefers, learned from explicit corrections and implicit
 * signals, kept per user (or tenant) id. The agent reads them with `forUser` for that user's
 * runs only; a person lists, edits and deletes them (`toolwright preferences …`). A preference is
 * one short instruction (at most 500 characters); a user has at most `maxPerUser`.
 */
export interface PreferenceStore extends PreferenceReader {
  /** Adds a preference for `userId`. `INVALID_ARGUMENT` when the text is empty, too long, or the user has `maxPerUser` already. */
  add(userId: string, preference: { readonly text: string; readonly source?: PreferenceSource }): Promise<UserPreference>;
  /** The preferences of `userId`, oldest first (the same as `forUser`). */
  list(userId: string): Promise<UserPreference[]>;
  /** Every user that has a preference, with how many. */
  users(): Promise<{ readonly userId: string; readonly count: number }[]>;
  /** Changes the text of preference `id` (of `userId`); `STORAGE_NOT_FOUND` when that user has none by that id. */
  update(userId: string, id: string, text: string): Promise<UserPreference>;
  /** Deletes preference `id` of `userId`; `STORAGE_NOT_FOUND` when that user has none by that id. */
  remove(userId: string, id: string): Promise<void>;
}

type PreferenceRow = Selectable<PreferenceTable>;

const toPreference = (row: PreferenceRow): UserPreference => ({
  id: row.id,
  userId: row.user_id,
  text: row.text,
  source: row.source,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

/**
 * Creates the preference store on `database` (the handle every store shares) and migrates its
 * one table, `toolwright_user_preferences` (migration table `toolwright_preference_migrations`).
 *
 * @example
 * ```ts
 * const preferences = await createPreferenceStore({ database });
 * await preferences.add('ana', { text: 'Answer in Spanish.' });
 * const agent = createAgent({ ...parts, preferences });
 * await agent.run('Summarise the report', { userId: 'ana' }); // only ana's preferences are in the prompt
 * ```
 */
export async function createPreferenceStore(options: PreferenceStoreOptions): Promise<PreferenceStore> {
  const { database, maxPerUser, clock } = parseOrThrow(optionsSchema, options, 'createPreferenceStore options');
  const now = clock ?? Date.now;
  const db = database.kysely as Kysely<PreferenceTables>;
  await runMigrations(database, { owner: '@toolwright/safety-policy (preferences)', table: PREFERENCE_MIGRATION_TABLE, migrations });
  const user = (userId: string): string => parseOrThrow(userIdSchema, userId, 'user id');
  const storage = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toStorageError(error, what);
    }
  };
  const list = (userId: string): Promise<UserPreference[]> =>
    storage('list preferences', async () =>
      (await db.selectFrom('toolwright_user_preferences').selectAll().where('user_id', '=', user(userId)).orderBy('created_at').orderBy('id').execute()).map(toPreference),
    );
  const find = async (userId: string, id: string): Promise<PreferenceRow> => {
    const row = await db.selectFrom('toolwright_user_preferences').selectAll().where('id', '=', id).where('user_id', '=', user(userId)).executeTakeFirst();
    if (row === undefined) throw new StorageError('STORAGE_NOT_FOUND', `User "${userId}" has no preference "${id}". List them with toolwright preferences list ${userId}.`, { details: { userId, id } });
    return row;
  };
  return {
    forUser: list,
    list,
    async add(userId, preference) {
      const id = user(userId);
      const parsed = parseOrThrow(addSchema, preference, 'preference');
      return storage('add a preference', async () =>
        db.transaction().execute(async (trx) => {
          const count = await trx.selectFrom('toolwright_user_preferences').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', id).executeTakeFirstOrThrow();
          if (Number(count.n) >= maxPerUser) {
            throw new ValidationError('INVALID_ARGUMENT', `User "${id}" has ${maxPerUser} preferences already (maxPerUser); delete or edit one first (toolwright preferences delete ${id} <id>).`, { details: { userId: id, maxPerUser } });
          }
          // Strictly increasing per user, so "oldest first" is the order they were added in, even within one millisecond.
          const last = await trx.selectFrom('toolwright_user_preferences').select((eb) => eb.fn.max('created_at').as('at')).where('user_id', '=', id).executeTakeFirst();
          const at = Math.max(now(), Number(last?.at ?? 0) + 1);
          const row = { id: randomUUID(), user_id: id, text: parsed.text, source: parsed.source, created_at: at, updated_at: at };
          await trx.insertInto('toolwright_user_preferences').values(row).execute();
          return toPreference(row);
        }),
      );
    },
    async users() {
      return storage('list users with preferences', async () =>
        (await db.selectFrom('toolwright_user_preferences').select(['user_id', (eb) => eb.fn.countAll<number | string>().as('n')]).groupBy('user_id').orderBy('user_id').execute()).map((row) => ({ userId: row.user_id, count: Number(row.n) })),
      );
    },
    async update(userId, id, text) {
      const parsed = parseOrThrow(preferenceTextSchema, text, 'preference text');
      return storage('edit a preference', async () => {
        const row = await find(userId, id);
        const at = now();
        await db.updateTable('toolwright_user_preferences').set({ text: parsed, updated_at: at }).where('id', '=', id).where('user_id', '=', row.user_id).execute();
        return toPreference({ ...row, text: parsed, updated_at: at });
      });
    },
    async remove(userId, id) {
      await storage('delete a preference', async () => {
        const row = await find(userId, id);
        await db.deleteFrom('toolwright_user_preferences').where('id', '=', id).where('user_id', '=', row.user_id).execute();
      });
    },
  };
}
