import { StorageError, ValidationError } from '@toolwright/core';
import type { Transaction } from 'kysely';
import type { SchemalessKysely } from './run-migrations.js';
import { driverMessage, isUnreachableError } from './storage-errors.js';

/** How many times a unit whose connection dropped before its commit runs again. */
const CONNECTION_LOSS_RETRIES = 2;

/**
 * One transaction shared by several stores on the same database handle: the gate writes the
 * policy's decision, the registry transition and the audit entry through one unit, so either
 * all of them happen or none does. Work that must only follow a commit (change events,
 * notifications to other processes) is deferred with {@link UnitOfWork.afterCommit}.
 */
export interface UnitOfWork {
  /** The open transaction. Stores narrow it to their own tables. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one transaction serves stores with different tables
  readonly kysely: Transaction<any>;
  /** The handle the unit was opened on (stores refuse a unit of another database). */
  readonly database: { readonly kysely: SchemalessKysely };
  /** Runs `callback` after the transaction commits; never after a rollback. A throwing callback is reported as a warning. */
  afterCommit(callback: () => void): void;
}

/** Where a store's write may run: its own transaction, or a unit opened by a caller. */
export interface InUnit {
  /** The unit to join; without one, the write opens (and commits) its own. */
  readonly unit?: UnitOfWork;
}

/**
 * Runs `work` in a new transaction on `database` and, after the commit, every `afterCommit`
 * callback in the order they were registered. A failure rolls everything back and runs none.
 *
 * A dropped connection (a PostgreSQL server restart, failover or terminated backend) never
 * half-applies a unit: the server rolls back a transaction whose connection is gone.
 *
 * - Dropped before the commit was sent (while `work` ran): nothing was written, so the unit
 *   runs again on a new connection, up to twice; `work` may therefore run more than once —
 *   keep its effects in the transaction and in `afterCommit` callbacks (callbacks of a failed
 *   attempt are discarded).
 * - Dropped during the commit, or on every attempt: it rejects with `STORAGE_UNREACHABLE`
 *   (during the commit, the server may or may not have committed: read before retrying).
 *
 * @example
 * ```ts
 * await runInUnit(database, async (unit) => {
 *   await registryWriter.promote('total_fares', 2, { unit });
 *   await memory.audit(entry, { unit });
 * });
 * ```
 */
export async function runInUnit<T>(database: { readonly kysely: SchemalessKysely }, work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const deferred: (() => void)[] = [];
    let committing = false;
    let value: T;
    try {
      value = await database.kysely.transaction().execute(async (trx) => {
        const result = await work({ kysely: trx, database, afterCommit: (callback) => void deferred.push(callback) });
        committing = true;
        return result;
      });
    } catch (error) {
      // SQLite has no connection to lose: its errors pass through as they are.
      if ((database as { readonly dialect?: unknown }).dialect === 'sqlite' || !connectionLost(error)) throw error;
      if (!committing && attempt < CONNECTION_LOSS_RETRIES) continue;
      throw new StorageError(
        'STORAGE_UNREACHABLE',
        committing
          ? `The database connection dropped while committing a unit of work (${driverMessage(error)}): it may or may not have committed. Read the state again before retrying.`
          : `The database connection dropped during a unit of work on ${attempt + 1} attempts (${driverMessage(error)}); nothing was written. Check that the server is running, then retry.`,
        { cause: error },
      );
    }
    for (const callback of deferred) {
      try {
        callback();
      } catch (error) {
        process.emitWarning(`A callback after a commit threw: ${String(error)}`, 'ToolwrightWarning');
      }
    }
    return value;
  }
}

/** A dropped connection, as the driver threw it or as a store inside the unit mapped it (`STORAGE_UNREACHABLE`). */
function connectionLost(error: unknown): boolean {
  return (StorageError.isInstance(error) && error.code === 'STORAGE_UNREACHABLE') || isUnreachableError(error);
}

/**
 * Joins `unit` when one is given (after checking it belongs to `database`), else opens a unit of
 * its own with {@link runInUnit}. Stores call this from every write that takes `{ unit }`.
 */
export function joinOrRunUnit<T>(
  database: { readonly kysely: SchemalessKysely },
  unit: UnitOfWork | undefined,
  work: (unit: UnitOfWork) => Promise<T>,
): Promise<T> {
  if (unit === undefined) return runInUnit(database, work);
  if (unit.database.kysely !== database.kysely) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      'This unit of work was opened on another database handle: every store a unit spans must be created on the same handle (one openDatabase() result).',
    );
  }
  return work(unit);
}
