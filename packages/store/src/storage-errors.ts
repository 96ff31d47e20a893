import { StorageError, ToolwrightError } from '@toolwright/core';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT',
  'EACCES',
]);

/** PostgreSQL SQLSTATEs that mean "cannot use this server/database at all". */
const UNREACHABLE_SQLSTATES = new Set(['28000', '28P01', '3D000', '57P01', '57P02', '57P03', '53300']);

/** True when a driver error means the database cannot be reached (network, auth, missing database). */
export function isUnreachableError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNREACHABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_NOTADB' || code === 'SQLITE_PERM') return true;
  }
  const message = error instanceof Error ? error.message : '';
  if (/Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|Client was closed and is not queryable|terminating connection due to administrator command/i.test(message)) {
    return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isUnreachableError);
  return false;
}

/** The driver's own words, without its stack: `code: message`. */
export function driverMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return driverMessage(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const message = error.message === '' ? error.name : error.message;
    return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
  }
  return String(error);
}

/**
 * Turns anything a driver throws into a {@link StorageError}: `STORAGE_UNREACHABLE` when the
 * database cannot be reached, `STORAGE_CLOSED` when the handle was closed under the operation,
 * `STORAGE_FAILED` otherwise. Toolwright errors pass through unchanged. `what` says what was
 * being done, as a gerund phrase: `flushing 500 invocations to sqlite:./toolwright.db`.
 *
 * @example
 * ```ts
 * try {
 *   await db.insertInto('notes').values(row).execute();
 * } catch (error) {
 *   throw toStorageError(error, `storing note ${row.id} in ${url}`);
 * }
 * ```
 */
export function toStorageError(error: unknown, what: string): ToolwrightError {
  if (ToolwrightError.isInstance(error)) return error;
  if (error instanceof Error && /driver has already been destroyed/.test(error.message)) {
    return new StorageError('STORAGE_CLOSED', `Cannot finish ${what}: the database handle was closed. Close stores before their database.`, {
      cause: error,
    });
  }
  if (isUnreachableError(error)) {
    return new StorageError(
      'STORAGE_UNREACHABLE',
      `Could not reach the database while ${what}: ${driverMessage(error)}. Check that the server is running and the URL, user and database are right.`,
      { cause: error },
    );
  }
  return new StorageError('STORAGE_FAILED', `The database failed while ${what}: ${driverMessage(error)}. Nothing partial was written; retry, or check the database (disk space, permissions, locks held by other processes).`, {
    cause: error,
  });
}
