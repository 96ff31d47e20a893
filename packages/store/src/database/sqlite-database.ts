import { StorageError } from '@toolwright/core';
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, type DatabaseConnection, type Driver } from 'kysely';
import type { SchemalessKysely } from '../run-migrations.js';
import { driverMessage } from '../storage-errors.js';
import { loadBetterSqlite3 } from './better-sqlite3-loader.js';
import { checkChannel } from './channel.js';
import type { Database } from './database.js';
import { LocalNotifications } from './local-notifications.js';

/** A prepared statement of a {@link SqliteConnection}: the part of better-sqlite3's `Statement` stores use. */
export interface SqliteStatement {
  /** Runs the statement with positional parameters. */
  run(...parameters: unknown[]): unknown;
}

/**
 * The part of a better-sqlite3 connection a store's hot path uses, declared structurally (as
 * kysely's `SqliteDatabase` is), so that no store depends on better-sqlite3's types.
 */
export interface SqliteConnection {
  /** False once the connection is closed. */
  readonly open: boolean;
  /** True while a transaction is open on the connection. */
  readonly inTransaction: boolean;
  prepare(source: string): SqliteStatement;
}

const connections = new WeakMap<Database, BetterSqlite3.Database>();
/** Handles on an existing file not yet in WAL mode: switched once a store's migrations accept the file. */
const walPending = new WeakMap<object, () => void>();

/**
 * Switches the file behind a SQLite handle to WAL mode if that was deferred at open (an
 * existing file in another journal mode is switched only once a store's migration check
 * accepted it, so a file refused as too new is left exactly as it was). Called by
 * `runMigrations`; a no-op for any other handle.
 */
export function enableDeferredWal(database: object): void {
  const enable = walPending.get(database);
  if (enable === undefined) return;
  walPending.delete(database);
  enable();
}

/**
 * The better-sqlite3 connection behind a SQLite handle `openDatabase` opened, or `undefined`
 * for any other handle (PostgreSQL, or a `{ dialect, kysely }` built by hand). For the few hot
 * paths that reuse prepared statements (kysely prepares every query anew): memory writes
 * batches of invocations through one reused INSERT. Use it only while holding kysely's
 * connection (`kysely.connection().execute(...)`), so that no other query interleaves.
 *
 * @example
 * ```ts
 * const connection = sqliteConnectionOf(database);
 * if (connection) await database.kysely.connection().execute(async () => insert(connection.prepare(text)));
 * ```
 */
export function sqliteConnectionOf(database: object): SqliteConnection | undefined {
  return connections.get(database as Database);
}

/**
 * kysely's SQLite dialect with `begin immediate` transactions: a transaction takes the write
 * lock when it begins, waiting up to the busy timeout while another process writes. A plain
 * (deferred) `begin` reads first and then tries to write; in WAL mode it fails at once with
 * SQLITE_BUSY when another process committed in between, which no busy timeout can wait out.
 */
class ImmediateTransactionSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection): Promise<void> => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

/**
 * Opens a SQLite file (or `:memory:`) through better-sqlite3 in WAL mode, with
 * `synchronous = NORMAL` (a committed transaction survives a process crash; only a power
 * loss can take back the last ones), a 32 MiB page cache, a checkpoint every ~40 MiB of
 * WAL, and a busy timeout for other processes' write locks.
 */
export function openSqliteDatabase(path: string, redactedUrl: string, busyTimeoutMs: number): Database {
  const memory = path === ':memory:';
  let connection: BetterSqlite3.Database;
  try {
    const Driver = loadBetterSqlite3();
    connection = new Driver(path, { timeout: busyTimeoutMs });
  } catch (error) {
    throw new StorageError(
      'STORAGE_UNREACHABLE',
      `Could not open the SQLite database "${redactedUrl}": ${driverMessage(error)}. Check that the directory exists and is writable.`,
      { cause: error },
    );
  }
  let deferWal = false;
  try {
    if (!memory) {
      // A new (empty) file becomes WAL at once. An existing one in another journal mode may be
      // one a newer Toolwright wrote, which its migration check will refuse: it is switched
      // only once a store's migrations accepted it (`enableDeferredWal`).
      const empty = (connection.prepare('select count(*) as n from sqlite_master').get() as { n: number }).n === 0;
      const mode = String(connection.pragma('journal_mode', { simple: true })).toLowerCase();
      if (empty) connection.pragma('journal_mode = WAL');
      else deferWal = mode !== 'wal';
      // Checkpoint every ~40 MiB of WAL instead of ~4 MiB: a checkpoint fsyncs, and batched
      // invocation writes dirty many index pages per commit, so the default checkpointed
      // every other batch (writes are about 1.6× faster this way).
      connection.pragma('wal_autocheckpoint = 10000');
    }
    connection.pragma('synchronous = NORMAL');
    connection.pragma('foreign_keys = ON');
    // 32 MiB of page cache (the default is 2 MiB): keeps the hot index pages of a large
    // invocation table in memory, which makes batched writes about half again as fast.
    connection.pragma('cache_size = -32768');
    // Reading the schema proves the file is a SQLite database (and not, say, a text file).
    connection.prepare('select count(*) from sqlite_master').get();
  } catch (error) {
    connection.close();
    throw new StorageError(
      'STORAGE_UNREACHABLE',
      `Could not use "${redactedUrl}" as a SQLite database: ${driverMessage(error)}. Point the URL at a SQLite file or a path where one can be created.`,
      { cause: error },
    );
  }

  const kysely: SchemalessKysely = new Kysely({ dialect: new ImmediateTransactionSqliteDialect({ database: connection }) });
  const notifications = new LocalNotifications();
  let closed = false;

  const ensureOpen = (what: string): void => {
    if (closed) throw new StorageError('STORAGE_CLOSED', `Cannot ${what}: the database "${redactedUrl}" is closed.`);
  };

  const database: Database = {
    dialect: 'sqlite',
    url: redactedUrl,
    kysely,
    async listen(channel, listener) {
      ensureOpen(`listen on "${String(channel)}"`);
      const remove = notifications.add(checkChannel(channel), listener);
      return async () => remove();
    },
    async notify(channel, payload) {
      ensureOpen(`notify "${String(channel)}"`);
      notifications.deliver(checkChannel(channel), payload);
    },
    async close() {
      if (closed) return;
      closed = true;
      notifications.clear();
      await kysely.destroy();
    },
  };
  connections.set(database, connection);
  if (deferWal) {
    walPending.set(database, () => {
      if (connection.open && !connection.inTransaction) connection.pragma('journal_mode = WAL');
    });
  }
  return database;
}
