import type { ArtifactVersion, AuditEntry, JsonObject, JsonValue } from '@toolwright/core';
import type { Toolwright } from 'toolwright';

/** The `_meta` key prefix of everything Toolwright adds to an MCP tool or result. */
export const META_PREFIX = 'toolwright/';

/** What put a version in force, from the audit log: the gate's `*.applied` entry for it. */
export interface PromotionEvidence {
  /** The audit action, e.g. `create-tool.applied`, `rewrite-tool.applied`, `rollback.applied`. */
  readonly action: string;
  /** Who proposed or approved it (the audit entry's actor). */
  readonly by: string;
  readonly byKind: string;
  /** When (epoch milliseconds). */
  readonly at: number;
  readonly reason: string;
  /** The approval request a person approved, when it waited for one. */
  readonly approvalId?: string;
  /** The regression verdict that proved it: cases run, cases the version passed, their share. */
  readonly regression?: { readonly decision: string; readonly cases: number; readonly passed: number; readonly passRate: number | null; readonly regressions: number };
}

/** One active tool version as the MCP server lists it. */
export interface ServedTool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: JsonObject;
  readonly version: number;
  readonly contentHash: string;
  readonly pinned: boolean;
  readonly promotion: PromotionEvidence | undefined;
}

/** The part of {@link Toolwright} the catalogue reads. */
export type CatalogSource = Pick<Toolwright, 'registry' | 'memory'>;

/** A fingerprint of the set of active tool versions: it changes on promote, rollback, pin, unpin and retire. */
export function fingerprintOf(versions: readonly ArtifactVersion[]): string {
  return JSON.stringify(
    versions
      .filter((version) => version.kind === 'tool')
      .map((version) => [version.name, version.version, version.contentHash, version.pinned])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
}

/** Every active tool version, read now from the registry, with the evidence that put it in force. */
export async function loadCatalog(source: CatalogSource): Promise<ServedTool[]> {
  const versions = await source.registry.list({ kind: 'tool' });
  const tools: ServedTool[] = [];
  for (const version of versions) {
    if (version.spec === undefined) continue;
    tools.push({
      name: version.name,
      description: version.spec.description,
      inputSchema: version.spec.inputSchema,
      version: version.version,
      contentHash: version.contentHash,
      pinned: version.pinned,
      promotion: await promotionOf(source, version),
    });
  }
  return tools;
}

/** The newest `*.applied` audit entry that made `version` active, as {@link PromotionEvidence}. */
export async function promotionOf(source: CatalogSource, version: Pick<ArtifactVersion, 'name' | 'version'>): Promise<PromotionEvidence | undefined> {
  const entries = await source.memory.auditLog({ artifact: version.name, limit: 200 });
  let chosen: AuditEntry | undefined;
  for (const entry of entries) {
    if (entry.toVersion !== version.version || !entry.action.endsWith('.applied')) continue;
    if (chosen === undefined || entry.at > chosen.at) chosen = entry;
  }
  return chosen === undefined ? undefined : evidenceOf(chosen);
}

function evidenceOf(entry: AuditEntry): PromotionEvidence {
  const evidence = entry.evidence;
  const approvalId = typeof evidence['approvalId'] === 'string' ? evidence['approvalId'] : undefined;
  const verdict = asObject(evidence['verdict']);
  let regression: PromotionEvidence['regression'];
  if (verdict !== undefined) {
    const cases = numberOr(verdict['cases'], 0);
    const passed = numberOr(verdict['candidatePassed'], 0);
    regression = {
      decision: typeof verdict['decision'] === 'string' ? verdict['decision'] : 'unknown',
      cases,
      passed,
      passRate: cases > 0 ? passed / cases : null,
      regressions: numberOr(verdict['regressions'], 0),
    };
  }
  return {
    action: entry.action,
    by: entry.actor.id,
    byKind: entry.actor.kind,
    at: entry.at,
    reason: entry.reason,
    ...(approvalId === undefined ? {} : { approvalId }),
    ...(regression === undefined ? {} : { regression }),
  };
}

function asObject(value: JsonValue | undefined): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

function numberOr(value: JsonValue | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** The `_meta` of a listed tool: version, content hash, pin, and promotion evidence. */
export function toolMeta(tool: ServedTool): Record<string, unknown> {
  return {
    [`${META_PREFIX}version`]: tool.version,
    [`${META_PREFIX}contentHash`]: tool.contentHash,
    [`${META_PREFIX}pinned`]: tool.pinned,
    ...(tool.promotion === undefined ? {} : { [`${META_PREFIX}promotion`]: tool.promotion }),
  };
}
