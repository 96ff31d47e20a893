import { StorageError } from '@toolwright/core';

/** A parsed database URL. */
export type ParsedDatabaseUrl =
  | { readonly dialect: 'sqlite'; readonly path: string; readonly redacted: string }
  | { readonly dialect: 'postgres'; readonly connectionString: string; readonly redacted: string };

const EXAMPLES = '"sqlite:./toolwright.db", "sqlite::memory:" or "postgres://user@host:5432/database"';

/** The URL with its password (if any) replaced by `***`, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^@/?#]*@/i, '$1***@');
}

/**
 * Parses `sqlite:<path>`, `sqlite::memory:`, `sqlite:///absolute/path` and
 * `postgres://…` / `postgresql://…`. Anything else is `STORAGE_BAD_URL`.
 */
export function parseDatabaseUrl(url: unknown): ParsedDatabaseUrl {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new StorageError('STORAGE_BAD_URL', `A database URL must be a non-empty string; got ${describe(url)}. Use ${EXAMPLES}.`);
  }
  const redacted = redactDatabaseUrl(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') {
      throw new StorageError('STORAGE_BAD_URL', `The database URL "${redacted}" names no file. Use ${EXAMPLES}.`);
    }
    if (path.includes('\0')) {
      throw new StorageError('STORAGE_BAD_URL', `The database URL "${redacted}" contains a NUL character.`);
    }
    return { dialect: 'sqlite', path, redacted };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new StorageError('STORAGE_BAD_URL', `The database URL "${redacted}" is not a valid URL. Use ${EXAMPLES}.`);
    }
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
      throw new StorageError('STORAGE_BAD_URL', `The database URL "${redacted}" names no host. Use ${EXAMPLES}.`);
    }
    if (parsed.port !== '' && (Number(parsed.port) < 1 || Number(parsed.port) > 65535)) {
      throw new StorageError('STORAGE_BAD_URL', `The database URL "${redacted}" has an invalid port.`);
    }
    return { dialect: 'postgres', connectionString: url, redacted };
  }
  throw new StorageError(
    'STORAGE_BAD_URL',
    scheme === undefined
      ? `The database URL "${redacted}" has no scheme. Use ${EXAMPLES}.`
      : `The database URL "${redacted}" names an unsupported database "${scheme}". Use ${EXAMPLES}.`,
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return 'an empty string';
  return value === null ? 'null' : typeof value;
}
