import { randomUUID } from 'node:crypto';
import {
  type ArtifactKind,
  artifactKindSchema,
  artifactNameSchema,
  type ArtifactVersion,
  authorSchema,
  type Bundle,
  canTransition,
  type JsonValue,
  MAX_SOURCE_LENGTH,
  parseOrThrow,
  type RegisterInput,
  type Registry,
  type RegistryChangeEvent,
  RegistryError,
  StorageError,
  type ToolManifest,
  toolManifestSchema,
  ValidationError,
  type VersionStatus,
  versionStatusSchema,
} from '@toolwright/core';
import { createTwoFilesPatch } from 'diff';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { z } from 'zod';
import { runMigrations, toStorageError } from '@toolwright/store';
import { checkBundle, sealBundle, versionContentHash } from './bundle.js';
import { registryMigrationPlan } from './migrations/registry-migrations.js';
import type { RegistryDatabase } from './registry-database.js';
import type { ArtifactRow, RegistryTables, VersionRow } from './tables.js';

/** The notification channel registry instances tell each other about changes on. */
export const REGISTRY_CHANNEL = 'toolwright_registry';

/** Options of {@link createRegistry}. */
export interface CreateRegistryOptions {
  /** The database, e.g. from `openDatabase` of `@toolwright/memory`. The registry never closes it. */
  readonly db: RegistryDatabase;
  /** The clock for timestamps, in epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** One entry of the registry's change log. */
export interface RegistryChange extends RegistryChangeEvent {
  readonly id: string;
  readonly at: number;
  /** The reason given, for promotions, rejections and rollbacks. */
  readonly reason?: string;
}

/** A {@link Registry} persisted through kysely in SQLite or PostgreSQL. */
export interface RegistryStore extends Registry {
  /** The change log, oldest first: of one artifact, or of all. */
  changeLog(name?: string, options?: { readonly limit?: number }): Promise<RegistryChange[]>;
}

const optionsSchema = z
  .object({
    db: z.custom<RegistryDatabase>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        ['sqlite', 'postgres'].includes((value as { dialect?: unknown }).dialect as string) &&
        typeof (value as { kysely?: unknown }).kysely === 'object' &&
        typeof (value as { listen?: unknown }).listen === 'function' &&
        typeof (value as { notify?: unknown }).notify === 'function',
      { message: 'pass a database handle: openDatabase() of @toolwright/memory returns one' },
    ),
    now: z.custom<() => number>((value) => typeof value === 'function').optional(),
  })
  .strict();

const registerSchema = z
  .object({
    kind: artifactKindSchema,
    name: artifactNameSchema,
    source: z.string().min(1, 'the source is empty').max(MAX_SOURCE_LENGTH, `the source exceeds ${MAX_SOURCE_LENGTH} characters`),
    spec: toolManifestSchema.optional(),
    author: authorSchema,
    reason: z.string().max(4000),
    parent: z.number().int().min(1).nullable(),
  })
  .strict()
  .refine((input) => (input.kind === 'tool') === (input.spec !== undefined), {
    message: 'a tool is registered with its spec (the manifest), a prompt section without one',
    path: ['spec'],
  })
  .refine((input) => input.kind !== 'tool' || input.spec?.name === input.name, {
    message: "a tool's spec.name equals its name",
    path: ['spec', 'name'],
  });

const versionNumberSchema = z.number().int().min(1);
const reasonOptionsSchema = z.object({ reason: z.string().max(4000).optional() }).strict().optional();
const listFilterSchema = z.object({ kind: artifactKindSchema.optional(), status: versionStatusSchema.optional() }).strict();
const changeLogOptionsSchema = z.object({ limit: z.number().int().min(1).max(100_000).optional() }).strict();
const eventSchema = z
  .object({
    type: z.enum(['registered', 'promoted', 'rejected', 'rolled-back', 'pinned', 'unpinned']),
    name: artifactNameSchema,
    version: z.number().int().min(1),
    previous: z.number().int().min(1).optional(),
  })
  .strict();
const notificationSchema = z.object({ origin: z.string(), event: eventSchema }).strict();

/**
 * Creates the registry of what exists on a database handle, running the registry's
 * migrations first (tables `registry_*`, migration table `toolwright_registry_migrations`).
 *
 * Every change happens in one transaction that first locks the artifact's row (an UPDATE,
 * which is `SELECT … FOR UPDATE` on PostgreSQL and takes the write lock on SQLite), so
 * concurrent promotions from several processes serialise; a partial unique index on the
 * active version backs that up. Change events reach this instance's listeners after the
 * commit, and other instances through `notify` (LISTEN/NOTIFY on PostgreSQL).
 *
 * @example
 * ```ts
 * const db = await openDatabase('sqlite:./toolwright.db'); // from @toolwright/memory
 * const registry = await createRegistry({ db });
 * const v = await registry.register({ kind: 'tool', name: 'total_fares', source, spec,
 *   author: { kind: 'model', id: 'gpt-4o-mini' }, reason: 'new capability', parent: null });
 * await registry.promote('total_fares', v.version);
 * ```
 */
export async function createRegistry(options: CreateRegistryOptions): Promise<RegistryStore> {
  const { db, now } = parseOrThrow(optionsSchema, options, 'createRegistry options');
  await runMigrations(db, registryMigrationPlan(db.dialect));
  const registry = new DatabaseRegistry(db, now ?? Date.now);
  await registry.subscribe();
  return registry;
}

type Artifact = Selectable<ArtifactRow>;
type Listener = (event: RegistryChangeEvent) => void;
interface PendingChange {
  readonly event: RegistryChangeEvent;
  readonly reason?: string;
}

function notFound(message: string): RegistryError {
  return new RegistryError('REGISTRY_NOT_FOUND', message);
}

class DatabaseRegistry implements RegistryStore {
  readonly #db: RegistryDatabase;
  readonly #kysely: Kysely<RegistryTables>;
  readonly #now: () => number;
  readonly #origin = randomUUID();
  readonly #listeners = new Set<Listener>();
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;

  constructor(db: RegistryDatabase, now: () => number) {
    this.#db = db;
    this.#kysely = db.kysely as Kysely<RegistryTables>;
    this.#now = now;
  }

  async subscribe(): Promise<void> {
    try {
      this.#unlisten = await this.#db.listen(REGISTRY_CHANNEL, (payload) => this.#received(payload));
    } catch (error) {
      throw toStorageError(error, `listening for registry changes on ${this.#db.url}`);
    }
  }

  async register(input: RegisterInput): Promise<ArtifactVersion> {
    this.#ensureOpen('register');
    const parsed = parseOrThrow(registerSchema, input, 'register input');
    const spec: ToolManifest | undefined = parsed.spec;
    const hash = versionContentHash({ kind: parsed.kind, name: parsed.name, source: parsed.source, spec });
    const at = this.#now();
    return this.#change(`registering ${parsed.name}`, async (trx) => {
      await trx
        .insertInto('registry_artifacts')
        .values({ name: parsed.name, kind: parsed.kind, pinned: 0, latest_version: 0, active_version: null, updated_at: at })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .execute();
      const artifact = await this.#lock(trx, parsed.name, at);
      if (artifact.kind !== parsed.kind) {
        throw new ValidationError(
          'INVALID_ARGUMENT',
          `"${parsed.name}" is a ${artifact.kind}; it cannot get a ${parsed.kind} version. Choose another name.`,
        );
      }
      const existing = await this.#selectVersions(trx).where('v.name', '=', parsed.name).where('v.content_hash', '=', hash).executeTakeFirst();
      if (existing !== undefined) return { value: toVersion(existing), changes: [] };
      if (parsed.parent !== null && (await this.#versionRow(trx, parsed.name, parsed.parent)) === undefined) {
        throw notFound(`Cannot register ${parsed.name} with parent ${parsed.parent}: there is no ${parsed.name}@${parsed.parent}. Pass an existing version, or null.`);
      }
      const version = artifact.latest_version + 1;
      await trx
        .insertInto('registry_versions')
        .values({
          name: parsed.name,
          version,
          kind: parsed.kind,
          source: parsed.source,
          spec: spec === undefined ? null : JSON.stringify(spec),
          content_hash: hash,
          parent: parsed.parent,
          author_kind: parsed.author.kind,
          author_id: parsed.author.id,
          reason: parsed.reason,
          status: 'candidate',
          created_at: at,
        })
        .execute();
      await trx.updateTable('registry_artifacts').set({ latest_version: version }).where('name', '=', parsed.name).execute();
      const registered = await this.#requireVersion(trx, parsed.name, version);
      return { value: registered, changes: [{ event: { type: 'registered', name: parsed.name, version }, reason: parsed.reason }] };
    });
  }

  async promote(name: string, version: number, options?: { readonly reason?: string }): Promise<ArtifactVersion> {
    return this.#activate('promote', name, version, options);
  }

  async rollback(name: string, toVersion: number, options?: { readonly reason?: string }): Promise<ArtifactVersion> {
    return this.#activate('rollback', name, toVersion, options);
  }

  async reject(name: string, version: number, reason: string): Promise<ArtifactVersion> {
    this.#ensureOpen('reject');
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    const number = parseOrThrow(versionNumberSchema, version, 'version');
    const why = parseOrThrow(z.string().max(4000), reason, 'reason');
    const at = this.#now();
    return this.#change(`rejecting ${artifactName}@${number}`, async (trx) => {
      await this.#lock(trx, artifactName, at);
      const target = await this.#requireVersion(trx, artifactName, number);
      this.#checkTransition(target, 'rejected', 'reject');
      await trx
        .updateTable('registry_versions')
        .set({ status: 'rejected' })
        .where('name', '=', artifactName)
        .where('version', '=', number)
        .execute();
      return {
        value: { ...target, status: 'rejected' as const },
        changes: [{ event: { type: 'rejected', name: artifactName, version: number }, reason: why }],
      };
    });
  }

  async pin(name: string): Promise<void> {
    await this.#setPinned(name, true);
  }

  async unpin(name: string): Promise<void> {
    await this.#setPinned(name, false);
  }

  async get(name: string, version: number): Promise<ArtifactVersion | undefined> {
    this.#ensureOpen('read');
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    const number = parseOrThrow(versionNumberSchema, version, 'version');
    return this.#read(`reading ${artifactName}@${number}`, async () => {
      const row = await this.#versionRow(this.#kysely, artifactName, number);
      return row === undefined ? undefined : toVersion(row);
    });
  }

  async active(name: string): Promise<ArtifactVersion | undefined> {
    this.#ensureOpen('read');
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    return this.#read(`reading the active version of ${artifactName}`, async () => {
      const row = await this.#selectVersions(this.#kysely).where('v.name', '=', artifactName).where('v.status', '=', 'active').executeTakeFirst();
      return row === undefined ? undefined : toVersion(row);
    });
  }

  async list(filter?: { readonly kind?: ArtifactKind; readonly status?: VersionStatus }): Promise<ArtifactVersion[]> {
    this.#ensureOpen('list');
    const { kind, status = 'active' } = parseOrThrow(listFilterSchema, filter ?? {}, 'list filter');
    return this.#read('listing versions', async () => {
      let query = this.#selectVersions(this.#kysely).where('v.status', '=', status);
      if (kind !== undefined) query = query.where('v.kind', '=', kind);
      const rows = await query.orderBy('v.name').orderBy('v.version').execute();
      return rows.map(toVersion);
    });
  }

  async history(name: string): Promise<ArtifactVersion[]> {
    this.#ensureOpen('read');
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    return this.#read(`reading the history of ${artifactName}`, async () => {
      const rows = await this.#selectVersions(this.#kysely).where('v.name', '=', artifactName).orderBy('v.version').execute();
      return rows.map(toVersion);
    });
  }

  async diff(name: string, from: number, to: number): Promise<string> {
    this.#ensureOpen('diff');
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    const a = parseOrThrow(versionNumberSchema, from, 'from version');
    const b = parseOrThrow(versionNumberSchema, to, 'to version');
    const [older, newer] = await this.#read(`diffing ${artifactName}`, () =>
      Promise.all([this.#versionRow(this.#kysely, artifactName, a), this.#versionRow(this.#kysely, artifactName, b)]),
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

  async exportBundle(): Promise<Bundle> {
    this.#ensureOpen('export');
    const rows = await this.#read('exporting a bundle', () => this.#selectVersions(this.#kysely).orderBy('v.name').orderBy('v.version').execute());
    return sealBundle(rows.map(toVersion), this.#now());
  }

  async importBundle(bundle: JsonValue | Bundle | string): Promise<{ readonly imported: number; readonly skipped: number }> {
    this.#ensureOpen('import');
    const artifacts = checkBundle(bundle);
    const at = this.#now();
    return this.#change('importing a bundle', async (trx) => {
      let imported = 0;
      let skipped = 0;
      const changes: PendingChange[] = [];
      for (const name of [...artifacts.keys()].sort()) {
        const versions = artifacts.get(name) ?? [];
        const first = versions[0];
        if (first === undefined) continue;
        const inserted = await trx
          .insertInto('registry_artifacts')
          .values({
            name,
            kind: first.kind,
            pinned: first.pinned ? 1 : 0,
            latest_version: Math.max(...versions.map((version) => version.version)),
            active_version: versions.find((version) => version.status === 'active')?.version ?? null,
            updated_at: at,
          })
          .onConflict((conflict) => conflict.column('name').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
          // A new artifact arrives as it was: numbers, statuses, pin.
          for (const version of versions) {
            await trx.insertInto('registry_versions').values(toRow(version)).execute();
            changes.push({ event: { type: 'registered', name, version: version.version }, reason: version.reason });
          }
          const active = versions.find((version) => version.status === 'active');
          if (active !== undefined) changes.push({ event: { type: 'promoted', name, version: active.version }, reason: 'imported from a bundle' });
          if (first.pinned) changes.push({ event: { type: 'pinned', name, version: active?.version ?? first.version } });
          imported += versions.length;
          continue;
        }
        // An existing artifact keeps what it serves: new content is appended as candidates.
        const artifact = await this.#lock(trx, name, at);
        if (artifact.kind !== first.kind) {
          throw new RegistryError(
            'REGISTRY_BUNDLE_INVALID',
            `The bundle's "${name}" is a ${first.kind}, but here "${name}" is a ${artifact.kind}. Nothing was imported.`,
          );
        }
        const numbers = new Map<number, number>();
        let latest = artifact.latest_version;
        for (const version of versions) {
          const same = await trx
            .selectFrom('registry_versions')
            .select('version')
            .where('name', '=', name)
            .where('content_hash', '=', version.contentHash)
            .executeTakeFirst();
          if (same !== undefined) {
            numbers.set(version.version, same.version);
            skipped += 1;
            continue;
          }
          latest += 1;
          numbers.set(version.version, latest);
          const parent = version.parent === null ? null : (numbers.get(version.parent) ?? null);
          await trx
            .insertInto('registry_versions')
            .values(toRow({ ...version, version: latest, parent, status: version.status === 'rejected' ? 'rejected' : 'candidate' }))
            .execute();
          changes.push({ event: { type: 'registered', name, version: latest }, reason: version.reason });
          imported += 1;
        }
        await trx.updateTable('registry_artifacts').set({ latest_version: latest }).where('name', '=', name).execute();
      }
      return { value: { imported, skipped }, changes };
    });
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
      return rows.map((row) => {
        const change: { -readonly [K in keyof RegistryChange]: RegistryChange[K] } = {
          id: String(row.id),
          type: row.type as RegistryChange['type'],
          name: row.name,
          version: Number(row.version),
          at: Number(row.at),
        };
        if (row.previous !== null) change.previous = Number(row.previous);
        if (row.reason !== null) change.reason = row.reason;
        return change;
      });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#unlisten?.().catch(() => {});
  }

  async #activate(
    operation: 'promote' | 'rollback',
    name: string,
    version: number,
    options: { readonly reason?: string } | undefined,
  ): Promise<ArtifactVersion> {
    this.#ensureOpen(operation);
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    const number = parseOrThrow(versionNumberSchema, version, 'version');
    const reason = parseOrThrow(reasonOptionsSchema, options, `${operation} options`)?.reason;
    const at = this.#now();
    return this.#change(`${operation === 'promote' ? 'promoting' : 'rolling back'} ${artifactName} to ${number}`, async (trx) => {
      const artifact = await this.#lock(trx, artifactName, at);
      if (artifact.pinned === 1) {
        throw new RegistryError(
          'REGISTRY_PINNED',
          `Cannot ${operation} ${artifactName} to version ${number}: ${artifactName} is pinned (at version ${artifact.active_version ?? 'none'}). Unpin it first.`,
          { details: { name: artifactName, version: number, active: artifact.active_version } },
        );
      }
      const target = await this.#requireVersion(trx, artifactName, number);
      if (target.status === 'active') return { value: target, changes: [] };
      const expected = operation === 'promote' ? 'candidate' : 'retired';
      if (target.status !== expected) {
        const hint =
          target.status === 'retired'
            ? ' It was active before: use rollback.'
            : target.status === 'candidate'
              ? ' It was never active: use promote.'
              : ' A rejected version stays rejected: register the content again as a new candidate.';
        throw new RegistryError(
          'REGISTRY_INVALID_TRANSITION',
          `Cannot ${operation} ${artifactName}@${number}: it is ${target.status}, and ${operation} takes a ${expected} version.${hint}`,
          { details: { name: artifactName, version: number, status: target.status } },
        );
      }
      this.#checkTransition(target, 'active', operation);
      const previous = artifact.active_version;
      if (previous !== null) {
        await trx
          .updateTable('registry_versions')
          .set({ status: 'retired' })
          .where('name', '=', artifactName)
          .where('version', '=', previous)
          .where('status', '=', 'active')
          .execute();
      }
      await trx
        .updateTable('registry_versions')
        .set({ status: 'active' })
        .where('name', '=', artifactName)
        .where('version', '=', number)
        .execute();
      await trx.updateTable('registry_artifacts').set({ active_version: number }).where('name', '=', artifactName).execute();
      const event: RegistryChangeEvent = {
        type: operation === 'promote' ? 'promoted' : 'rolled-back',
        name: artifactName,
        version: number,
        ...(previous === null ? {} : { previous }),
      };
      return { value: { ...target, status: 'active' as const }, changes: [reason === undefined ? { event } : { event, reason }] };
    });
  }

  async #setPinned(name: string, pinned: boolean): Promise<void> {
    this.#ensureOpen(pinned ? 'pin' : 'unpin');
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    const at = this.#now();
    await this.#change(`${pinned ? 'pinning' : 'unpinning'} ${artifactName}`, async (trx) => {
      const artifact = await this.#lock(trx, artifactName, at);
      if ((artifact.pinned === 1) === pinned) return { value: undefined, changes: [] };
      await trx.updateTable('registry_artifacts').set({ pinned: pinned ? 1 : 0 }).where('name', '=', artifactName).execute();
      const version = artifact.active_version ?? artifact.latest_version;
      return { value: undefined, changes: [{ event: { type: pinned ? 'pinned' : 'unpinned', name: artifactName, version } }] };
    });
  }

  #checkTransition(target: ArtifactVersion, to: VersionStatus, operation: string): void {
    if (!canTransition(target.status, to)) {
      throw new RegistryError(
        'REGISTRY_INVALID_TRANSITION',
        `Cannot ${operation} ${target.name}@${target.version}: a ${target.status} version cannot become ${to}.`,
        { details: { name: target.name, version: target.version, status: target.status } },
      );
    }
  }

  /** Locks the artifact's row for the rest of the transaction; REGISTRY_NOT_FOUND when there is none. */
  async #lock(trx: Transaction<RegistryTables>, name: string, at: number): Promise<Artifact> {
    const artifact = await trx
      .updateTable('registry_artifacts')
      .set({ updated_at: at })
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirst();
    if (artifact === undefined) throw notFound(`There is no artifact named "${name}". Register a version first.`);
    return { ...artifact, pinned: Number(artifact.pinned), latest_version: Number(artifact.latest_version) };
  }

  #selectVersions(db: Kysely<RegistryTables>) {
    return db
      .selectFrom('registry_versions as v')
      .innerJoin('registry_artifacts as a', 'a.name', 'v.name')
      .selectAll('v')
      .select('a.pinned');
  }

  async #versionRow(db: Kysely<RegistryTables>, name: string, version: number) {
    return this.#selectVersions(db).where('v.name', '=', name).where('v.version', '=', version).executeTakeFirst();
  }

  async #requireVersion(db: Kysely<RegistryTables>, name: string, version: number): Promise<ArtifactVersion> {
    const row = await this.#versionRow(db, name, version);
    if (row === undefined) throw notFound(`There is no ${name}@${version}. See registry.history("${name}") for its versions.`);
    return toVersion(row);
  }

  /**
   * Runs one change in a transaction, records its events in the change log inside it, and
   * after the commit tells this instance's listeners and every other instance.
   */
  async #change<T>(what: string, work: (trx: Transaction<RegistryTables>) => Promise<{ value: T; changes: PendingChange[] }>): Promise<T> {
    let result: { value: T; changes: PendingChange[] };
    try {
      result = await this.#kysely.transaction().execute(async (trx) => {
        const outcome = await work(trx);
        const at = this.#now();
        for (const { event, reason } of outcome.changes) {
          await trx
            .insertInto('registry_changes')
            .values({ name: event.name, type: event.type, version: event.version, previous: event.previous ?? null, reason: reason ?? null, at })
            .execute();
        }
        return outcome;
      });
    } catch (error) {
      throw toStorageError(error, `${what} in ${this.#db.url}`);
    }
    for (const { event } of result.changes) {
      this.#emit(event);
      this.#db.notify(REGISTRY_CHANNEL, JSON.stringify({ origin: this.#origin, event })).catch((error: unknown) => {
        process.emitWarning(
          `@toolwright/registry: could not tell other instances that ${event.name} was ${event.type}: ${String(error)}`,
          'ToolwrightWarning',
        );
      });
    }
    return result.value;
  }

  async #read<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toStorageError(error, `${what} in ${this.#db.url}`);
    }
  }

  #received(payload: string): void {
    if (this.#closed) return;
    let parsed: z.infer<typeof notificationSchema>;
    try {
      parsed = notificationSchema.parse(JSON.parse(payload));
    } catch {
      return; // Not ours, or from an incompatible version: nothing to act on.
    }
    if (parsed.origin === this.#origin) return;
    const { previous, ...rest } = parsed.event;
    this.#emit(previous === undefined ? rest : { ...rest, previous });
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

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function toVersion(row: Selectable<VersionRow> & { pinned: number }): ArtifactVersion {
  const version: { -readonly [K in keyof ArtifactVersion]: ArtifactVersion[K] } = {
    kind: row.kind as ArtifactKind,
    name: row.name,
    version: Number(row.version),
    source: row.source,
    contentHash: row.content_hash,
    parent: row.parent === null ? null : Number(row.parent),
    author: { kind: row.author_kind as ArtifactVersion['author']['kind'], id: row.author_id },
    reason: row.reason,
    status: row.status as VersionStatus,
    pinned: Number(row.pinned) === 1,
    createdAt: Number(row.created_at),
  };
  if (row.spec !== null) version.spec = JSON.parse(row.spec) as ToolManifest;
  return version;
}

function toRow(version: ArtifactVersion): VersionRow {
  return {
    name: version.name,
    version: version.version,
    kind: version.kind,
    source: version.source,
    spec: version.spec === undefined ? null : JSON.stringify(version.spec),
    content_hash: version.contentHash,
    parent: version.parent,
    author_kind: version.author.kind,
    author_id: version.author.id,
    reason: version.reason,
    status: version.status,
    created_at: version.createdAt,
  };
}
