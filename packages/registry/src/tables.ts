import type { Generated } from 'kysely';

/** Row of `registry_artifacts`: one per artifact name. */
export interface ArtifactRow {
  name: string;
  kind: string;
  /** 1 when pinned. */
  pinned: number;
  latest_version: number;
  active_version: number | null;
  updated_at: number;
}

/** Row of `registry_versions`: immutable except for `status`. */
export interface VersionRow {
  name: string;
  version: number;
  kind: string;
  source: string;
  /** The tool manifest as JSON; null for prompt sections. */
  spec: string | null;
  content_hash: string;
  parent: number | null;
  author_kind: string;
  author_id: string;
  reason: string;
  status: string;
  created_at: number;
}

/** Row of `registry_changes`: the ordered change log. */
export interface ChangeRow {
  id: Generated<number>;
  name: string;
  type: string;
  version: number;
  previous: number | null;
  reason: string | null;
  at: number;
}

/** The tables the registry owns. */
export interface RegistryTables {
  registry_artifacts: ArtifactRow;
  registry_versions: VersionRow;
  registry_changes: ChangeRow;
}
