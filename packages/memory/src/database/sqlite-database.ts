import { StorageError } from '@toolwright/core';
import type BetterSqlite3 from 'better-sqlite3';
import { loadBetterSqlite3 } from './better-sqlite3-loader.js';
import { Kysely, SqliteDialect } from 'kysely';
import { driverMessage } from '@toolwright/store';
import type { SchemalessKysely } from './database.js';
import { checkChannel } from './channel.js';
import type { Database } from './database.js';
import { LocalNotifications } from './local-notifications.js';

const connections = new WeakMap<Database, BetterSqlite3.Database>();

/**
 * The better-sqlite3 connection behind a handle this module opened, for the few hot paths
 * that reuse prepared statements (kysely prepares every query anew). Use it only while
 * holding kysely's connection (`kysely.connection().execute(...)`), so nothing interleaves.
 */
export function sqliteConnectionOf(database: object): BetterSqlite3.Database | undefined {
  return connections.get(database as Database);
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
  try {
    if (!memory) {
      connection.pragma('journal_mode = WAL');
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

  const kysely: SchemalessKysely = new Kysely({ dialect: new SqliteDialect({ database: connection }) });
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
  return database;
}
