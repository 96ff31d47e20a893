import { type ArtifactKind, type ArtifactVersion, RegistryError, type ToolManifest, type VersionStatus } from '@toolwright/core';
import type { Kysely, Selectable } from 'kysely';
import type { RegistryChange } from './registry-change.js';
import type { ChangeRow, RegistryTables, VersionRow } from './tables.js';

/** REGISTRY_NOT_FOUND with `message`. */
export function notFound(message: string): RegistryError {
  return new RegistryError('REGISTRY_NOT_FOUND', message);
}

/** Versions joined with their artifact's pin. */
export function selectVersions(db: Kysely<RegistryTables>) {
  return db.selectFrom('registry_versions as v').innerJoin('registry_artifacts as a', 'a.name', 'v.name').selectAll('v').select('a.pinned');
}

/** The row of `name@version`, or undefined. */
export async function versionRow(db: Kysely<RegistryTables>, name: string, version: number) {
  return selectVersions(db).where('v.name', '=', name).where('v.version', '=', version).executeTakeFirst();
}

/** `name@version`, or REGISTRY_NOT_FOUND. */
export async function requireVersion(db: Kysely<RegistryTables>, name: string, version: number): Promise<ArtifactVersion> {
  const row = await versionRow(db, name, version);
  if (row === undefined) throw notFound(`There is no ${name}@${version}. See registry.history("${name}") for its versions.`);
  return toVersion(row);
}

/** A stored version as core's `ArtifactVersion`. */
export function toVersion(row: Selectable<VersionRow> & { pinned: number }): ArtifactVersion {
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

/** A version as a row to insert. */
export function toRow(version: ArtifactVersion): VersionRow {
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

/** A change-log row as a {@link RegistryChange}. */
export function toChange(row: Selectable<ChangeRow>): RegistryChange {
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
}
