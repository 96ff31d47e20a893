import {
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
  type RegistryChangeEvent,
  RegistryError,
  type ToolManifest,
  toolManifestSchema,
  ValidationError,
  type VersionStatus,
} from '@toolwright/core';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import { type InUnit, joinOrRunUnit, runMigrations, toStorageError, type UnitOfWork } from '@toolwright/store';
import { type Artifact, lockArtifact } from './artifact-lock.js';
import { checkBundle, versionContentHash } from './bundle.js';
import { type HeardChange, publish } from './change-bus.js';
import { type BundleImport, importVersions } from './import-bundle.js';
import { registryMigrationPlan } from './migrations/registry-migrations.js';
import type { PendingChange } from './pending-change.js';
import type { RegistryChange } from './registry-change.js';
import type { RegistryDatabase } from './registry-database.js';
import { notFound, requireVersion, selectVersions, toChange, toVersion, versionRow } from './rows.js';
import { type CreateRegistryWriterOptions, storeOptionsSchema, unitSchema } from './store-options.js';
import { verifyingKeyOf } from './bundle-signature.js';
import { containsNul } from './nul.js';
import type { KeyObject } from 'node:crypto';
import type { RegistryTables } from './tables.js';

/** What a write did: its result, and the change-log entries it wrote (none when it changed nothing). */
export interface RegistryWrite<T> {
  readonly value: T;
  /** The entries written to the change log, with their ids; the events readers hear after the commit. */
  readonly changes: readonly RegistryChange[];
}

/**
 * Writes the registry. This is the gate's tool (`@toolwright/gate`), and only the gate's: every
 * other part reads the registry through a `RegistryStore`, so nothing changes what is in force
 * without passing the gate.
 *
 * Every write takes `{ unit }`, a unit of work of `@toolwright/store` on the same database
 * handle: the write joins its transaction (the gate writes the policy's record, the registry
 * transition and the audit entry together), or opens one of its own without it. Each write
 * first locks the artifact's row. Readers hear the events only after the commit, never after a
 * rollback.
 */
export interface RegistryWriter {
  /**
   * Stores a new `candidate`, numbered per artifact. Identical content returns the existing
   * version and writes nothing. Unknown parent: REGISTRY_NOT_FOUND; invalid input: INVALID_ARGUMENT.
   */
  register(input: RegisterInput, options?: InUnit): Promise<RegistryWrite<ArtifactVersion>>;
  /** A candidate becomes the one active version; the previous one is retired. REGISTRY_PINNED for a pinned artifact. */
  promote(name: string, version: number, options?: { readonly reason?: string } & InUnit): Promise<RegistryWrite<ArtifactVersion>>;
  /** A retired version becomes active again; the active one is retired. REGISTRY_PINNED for a pinned artifact. */
  rollback(name: string, toVersion: number, options?: { readonly reason?: string } & InUnit): Promise<RegistryWrite<ArtifactVersion>>;
  /** A candidate becomes `rejected`, for good. */
  reject(name: string, version: number, reason: string, options?: InUnit): Promise<RegistryWrite<ArtifactVersion>>;
  /**
   * The active version becomes `retired` with no successor: the artifact then has no active
   * version. Retiring a retired version changes nothing. REGISTRY_PINNED for a pinned artifact.
   */
  retire(name: string, version: number, reason: string, options?: InUnit): Promise<RegistryWrite<ArtifactVersion>>;
  /** Pins the artifact: promote, rollback and retire refuse until it is unpinned. Idempotent. */
  pin(name: string, options?: InUnit): Promise<RegistryWrite<void>>;
  /** Unpins the artifact. Idempotent. */
  unpin(name: string, options?: InUnit): Promise<RegistryWrite<void>>;
  /**
   * Imports a bundle (validated like `readBundle`; a tampered one writes nothing). Every new
   * version arrives as a candidate (a rejected one stays rejected), never active, never pinned,
   * for new and existing artifacts alike; `activations` says which local version holds each
   * content the bundle had active, so the gate can propose activating it as a change of its own.
   */
  importBundle(bundle: JsonValue | Bundle | string, options?: InUnit): Promise<RegistryWrite<BundleImport>>;
  /**
   * Locks the artifact's row inside `unit` (as every write does) and reads what is in force:
   * the active version's number, the pin, and the `version` asked for. The gate checks with it
   * that what a change was proposed against is still in force, in the unit that applies it, so a
   * concurrent promotion waits for that unit instead of slipping in between. Writes nothing.
   * An unknown artifact or version: REGISTRY_NOT_FOUND.
   */
  lock(name: string, options: { readonly version?: number } & InUnit): Promise<ArtifactLock>;
}

/** What {@link RegistryWriter.lock} read under the artifact's lock. */
export interface ArtifactLock {
  /** The active version's number; null when nothing is active. */
  readonly activeVersion: number | null;
  readonly pinned: boolean;
  /** The version asked for, as stored now. */
  readonly version?: ArtifactVersion;
}

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
  })
  // PostgreSQL text and jsonb cannot hold NUL, and SQLite would: refused alike on both.
  .refine((input) => !containsNul(input), { message: 'a NUL character (\\0) is not allowed in a source, spec, author or reason; remove it' });

const versionNumberSchema = z.number().int().min(1);
const reasonSchema = z
  .string()
  .max(4000)
  .refine((reason) => !reason.includes('\0'), { message: 'a NUL character (\\0) is not allowed in a reason; remove it' });
const inUnitSchema = z.object({ unit: unitSchema.optional() }).strict();
const lockOptionsSchema = z.object({ version: versionNumberSchema.optional(), unit: unitSchema.optional() }).strict();
const reasonInUnitSchema = z.object({ reason: reasonSchema.optional(), unit: unitSchema.optional() }).strict();

/**
 * Opens the registry's writer on a database handle, running the registry's migrations first.
 * For the gate alone: see {@link RegistryWriter}.
 *
 * @example
 * ```ts
 * import { runInUnit } from '@toolwright/store';
 * import { createRegistryWriter } from '@toolwright/registry/writer';
 *
 * const writer = await createRegistryWriter({ database });
 * await runInUnit(database, async (unit) => {
 *   const { value: candidate } = await writer.register(input, { unit });
 *   await writer.promote(candidate.name, candidate.version, { reason: 'passed 12/12 cases', unit });
 *   await memory.audit(entry, { unit }); // one transaction: both or neither
 * });
 * ```
 */
export async function createRegistryWriter(options: CreateRegistryWriterOptions): Promise<RegistryWriter> {
  const { database, now, bundlePublicKey } = parseOrThrow(storeOptionsSchema, options, 'createRegistryWriter options');
  const publicKey = bundlePublicKey === undefined ? undefined : verifyingKeyOf(bundlePublicKey);
  await runMigrations(database, registryMigrationPlan(database.dialect));
  return new DatabaseRegistryWriter(database, now ?? Date.now, publicKey);
}

type Work<T> = (trx: Transaction<RegistryTables>) => Promise<{ value: T; changes: PendingChange[] }>;

class DatabaseRegistryWriter implements RegistryWriter {
  readonly #database: RegistryDatabase;
  readonly #now: () => number;
  readonly #publicKey: KeyObject | undefined;

  constructor(database: RegistryDatabase, now: () => number, publicKey: KeyObject | undefined) {
    this.#database = database;
    this.#now = now;
    this.#publicKey = publicKey;
  }

  async register(input: RegisterInput, options?: InUnit): Promise<RegistryWrite<ArtifactVersion>> {
    const parsed = parseOrThrow(registerSchema, input, 'register input');
    const { unit } = parseOrThrow(inUnitSchema, options ?? {}, 'register options');
    const { name } = parsed;
    const spec: ToolManifest | undefined = parsed.spec;
    const hash = versionContentHash({ kind: parsed.kind, name, source: parsed.source, spec });
    const at = this.#now();
    const checkKind = (kind: string) => {
      if (kind !== parsed.kind) {
        throw new ValidationError('INVALID_ARGUMENT', `"${name}" is a ${kind}; it cannot get a ${parsed.kind} version. Choose another name.`);
      }
    };
    const sameContent = (trx: Transaction<RegistryTables>) =>
      selectVersions(trx).where('v.name', '=', name).where('v.content_hash', '=', hash).executeTakeFirst();
    return this.#write(`registering ${name}`, unit, async (trx) => {
      // Refusals come before any write, so a refused registration leaves a caller's unit as it was.
      const known = await trx.selectFrom('registry_artifacts').select('kind').where('name', '=', name).executeTakeFirst();
      if (known !== undefined) {
        checkKind(known.kind);
        const existing = await sameContent(trx);
        if (existing !== undefined) return { value: toVersion(existing), changes: [] };
      }
      if (parsed.parent !== null && (await versionRow(trx, name, parsed.parent)) === undefined) {
        throw notFound(`Cannot register ${name} with parent ${parsed.parent}: there is no ${name}@${parsed.parent}. Pass an existing version, or null.`);
      }
      await trx
        .insertInto('registry_artifacts')
        .values({ name, kind: parsed.kind, pinned: 0, latest_version: 0, active_version: null, updated_at: at })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .execute();
      const artifact = await lockArtifact(trx, name, at);
      // Another process may have registered this name, or this content, since the checks above.
      checkKind(artifact.kind);
      const existing = await sameContent(trx);
      if (existing !== undefined) return { value: toVersion(existing), changes: [] };
      const version = artifact.latest_version + 1;
      await trx
        .insertInto('registry_versions')
        .values({
          name,
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
      await trx.updateTable('registry_artifacts').set({ latest_version: version }).where('name', '=', name).execute();
      const registered = await requireVersion(trx, name, version);
      return { value: registered, changes: [{ event: { type: 'registered', name, version }, reason: parsed.reason }] };
    });
  }

  async promote(name: string, version: number, options?: { readonly reason?: string } & InUnit): Promise<RegistryWrite<ArtifactVersion>> {
    return this.#activate('promote', name, version, options);
  }

  async rollback(name: string, toVersion: number, options?: { readonly reason?: string } & InUnit): Promise<RegistryWrite<ArtifactVersion>> {
    return this.#activate('rollback', name, toVersion, options);
  }

  async reject(name: string, version: number, reason: string, options?: InUnit): Promise<RegistryWrite<ArtifactVersion>> {
    const { artifactName, number, why, unit } = this.#parseVersionChange(name, version, reason, options, 'reject');
    const at = this.#now();
    return this.#write(`rejecting ${artifactName}@${number}`, unit, async (trx) => {
      await lockArtifact(trx, artifactName, at);
      const target = await requireVersion(trx, artifactName, number);
      checkTransition(target, 'rejected', 'reject');
      await trx.updateTable('registry_versions').set({ status: 'rejected' }).where('name', '=', artifactName).where('version', '=', number).execute();
      return {
        value: { ...target, status: 'rejected' as const },
        changes: [{ event: { type: 'rejected', name: artifactName, version: number }, reason: why }],
      };
    });
  }

  async retire(name: string, version: number, reason: string, options?: InUnit): Promise<RegistryWrite<ArtifactVersion>> {
    const { artifactName, number, why, unit } = this.#parseVersionChange(name, version, reason, options, 'retire');
    const at = this.#now();
    return this.#write(`retiring ${artifactName}@${number}`, unit, async (trx) => {
      const artifact = await lockArtifact(trx, artifactName, at);
      const target = await requireVersion(trx, artifactName, number);
      if (target.status === 'retired') return { value: target, changes: [] };
      refusePinned(artifact, 'retire', number);
      if (target.status !== 'active') {
        throw new RegistryError(
          'REGISTRY_INVALID_TRANSITION',
          `Cannot retire ${artifactName}@${number}: it is ${target.status}, and only the active version can be retired.${target.status === 'candidate' ? ' Reject a candidate instead.' : ''}`,
          { details: { name: artifactName, version: number, status: target.status } },
        );
      }
      checkTransition(target, 'retired', 'retire');
      await trx
        .updateTable('registry_versions')
        .set({ status: 'retired' })
        .where('name', '=', artifactName)
        .where('version', '=', number)
        .where('status', '=', 'active')
        .execute();
      await trx.updateTable('registry_artifacts').set({ active_version: null }).where('name', '=', artifactName).execute();
      return {
        value: { ...target, status: 'retired' as const },
        changes: [{ event: { type: 'retired', name: artifactName, version: number }, reason: why }],
      };
    });
  }

  async pin(name: string, options?: InUnit): Promise<RegistryWrite<void>> {
    return this.#setPinned(name, true, options);
  }

  async unpin(name: string, options?: InUnit): Promise<RegistryWrite<void>> {
    return this.#setPinned(name, false, options);
  }

  async importBundle(bundle: JsonValue | Bundle | string, options?: InUnit): Promise<RegistryWrite<BundleImport>> {
    const checked = checkBundle(bundle, this.#publicKey === undefined ? {} : { publicKey: this.#publicKey });
    const { unit } = parseOrThrow(inUnitSchema, options ?? {}, 'importBundle options');
    const at = this.#now();
    return this.#write('importing a bundle', unit, (trx) => importVersions(trx, checked, at));
  }

  async lock(name: string, options: { readonly version?: number } & InUnit): Promise<ArtifactLock> {
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    const { version, unit } = parseOrThrow(lockOptionsSchema, options ?? {}, 'lock options');
    const at = this.#now();
    const read = await this.#write(`locking ${artifactName}`, unit, async (trx) => {
      const artifact = await lockArtifact(trx, artifactName, at);
      const stored = version === undefined ? undefined : await requireVersion(trx, artifactName, version);
      const value: ArtifactLock = { activeVersion: artifact.active_version, pinned: artifact.pinned === 1, ...(stored === undefined ? {} : { version: stored }) };
      return { value, changes: [] };
    });
    return read.value;
  }

  async #activate(
    operation: 'promote' | 'rollback',
    name: string,
    version: number,
    options: ({ readonly reason?: string } & InUnit) | undefined,
  ): Promise<RegistryWrite<ArtifactVersion>> {
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    const number = parseOrThrow(versionNumberSchema, version, 'version');
    const { reason, unit } = parseOrThrow(reasonInUnitSchema, options ?? {}, `${operation} options`);
    const at = this.#now();
    return this.#write(`${operation === 'promote' ? 'promoting' : 'rolling back'} ${artifactName} to ${number}`, unit, async (trx) => {
      const artifact = await lockArtifact(trx, artifactName, at);
      refusePinned(artifact, operation, number);
      const target = await requireVersion(trx, artifactName, number);
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
      checkTransition(target, 'active', operation);
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
      await trx.updateTable('registry_versions').set({ status: 'active' }).where('name', '=', artifactName).where('version', '=', number).execute();
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

  async #setPinned(name: string, pinned: boolean, options: InUnit | undefined): Promise<RegistryWrite<void>> {
    const artifactName = parseOrThrow(artifactNameSchema, name, 'artifact name');
    const { unit } = parseOrThrow(inUnitSchema, options ?? {}, `${pinned ? 'pin' : 'unpin'} options`);
    const at = this.#now();
    return this.#write(`${pinned ? 'pinning' : 'unpinning'} ${artifactName}`, unit, async (trx) => {
      const artifact = await lockArtifact(trx, artifactName, at);
      if ((artifact.pinned === 1) === pinned) return { value: undefined, changes: [] };
      await trx.updateTable('registry_artifacts').set({ pinned: pinned ? 1 : 0 }).where('name', '=', artifactName).execute();
      const version = artifact.active_version ?? artifact.latest_version;
      return { value: undefined, changes: [{ event: { type: pinned ? 'pinned' : 'unpinned', name: artifactName, version } }] };
    });
  }

  #parseVersionChange(name: string, version: number, reason: string, options: InUnit | undefined, operation: string) {
    return {
      artifactName: parseOrThrow(artifactNameSchema, name, 'artifact name'),
      number: parseOrThrow(versionNumberSchema, version, 'version'),
      why: parseOrThrow(reasonSchema, reason, 'reason'),
      unit: parseOrThrow(inUnitSchema, options ?? {}, `${operation} options`).unit,
    };
  }

  /**
   * Runs one write in the caller's unit or in a unit of its own, records its events in the
   * change log inside it, and after the commit tells every reader (here and in other processes).
   */
  async #write<T>(what: string, unit: UnitOfWork | undefined, work: Work<T>): Promise<RegistryWrite<T>> {
    try {
      return await joinOrRunUnit(this.#database, unit, async (current) => {
        const trx = current.kysely as Transaction<RegistryTables>;
        const outcome = await work(trx);
        const at = this.#now();
        const changes: RegistryChange[] = [];
        const heard: HeardChange[] = [];
        for (const { event, reason } of outcome.changes) {
          const row = await trx
            .insertInto('registry_changes')
            .values({ name: event.name, type: event.type, version: event.version, previous: event.previous ?? null, reason: reason ?? null, at })
            .returningAll()
            .executeTakeFirstOrThrow();
          changes.push(toChange(row));
          heard.push({ id: Number(row.id), event });
        }
        if (heard.length > 0) current.afterCommit(() => publish(this.#database, heard));
        return { value: outcome.value, changes };
      });
    } catch (error) {
      throw toStorageError(error, `${what} in ${this.#database.url}`);
    }
  }
}

function refusePinned(artifact: Artifact, operation: 'promote' | 'rollback' | 'retire', version: number): void {
  if (artifact.pinned !== 1) return;
  const what = operation === 'retire' ? `retire ${artifact.name}@${version}` : `${operation} ${artifact.name} to version ${version}`;
  throw new RegistryError(
    'REGISTRY_PINNED',
    `Cannot ${what}: ${artifact.name} is pinned (at version ${artifact.active_version ?? 'none'}). Unpin it first.`,
    { details: { name: artifact.name, version, active: artifact.active_version } },
  );
}

function checkTransition(target: ArtifactVersion, to: VersionStatus, operation: string): void {
  if (!canTransition(target.status, to)) {
    throw new RegistryError(
      'REGISTRY_INVALID_TRANSITION',
      `Cannot ${operation} ${target.name}@${target.version}: a ${target.status} version cannot become ${to}.`,
      { details: { name: target.name, version: target.version, status: target.status } },
    );
  }
}
