import { StorageError, ValidationError } from '@toolwright/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { SchemalessKysely } from '../run-migrations.js';
import { toStorageError } from '../storage-errors.js';
import { checkChannel, serverChannel } from './channel.js';
import type { Database } from './database.js';
import { LocalNotifications } from './local-notifications.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const PG_INT8 = 20;
const PG_NUMERIC = 1700;
const RECONNECT_DELAYS_MS = [100, 250, 500, 1000, 2000, 5000];

/** The part of a pg Client's wire connection used to hear a FATAL message as it arrives. */
interface PgClientInternals {
  readonly connection?: { on(event: 'errorMessage', listener: (message: { readonly severity?: string }) => void): void };
}

/** Options of {@link openPostgresDatabase}. */
export interface PostgresOptions {
  readonly schema: string | undefined;
  readonly connectTimeoutMs: number;
  readonly maxConnections: number;
}

// Counts, sums and epoch milliseconds come back as numbers (pg's default is a string for
// int8 and numeric); every value Toolwright stores is far below 2^53.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === PG_INT8 || oid === PG_NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** Checks a PostgreSQL schema name: lowercase letters, digits and `_`, 63 characters at most. */
export function checkSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Invalid PostgreSQL schema ${JSON.stringify(schema)}: use a lowercase letter or "_", then lowercase letters, digits or "_", 63 characters at most.`,
    );
  }
  return schema;
}

/**
 * Opens a PostgreSQL database through a `pg` pool and kysely's PostgresDialect, and proves
 * the server answers before returning. Connection failures are `STORAGE_UNREACHABLE`.
 */
export async function openPostgresDatabase(connectionString: string, redactedUrl: string, options: PostgresOptions): Promise<Database> {
  const { schema } = options;
  const connectionConfig: pg.ClientConfig = {
    connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: 'toolwright',
    types,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  };
  const pool = new pg.Pool({ ...connectionConfig, max: options.maxConnections });
  // An idle client that dies (server restart) is dropped by the pool; the next query reconnects.
  pool.on('error', () => {});
  // The pool's handler only covers idle clients. A client checked out (a query running, or a
  // transaction open between two queries) whose connection is terminated emits 'error' too,
  // and an 'error' event nobody listens to ends the process. The failure reaches the caller
  // through the query that uses the client (STORAGE_UNREACHABLE); the pool then drops the
  // client on release (it is no longer queryable) and the next query opens a new one.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    // A FATAL message (the backend was terminated, or the server is shutting down) reaches the
    // running query first, whose caller may release the client before its socket closes: end
    // the client now, so that the pool drops it on release instead of handing it out again.
    (client as unknown as PgClientInternals).connection?.on('errorMessage', (message) => {
      if (message.severity === 'FATAL' || message.severity === 'PANIC') client.end().catch(() => {});
    });
  });
  try {
    await pool.query('select 1');
    if (schema !== undefined) {
      await pool.query(`create schema if not exists ${pg.escapeIdentifier(schema)}`).catch((error: unknown) => {
        // Two processes creating the schema at once: the loser sees a duplicate, which is fine.
        const code = (error as { code?: unknown }).code;
        if (code !== '42P06' && code !== '23505') throw error;
      });
    }
  } catch (error) {
    await pool.end().catch(() => {});
    const mapped = toStorageError(error, `connecting to ${redactedUrl}`);
    if (mapped.code === 'STORAGE_FAILED') {
      throw new StorageError('STORAGE_UNREACHABLE', mapped.message.replace('The database failed while', 'Could not open the database while'), {
        cause: error,
      });
    }
    throw mapped;
  }

  const kysely: SchemalessKysely = new Kysely({ dialect: new PostgresDialect({ pool }) });
  const listener = new ListenConnection(connectionConfig);
  let closed = false;

  const ensureOpen = (what: string): void => {
    if (closed) throw new StorageError('STORAGE_CLOSED', `Cannot ${what}: the database "${redactedUrl}" is closed.`);
  };

  return {
    dialect: 'postgres',
    url: redactedUrl,
    kysely,
    async listen(channel, onPayload, listenOptions) {
      ensureOpen(`listen on "${String(channel)}"`);
      const name = serverChannel(checkChannel(channel), schema);
      try {
        return await listener.add(name, onPayload, listenOptions?.onReconnect, listenOptions?.onLost);
      } catch (error) {
        throw toStorageError(error, `listening on "${channel}" at ${redactedUrl}`);
      }
    },
    async notify(channel, payload) {
      ensureOpen(`notify "${String(channel)}"`);
      const name = serverChannel(checkChannel(channel), schema);
      try {
        await sql`select pg_notify(${name}, ${payload})`.execute(kysely);
      } catch (error) {
        throw toStorageError(error, `notifying "${channel}" at ${redactedUrl}`);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      await kysely.destroy();
    },
  };
}

/**
 * The one client that runs LISTEN for a handle. Connected on first use; when the connection
 * drops it reconnects (with backoff) and listens again on every channel. Notifications sent
 * while it was down are lost (PostgreSQL does not queue them for a disconnected listener), so
 * once it listens again every `onReconnect` callback is called: its listener re-reads.
 */
class ListenConnection {
  readonly #config: pg.ClientConfig;
  readonly #hub = new LocalNotifications();
  readonly #onReconnect = new Set<() => void>();
  readonly #onLost = new Set<() => void>();
  #client: Promise<pg.Client> | undefined;
  #closed = false;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;

  constructor(config: pg.ClientConfig) {
    this.#config = config;
  }

  async add(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void, onLost?: () => void): Promise<() => Promise<void>> {
    const first = !this.#hub.has(channel);
    const removeListener = this.#hub.add(channel, onPayload);
    // Wrappers of their own, so that the same callback given twice is removed once per listen.
    const reconnected = onReconnect === undefined ? undefined : () => onReconnect();
    if (reconnected !== undefined) this.#onReconnect.add(reconnected);
    const lost = onLost === undefined ? undefined : () => onLost();
    if (lost !== undefined) this.#onLost.add(lost);
    const remove = (): void => {
      removeListener();
      if (reconnected !== undefined) this.#onReconnect.delete(reconnected);
      if (lost !== undefined) this.#onLost.delete(lost);
    };
    if (first) {
      try {
        const client = await this.#connect();
        await client.query(`listen ${pg.escapeIdentifier(channel)}`);
      } catch (error) {
        remove();
        throw error;
      }
    }
    return async () => {
      remove();
      if (this.#hub.has(channel) || this.#closed || this.#client === undefined) return;
      const client = await this.#client.catch(() => undefined);
      await client?.query(`unlisten ${pg.escapeIdentifier(channel)}`).catch(() => {});
    };
  }

  #connect(): Promise<pg.Client> {
    this.#client ??= (async () => {
      const client = new pg.Client(this.#config);
      client.on('notification', (message) => this.#hub.deliver(message.channel, message.payload ?? ''));
      client.on('error', () => this.#lost(client));
      client.on('end', () => this.#lost(client));
      try {
        await client.connect();
      } catch (error) {
        this.#client = undefined;
        throw error;
      }
      this.#attempt = 0;
      return client;
    })();
    return this.#client;
  }

  #lost(client: pg.Client): void {
    if (this.#closed) return;
    void this.#client?.then((current) => {
      if (current !== client) return;
      this.#client = undefined;
      client.end().catch(() => {});
      for (const callback of [...this.#onLost]) {
        try {
          callback();
        } catch (error) {
          process.emitWarning(`A LISTEN connection-lost callback threw: ${String(error)}`, 'ToolwrightWarning');
        }
      }
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer !== undefined || this.#hub.channels().length === 0) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(this.#attempt, RECONNECT_DELAYS_MS.length - 1)] ?? 5000;
    this.#attempt += 1;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect()
        .then(async (client) => {
          for (const channel of this.#hub.channels()) await client.query(`listen ${pg.escapeIdentifier(channel)}`);
          for (const callback of [...this.#onReconnect]) {
            try {
              callback();
            } catch (error) {
              process.emitWarning(`A LISTEN reconnect callback threw: ${String(error)}`, 'ToolwrightWarning');
            }
          }
        })
        .catch(() => this.#scheduleReconnect());
    }, delay);
    this.#reconnectTimer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#hub.clear();
    this.#onReconnect.clear();
    this.#onLost.clear();
    const client = await this.#client?.catch(() => undefined);
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}
