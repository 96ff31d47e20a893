import {
  type ArtifactKind,
  artifactKindSchema,
  artifactNameSchema,
  type ArtifactVersion,
  parseOrThrow,
  type RegistryChangeEvent,
  type RegistryReader,
  StorageError,
  ValidationError,
  type VersionStatus,
  versionStatusSchema,
} from '@toolwright/core';
import { createTwoFilesPatch } from 'diff';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { runMigrations, toStorageError } from '@toolwright/store';
import type { KeyObject } from 'node:crypto';
import { sealBundle } from './bundle.js';
import { type SignedBundle, signBundle, signingKeyOf } from './bundle-signature.js';
import { changeBus, type HeardChange, REGISTRY_CHANNEL, receivedChange } from './change-bus.js';
import { registryMigrationPlan } from './migrations/registry-migrations.js';
import type { RegistryChange } from './registry-change.js';
import type { RegistryDatabase } from './registry-database.js';
import { notFound, selectVersions, toChange, toVersion, versionRow } from './rows.js';
import { type CreateRegistryOptions, storeOptionsSchema } from './store-options.js';
import type { RegistryTables } from './tables.js';

/**
 * Core's {@link RegistryReader} persisted through kysely in SQLite or PostgreSQL, plus the change
 * log. It has no write methods: only the gate writes, through `@toolwright/registry/writer`.
 */
export interface RegistryStore extends RegistryReader {
  /** The change log, oldest first: of one artifact, or of all. */
  changeLog(name?: string, options?: { readonly limit?: number }): Promise<RegistryChange[]>;
  /** Every version of every artifact as a sealed bundle; signed (`signature`) when the registry has a `bundleSigningKey`. */
  exportBundle(): Promise<SignedBundle>;
}

const versionNumberSchema = z.number().int().min(1);
const listFilterSchema = z.object({ kind: artifactKindSchema.optional(), status: versionStatusSchema.optional() }).strict();
const changeLogOptionsSchema = z.object({ limit: z.number().int().min(1).max(100_000).optional() }).strict();

/**
 * Opens the registry of what exists on a database handle, read-only, running the registry's
 * migrations first (tables `registry_*`, migration table `toolwright_registry_migrations`).
 *
 * Its listeners hear every committed change: right after the commit from a writer on the same
 * handle in this process, and through the handle's `listen` from other handles and processes
 * (LISTEN/NOTIFY on PostgreSQL).
 *
 * @example
 * ```ts
 * const database = await openDatabase('sqlite:./toolwright.db'); // from @toolwright/memory
 * const registry = await createRegistry({ database });
 * const active = await registry.active('total_fares');
 * registry.on('change', (event) => console.log(event.type, event.name, event.version));
 * ```
 */
export async function createRegistry(options: CreateRegistryOptions): Promise<RegistryStore> {
  const { database, now, bundleSigningKey } = parseOrThrow(storeOptionsSchema, options, 'createRegistry options');
  const signingKey = bundleSigningKey === undefined ? undefined : signingKeyOf(bundleSigningKey);
  await runMigrations(database, registryMigrationPlan(database.dialect));
  const registry = new DatabaseRegistry(database, now ?? Date.now, signingKey);
  await registry.subscribe();
  return registry;
}

type Listener = (event: RegistryChangeEvent) => void;

class DatabaseRegistry implements RegistryStore {
  readonly #database: RegistryDatabase;
  readonly #kysely: Kysely<RegistryTables>;
  readonly #now: () => number;
  readonly #signingKey: KeyObject | undefined;
  readonly #listeners = new Set<Listener>();
  readonly #deliver = (change: HeardChange): void => this.#hear(change);
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;
  /** Change-log ids at or below this were committed before listening began: not news. (PostgreSQL only.) */
  #floor: number | undefined;
  /** The highest change-log id emitted so far. */
  #cursor = 0;
  /** The ids of the changes emitted lately, oldest first: each change is emitted once, however it is heard. */
  readonly #emitted = new Set<number>();
  /** Catch-ups started and not yet done, plus one while the LISTEN connection is lost; what is heard meanwhile waits, so that changes are emitted in order. */
  #catchUpsPending = 0;
  /** The cursor when the LISTEN connection was lost (until the catch-up after it reads from there). */
  #lostAt: number | undefined;
  readonly #held: HeardChange[] = [];
  #catchingUp: Promise<void> = Promise.resolve();

  constructor(database: RegistryDatabase, now: () => number, signingKey: KeyObject | undefined) {
    this.#database = database;
    this.#kysely = database.kysely as Kysely<RegistryTables>;
    this.#now = now;
    this.#signingKey = signingKey;
  }

  async subscribe(): Promise<void> {
    const bus = changeBus(this.#database);
    try {
      this.#unlisten = await this.#database.listen(
        REGISTRY_CHANNEL,
        (payload) => {
          const change = receivedChange(payload, bus.origin);
          if (change !== undefined) this.#hear(change);
        },
        {
          onLost: () => {
            // From here notifications may be missed: hold everything heard (this process's writes too) until the catch-up has read from here.
            if (this.#lostAt !== undefined || this.#floor === undefined) return;
            this.#lostAt = this.#cursor;
            this.#catchUpsPending += 1;
          },
          onReconnect: () => void this.#catchUp(),
        },
      );
      // Where a catch-up starts reading: what was committed before listening is not news.
      // (SQLite loses no notification and never catches up.)
      if (this.#database.dialect === 'postgres') {
        this.#floor = await this.#read('reading the change log', async () => {
          const row = await this.#kysely.selectFrom('registry_changes').select((eb) => eb.fn.max('id').as('last')).executeTakeFirst();
          return Number(row?.last ?? 0);
        });
        this.#cursor = Math.max(this.#cursor, this.#floor);
      }
    } catch (error) {
      await this.#unlisten?.().catch(() => {});
      throw toStorageError(error, `listening for registry changes on ${this.#database.url}`);
    }
    bus.readers.add(this.#deliver);
  }

  /** A change heard from a writer here or by notification: emitted unless it already was. */
  #hear(change: HeardChange): void {
    if (this.#closed) return;
    if (this.#catchUpsPending > 0) this.#held.push(change);
    else this.#emitOnce(change);
  }

  #emitOnce({ id, event }: HeardChange): void {
    if (this.#emitted.has(id)) return;
    this.#emitted.add(id);
    if (this.#emitted.size > REMEMBERED_IDS) this.#emitted.delete(this.#emitted.values().next().value as number);
    this.#cursor = Math.max(this.#cursor, id);
    this.#emit(event);
  }

  /**
   * Notifications are a hint, not a queue: those sent while the LISTEN connection was down are
   * lost. After it reconnects, the change log is read again from a little before the last change
   * emitted (commits can land out of id order), and every change not emitted yet is, in commit
   * order; what is heard meanwhile waits behind it. Each change is emitted once: by its id.
   */
  #catchUp(): Promise<void> {
    // The hold taken when the connection was lost, if any, is this catch-up's to release.
    const from = this.#lostAt;
    const releases = from === undefined ? 1 : 2;
    this.#lostAt = undefined;
    if (from === undefined) this.#catchUpsPending += 1;
    this.#catchingUp = this.#catchingUp
      .then(async () => {
        if (this.#closed || this.#floor === undefined) return;
        let since = Math.max(this.#floor, (from ?? this.#cursor) - CATCH_UP_LOOKBACK);
        for (;;) {
          let rows: RegistryChange[];
          try {
            const after = since;
            rows = await this.#read('catching up on the change log', async () =>
              (await this.#kysely.selectFrom('registry_changes').selectAll().where('id', '>', after).orderBy('id').limit(CATCH_UP_PAGE).execute()).map(toChange),
            );
          } catch (error) {
            process.emitWarning(`@toolwright/registry: could not re-read the changes missed while LISTEN was down: ${String(error)}. Read active() again.`, 'ToolwrightWarning');
            return;
          }
          for (const { id, at: _at, reason: _reason, ...event } of rows) {
            if (this.#closed) return;
            this.#emitOnce({ id: Number(id), event });
            since = Number(id);
          }
          if (rows.length < CATCH_UP_PAGE) return;
        }
      })
      .finally(() => {
        this.#catchUpsPending -= releases;
        if (this.#catchUpsPending === 0) for (const change of this.#held.splice(0)) this.#hear(change);
      });
    return this.#catchingUp;
  }

  async get(name: string, version: number): Promise<ArtifactVersion | undefined> {
    this.#ensureOpen('read');
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    const number = parseOrThrow(versionNumberSchema, version, 'version');
    return this.#read(`reading ${artifactName}@${number}`, async () => {
      const row = await versionRow(this.#kysely, artifactName, number);
      return row === undefined ? undefined : toVersion(row);
    });
  }

  async active(name: string): Promise<ArtifactVersion | undefined> {
    this.#ensureOpen('read');
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    return this.#read(`reading the active version of ${artifactName}`, async () => {
      const row = await selectVersions(this.#kysely).where('v.name', '=', artifactName).where('v.status', '=', 'active').executeTakeFirst();
      return row === undefined ? undefined : toVersion(row);
    });
  }

  async list(filter?: { readonly kind?: ArtifactKind; readonly status?: VersionStatus }): Promise<ArtifactVersion[]> {
    this.#ensureOpen('list');
    const { kind, status = 'active' } = parseOrThrow(listFilterSchema, filter ?? {}, 'list filter');
    return this.#read('listing versions', async () => {
      let query = selectVersions(this.#kysely).where('v.status', '=', status);
      if (kind !== undefined) query = query.where('v.kind', '=', kind);
      const rows = await query.orderBy('v.name').orderBy('v.version').execute();
      return rows.map(toVersion);
    });
  }

  async history(name: string): Promise<ArtifactVersion[]> {
    this.#ensureOpen('read');
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    return this.#read(`reading the history of ${artifactName}`, async () => {
      const rows = await selectVersions(this.#kysely).where('v.name', '=', artifactName).orderBy('v.version').execute();
      return rows.map(toVersion);
    });
  }

  async diff(name: string, from: number, to: number): Promise<string> {
    this.#ensureOpen('diff');
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    const a = parseOrThrow(versionNumberSchema, from, 'from version');
    const b = parseOrThrow(versionNumberSchema, to, 'to version');
    const [older, newer] = await this.#read(`diffing ${artifactName}`, () =>
      Promise.all([versionRow(this.#kysely, artifactName, a), versionRow(this.#kysely, artifactName, b)]),
    );
    if (older === undefined) throw notFound(`Cannot diff: there is no ${artifactName}@${a}.`);
    if (newer === undefined) throw notFound(`Cannot diff: there is no ${artifactName}@${b}.`);
    const left = toVersion(older);
    const right = toVersion(newer);
    let patch = createTwoFilesPatch(`${artifactName}@${a}`, `${artifactName}@${b}`, withNewline(left.source), withNewline(right.source));
    const leftSpec = left.spec === undefined ? '' : `${JSON.stringify(left.spec, null, 2)}\n`;
    const rightSpec = right.spec === undefined ? '' : `${JSON.stringify(right.spec, null, 2)}\n`;
    if (leftSpec !== rightSpec) {
      patch += createTwoFilesPatch(`${artifactName}@${a}/spec.json`, `${artifactName}@${b}/spec.json`, leftSpec, rightSpec);
    }
    return patch;
  }

  async exportBundle(): Promise<SignedBundle> {
    this.#ensureOpen('export');
    const rows = await this.#read('exporting a bundle', () => selectVersions(this.#kysely).orderBy('v.name').orderBy('v.version').execute());
    const sealed = sealBundle(rows.map(toVersion), this.#now());
    return this.#signingKey === undefined ? sealed : signBundle(sealed, this.#signingKey);
  }

  on(event: 'change', listener: (event: RegistryChangeEvent) => void): () => void {
    if (event !== 'change') {
      throw new ValidationError('INVALID_ARGUMENT', `The registry emits only "change" events; got ${JSON.stringify(event)}.`);
    }
    if (typeof listener !== 'function') throw new ValidationError('INVALID_ARGUMENT', 'A change listener must be a function.');
    const entry: Listener = (change) => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  async changeLog(name?: string, options?: { readonly limit?: number }): Promise<RegistryChange[]> {
    this.#ensureOpen('read the change log');
    const artifactName = name === undefined ? undefined : parseOrThrow(artifactNameSchema, name, 'artifact name');
    const { limit = 10_000 } = parseOrThrow(changeLogOptionsSchema, options ?? {}, 'change log options');
    return this.#read('reading the change log', async () => {
      let query = this.#kysely.selectFrom('registry_changes').selectAll();
      if (artifactName !== undefined) query = query.where('name', '=', artifactName);
      const rows = await query.orderBy('id').limit(limit).execute();
      return rows.map(toChange);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    changeBus(this.#database).readers.delete(this.#deliver);
    this.#listeners.clear();
    await this.#unlisten?.().catch(() => {});
    await this.#catchingUp;
  }

  async #read<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toStorageError(error, `${what} in ${this.#database.url}`);
    }
  }

  #emit(event: RegistryChangeEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(`A registry change listener threw on ${event.type} ${event.name}@${event.version}: ${String(error)}`, 'ToolwrightWarning');
      }
    }
  }

  #ensureOpen(what: string): void {
    if (this.#closed) throw new StorageError('STORAGE_CLOSED', `Cannot ${what}: this registry is closed.`);
  }
}

/** A catch-up re-reads this many change-log ids below the last one emitted: a commit can land after a later id's. */
const CATCH_UP_LOOKBACK = 1000;
/** A catch-up reads the change log in pages of this many entries. */
const CATCH_UP_PAGE = 1000;
/** How many emitted ids are remembered: more than a catch-up re-reads, so none of those is emitted twice. */
const REMEMBERED_IDS = 5 * CATCH_UP_LOOKBACK;

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
