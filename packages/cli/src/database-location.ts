import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { StorageError } from '@toolwright/core';

/** The default of `--db`. */
export const DEFAULT_DATABASE = 'sqlite:./toolwright.db';

/** A `--db` value resolved against the working directory. */
export interface DatabaseLocation {
  /** The URL to open: SQLite paths made absolute. */
  readonly url: string;
  /** The SQLite file, when the database is one. */
  readonly file?: string;
}

/**
 * Resolves `--db`: `sqlite:<path>` (relative to `cwd`), `sqlite:///abs/path`, `sqlite::memory:`,
 * `postgres://…` / `postgresql://…`, or a bare file path, which means SQLite. Anything else is
 * passed on for `openDatabase` to refuse with `STORAGE_BAD_URL`.
 */
export function resolveDatabase(value: string, cwd: string): DatabaseLocation {
  if (/^postgres(ql)?:\/\//.test(value) || value === 'sqlite::memory:') return { url: value };
  let path: string | undefined;
  if (value.startsWith('sqlite:')) {
    path = value.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
  } else if (!/^[a-z][a-z0-9+.-]*:/i.test(value)) {
    path = value;
  }
  if (path === undefined || path === '') return { url: value };
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  return { url: `sqlite:${file}`, file };
}

/** Refuses a SQLite file that does not exist: reading commands never create a database. */
export function assertDatabaseExists(location: DatabaseLocation, given: string): void {
  if (location.file !== undefined && !existsSync(location.file)) {
    throw new StorageError(
      'STORAGE_DATABASE_NOT_FOUND',
      `No Toolwright database at ${location.file} (from --db ${given}). Run \`toolwright run\` or \`toolwright import\` to create one, or pass --db with the right path or URL.`,
      { details: { file: location.file } },
    );
  }
}
