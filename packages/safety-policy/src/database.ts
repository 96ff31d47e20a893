import type { Kysely } from 'kysely';

/**
 * The database handle the policy keeps its state in: the minimal shape it needs, so it never
 * depends on a driver or on `@toolwright/memory`. `openDatabase(url)` from `@toolwright/memory`
 * returns one; so does `{ dialect: 'sqlite', kysely: new Kysely({ dialect: new SqliteDialect(...) }) }`.
 * On PostgreSQL the policy's tables live in the connection's current schema (`search_path`).
 */
export interface PolicyDatabase {
  readonly dialect: 'sqlite' | 'postgres';
  // Any schema: the policy only touches its own tables, through its own typed view of the handle.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly kysely: Kysely<any>;
}

/** True when `value` looks like a {@link PolicyDatabase}. */
export function isPolicyDatabase(value: unknown): value is PolicyDatabase {
  if (typeof value !== 'object' || value === null) return false;
  const { dialect, kysely } = value as { dialect?: unknown; kysely?: unknown };
  return (
    (dialect === 'sqlite' || dialect === 'postgres') &&
    typeof kysely === 'object' &&
    kysely !== null &&
    typeof (kysely as { transaction?: unknown }).transaction === 'function' &&
    typeof (kysely as { selectFrom?: unknown }).selectFrom === 'function'
  );
}
