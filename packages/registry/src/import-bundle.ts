import { type ArtifactKind, type ArtifactVersion, RegistryError } from '@toolwright/core';
import type { Transaction } from 'kysely';
import { lockArtifact } from './artifact-lock.js';
import type { CheckedBundle } from './bundle.js';
import type { PendingChange } from './pending-change.js';
import { requireVersion, toRow } from './rows.js';
import type { RegistryTables } from './tables.js';

/** What an import did, from `RegistryWriter.importBundle`. */
export interface BundleImport {
  /** Versions written (new content). */
  readonly imported: number;
  /** Versions whose content this registry already held. */
  readonly skipped: number;
  /**
   * For each artifact whose bundle version was active (by name): the local version that holds
   * that content now — usually a candidate; already `active` when the same content is in force
   * here; `retired` or `rejected` when this registry retired or rejected that content before.
   * Activating one is a change of its own (promote a candidate, roll back to a retired version).
   */
  readonly activations: readonly ArtifactVersion[];
}

// Below the parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const NAMES_PER_QUERY = 500;

function kindConflict(name: string, inBundle: ArtifactKind, here: string): RegistryError {
  return new RegistryError(
    'REGISTRY_BUNDLE_INVALID',
    `The bundle's "${name}" is a ${inBundle}, but here "${name}" is a ${here}. Nothing was imported.`,
    { details: { name, bundle: inBundle, here } },
  );
}

/**
 * Writes a checked bundle's versions in `trx`, artifact by artifact in name order: content
 * already here is skipped, everything else is appended as a candidate (a rejected version stays
 * rejected) with its parent renumbered. Nothing becomes active, nothing is pinned: an import
 * never changes what is in force.
 */
export async function importVersions(
  trx: Transaction<RegistryTables>,
  bundle: CheckedBundle,
  at: number,
): Promise<{ value: BundleImport; changes: PendingChange[] }> {
  const names = [...bundle.artifacts.keys()].sort();
  // Every kind conflict is found before anything is written, so a refused import leaves even a
  // caller's unit of work as it was.
  for (let start = 0; start < names.length; start += NAMES_PER_QUERY) {
    const rows = await trx
      .selectFrom('registry_artifacts')
      .select(['name', 'kind'])
      .where('name', 'in', names.slice(start, start + NAMES_PER_QUERY))
      .execute();
    for (const row of rows) {
      const kind = bundle.artifacts.get(row.name)?.[0]?.kind;
      if (kind !== undefined && kind !== row.kind) throw kindConflict(row.name, kind, row.kind);
    }
  }

  let imported = 0;
  let skipped = 0;
  const changes: PendingChange[] = [];
  const activations: ArtifactVersion[] = [];
  for (const name of names) {
    const versions = bundle.artifacts.get(name) ?? [];
    const first = versions[0];
    if (first === undefined) continue;
    await trx
      .insertInto('registry_artifacts')
      .values({ name, kind: first.kind, pinned: 0, latest_version: 0, active_version: null, updated_at: at })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .execute();
    const artifact = await lockArtifact(trx, name, at);
    // Created by another process since the check above.
    if (artifact.kind !== first.kind) throw kindConflict(name, first.kind, artifact.kind);
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
        numbers.set(version.version, Number(same.version));
        skipped += 1;
        continue;
      }
      latest += 1;
      numbers.set(version.version, latest);
      const parent = version.parent === null ? null : (numbers.get(version.parent) ?? null);
      const status = version.status === 'rejected' ? 'rejected' : 'candidate';
      await trx.insertInto('registry_versions').values(toRow({ ...version, version: latest, parent, status })).execute();
      changes.push({ event: { type: 'registered', name, version: latest }, reason: version.reason });
      imported += 1;
    }
    if (latest !== artifact.latest_version) {
      await trx.updateTable('registry_artifacts').set({ latest_version: latest }).where('name', '=', name).execute();
    }
    const active = versions.find((version) => version.status === 'active');
    const local = active === undefined ? undefined : numbers.get(active.version);
    if (local !== undefined) activations.push(await requireVersion(trx, name, local));
  }
  return { value: { imported, skipped, activations }, changes };
}
