import type { Selectable, Transaction } from 'kysely';
import { notFound } from './rows.js';
import type { ArtifactRow, RegistryTables } from './tables.js';

/** An artifact's row, its numbers as numbers. */
export type Artifact = Selectable<ArtifactRow>;

/**
 * Locks the artifact's row for the rest of the transaction — an `UPDATE … RETURNING`, a row lock
 * on PostgreSQL and the write lock on SQLite — so concurrent changes of one artifact serialise,
 * also across processes. REGISTRY_NOT_FOUND when there is no such artifact.
 */
export async function lockArtifact(trx: Transaction<RegistryTables>, name: string, at: number): Promise<Artifact> {
  const artifact = await trx.updateTable('registry_artifacts').set({ updated_at: at }).where('name', '=', name).returningAll().executeTakeFirst();
  if (artifact === undefined) throw notFound(`There is no artifact named "${name}". Register a version first.`);
  return {
    ...artifact,
    pinned: Number(artifact.pinned),
    latest_version: Number(artifact.latest_version),
    active_version: artifact.active_version === null ? null : Number(artifact.active_version),
  };
}
