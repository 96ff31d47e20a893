import type { ArtifactVersion, ToolManifest, ToolSpecInput, VersionStatus } from '../../artifact.js';
import { splitToolSpec, toolSpecSchema } from '../../artifact.js';
import type { Diagnosis } from '../../evaluator.js';
import { contentHash } from '../../hash.js';
import type { ToolSummary } from '../../memory.js';

/** Test support: plain JavaScript tools (the in-memory sandbox runs them with `new Function`). */
export function toolSpec(overrides: Partial<ToolSpecInput> & { name: string; source: string }): ToolSpecInput {
  return {
    description: `The ${overrides.name} tool.`,
    inputSchema: { type: 'object' },
    examples: [],
    ...overrides,
  };
}

/** A tool version as a registry would store it. */
export function toolVersion(spec: ToolSpecInput, init: { version?: number; status?: VersionStatus; pinned?: boolean; parent?: number | null } = {}): ArtifactVersion {
  const { manifest, source } = splitToolSpec(toolSpecSchema.parse(spec));
  return versionOf('tool', manifest.name, source, manifest, init);
}

/** A prompt-section version. */
export function sectionVersion(name: string, text: string, init: { version?: number; status?: VersionStatus } = {}): ArtifactVersion {
  return versionOf('prompt-section', name, text, undefined, init);
}

function versionOf(
  kind: ArtifactVersion['kind'],
  name: string,
  source: string,
  spec: ToolManifest | undefined,
  init: { version?: number; status?: VersionStatus; pinned?: boolean; parent?: number | null },
): ArtifactVersion {
  return {
    kind,
    name,
    version: init.version ?? 1,
    source,
    ...(spec === undefined ? {} : { spec }),
    contentHash: contentHash({ kind, name, source, spec }),
    parent: init.parent ?? null,
    author: { kind: 'model', id: 'scripted' },
    reason: 'test',
    status: init.status ?? 'active',
    pinned: init.pinned ?? false,
    createdAt: 0,
  };
}

/** A summary with `count` calls of which `failures` failed. */
export function summaryOf(tool: string, count: number, failures = 0): ToolSummary {
  return {
    tool,
    version: 1,
    window: { lastN: 50 },
    count,
    successCount: count - failures,
    successRate: count === 0 ? 0 : (count - failures) / count,
    latency: { mean: 1, p50: 1, p95: 1, max: 1, spread: 0 },
    errors: failures > 0 ? [{ code: 'THROWN', count: failures }] : [],
    recentErrors: Array.from({ length: Math.min(failures, 3) }, (_, index) => ({ code: 'THROWN', message: `boom ${index}`, version: 1, startedAt: index })),
    firstAt: count === 0 ? undefined : 1,
    lastAt: count === 0 ? undefined : count,
  };
}

/** A diagnosis: degraded and in need of a rewrite, healthy, or without enough data. */
export function diagnosisOf(tool: string, status: Diagnosis['status']): Diagnosis {
  return {
    tool,
    version: 1,
    score: status === 'degraded' ? 0.4 : 0.95,
    components: [],
    status,
    needsRewrite: status === 'degraded',
    reasons: status === 'degraded' ? [{ kind: 'failure-rate', message: 'failure rate 0.6 is above 0.2', observed: 0.6, threshold: 0.2 }] : [],
    sampleSize: 10,
  };
}
