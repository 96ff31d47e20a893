import {
  type AuditEntry,
  type AuditEntryInput,
  artifactNameSchema,
  auditEntryInputSchema,
  type JsonObject,
  parseOrThrow,
} from '@toolwright/core';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { AuditRow, MemoryTables } from './tables.js';

const auditQuerySchema = z
  .object({
    artifact: artifactNameSchema.optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();

/** An audit entry that passed core's schema, ready to insert. */
export type CheckedAuditEntry = z.output<typeof auditEntryInputSchema>;

/**
 * The append-only audit log. There is no method to change or delete an entry, and the
 * table refuses UPDATE and DELETE by trigger (migration 0002), so raw SQL cannot either.
 */
export class AuditLog {
  readonly #db: Kysely<MemoryTables>;
  readonly #now: () => number;

  constructor(db: Kysely<MemoryTables>, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Validates an entry (`INVALID_ARGUMENT`), before any transaction is touched. */
  check(input: AuditEntryInput): CheckedAuditEntry {
    return parseOrThrow(auditEntryInputSchema, input, 'audit entry');
  }

  /**
   * Inserts a checked entry through `into`: the memory's own handle (one statement, committed
   * on its own) or a unit's transaction (committed or rolled back with the unit).
   */
  async append(entry: CheckedAuditEntry, into: Kysely<MemoryTables> = this.#db): Promise<AuditEntry> {
    const at = this.#now();
    const row = await into
      .insertInto('memory_audit')
      .values({
        at,
        actor_kind: entry.actor.kind,
        actor_id: entry.actor.id,
        action: entry.action,
        artifact: entry.artifact ?? null,
        from_version: entry.fromVersion ?? null,
        to_version: entry.toVersion ?? null,
        reason: entry.reason,
        evidence: JSON.stringify(entry.evidence),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toEntry(row);
  }

  /** Entries newest first, optionally of one artifact; 100 by default. */
  async list(query: unknown = {}): Promise<AuditEntry[]> {
    const { artifact, limit = 100 } = parseOrThrow(auditQuerySchema, query, 'audit log query');
    let select = this.#db.selectFrom('memory_audit').selectAll();
    if (artifact !== undefined) select = select.where('artifact', '=', artifact);
    const rows = await select.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toEntry);
  }
}

function toEntry(row: Selectable<AuditRow>): AuditEntry {
  const actor =
    row.actor_kind === 'system'
      ? { kind: 'system' as const, id: row.actor_id }
      : { kind: row.actor_kind as 'model' | 'transform' | 'person', id: row.actor_id };
  const entry: { -readonly [K in keyof AuditEntry]: AuditEntry[K] } = {
    id: String(row.id),
    at: Number(row.at),
    actor,
    action: row.action,
    reason: row.reason,
    evidence: JSON.parse(row.evidence) as JsonObject,
  };
  if (row.artifact !== null) entry.artifact = row.artifact;
  if (row.from_version !== null) entry.fromVersion = Number(row.from_version);
  if (row.to_version !== null) entry.toVersion = Number(row.to_version);
  return entry;
}
