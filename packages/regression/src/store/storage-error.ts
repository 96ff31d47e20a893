import { StorageError, ToolwrightError } from '@toolwright/core';

/** Wraps a database failure as `STORAGE_FAILED` (a Toolwright error passes through unchanged). */
export function toStorageError(error: unknown, what: string): ToolwrightError {
  if (ToolwrightError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StorageError('STORAGE_FAILED', `Could not ${what}: ${message}. Nothing partial was written; check the database and retry.`, { cause: error });
}
