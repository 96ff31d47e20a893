import type { SchemalessKysely, StoreDialect } from '../run-migrations.js';

/** The databases Toolwright stores in (the same as {@link StoreDialect}). */
export type DatabaseDialect = StoreDialect;

/** Receives the payload of a notification on a channel. */
export type NotificationListener = (payload: string) => void;

/**
 * An open database, shared by every Toolwright store that persists in it (memory, registry,
 * regression, safety policy). Each store owns its own tables and migrations; the handle only
 * connects. One handle is also what a unit of work spans (`runInUnit`): every store written in
 * one transaction must be created on the same handle.
 *
 * This is the whole contract: a store needs `dialect`, `kysely`, `listen` and `notify`, and
 * should declare just that shape structurally (as kysely's dialects declare the driver shape
 * they need, and as `MigratableDatabase` does).
 *
 * - SQLite: one better-sqlite3 connection in WAL mode; `listen`/`notify` reach listeners of
 *   this handle only (there is no cross-process notification on SQLite).
 * - PostgreSQL: a `pg` pool for queries; `listen` uses one dedicated client running `LISTEN`,
 *   so notifications from every process sharing the database arrive here.
 *
 * Closing the handle is the opener's job: stores built on it never close it.
 */
export interface Database {
  readonly dialect: DatabaseDialect;
  /** The URL it was opened with, password replaced by `***`: safe to log. */
  readonly url: string;
  /** The kysely instance every store builds its queries with. */
  readonly kysely: SchemalessKysely;
  /**
   * Calls `listener` with the payload of every notification on `channel`, including those
   * this handle sends itself. Resolves once listening; resolves to the function that stops it.
   *
   * Notifications are a hint, not a queue: on PostgreSQL, those sent while the LISTEN
   * connection was down are lost. `options.onReconnect` is called each time that connection
   * came back and listens again, so that the caller re-reads what it may have missed. (SQLite
   * never loses a notification and never calls it.)
   */
  listen(channel: string, listener: NotificationListener, options?: ListenOptions): Promise<() => Promise<void>>;
  /** Sends `payload` (at most 7,900 bytes of UTF-8) to every listener of `channel`. */
  notify(channel: string, payload: string): Promise<void>;
  /** Releases every connection. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link Database.listen}. */
export interface ListenOptions {
  /** Called after the LISTEN connection was lost and is listening again: re-read what may have been missed. */
  readonly onReconnect?: () => void;
  /** Called once when the LISTEN connection is lost, before it reconnects: from here on notifications may be missed. */
  readonly onLost?: () => void;
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * PostgreSQL only: the schema to keep tables in. It is created when missing and becomes
   * the `search_path` of every connection, and notification channels are scoped to it, so
   * several deployments (or parallel test runs) can share one PostgreSQL database.
   */
  readonly schema?: string;
  /** PostgreSQL only: how long to wait for a connection before giving up. Default 5,000 ms. */
  readonly connectTimeoutMs?: number;
  /** PostgreSQL only: the most connections in the pool. Default 10. */
  readonly maxConnections?: number;
  /** SQLite only: how long to wait for another process's write lock. Default 5,000 ms. */
  readonly busyTimeoutMs?: number;
}
