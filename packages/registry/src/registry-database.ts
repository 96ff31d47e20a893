import type { Kysely } from 'kysely';

/**
 * A kysely instance that does not know its tables: the handle is shared by stores with
 * different tables, and the registry narrows it to its own, as kysely's `Migrator` does.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type SchemalessKysely = Kysely<any>;

/**
 * The database handle the registry needs, declared structurally (as kysely's dialects
 * declare the driver they need) so that this package does not depend on
 * `@toolwright/memory`: `openDatabase` from `@toolwright/memory` returns a handle that fits.
 *
 * - `kysely`: the registry's queries and migrations.
 * - `listen`/`notify`: change events across processes (PostgreSQL LISTEN/NOTIFY; in-process
 *   only on SQLite).
 */
export interface RegistryDatabase {
  readonly dialect: 'sqlite' | 'postgres';
  /** For messages; must not contain a password. */
  readonly url: string;
  readonly kysely: SchemalessKysely;
  /**
   * `options.onLost`: called when the LISTEN connection drops (the registry then holds what it
   * hears); `options.onReconnect`: called when it listens again (the registry re-reads the change log).
   */
  listen(channel: string, listener: (payload: string) => void, options?: { readonly onReconnect?: () => void; readonly onLost?: () => void }): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
}
