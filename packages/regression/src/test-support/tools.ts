import { type ArtifactVersion, type Candidate, type Capability, type Diagnosis, type DiagnosisReason, type ToolExample, contentHash, toolManifestSchema } from '@toolwright/core';

const FARES_SCHEMA = { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] };

/** A registered tool version for tests, with a correct content hash (test support, not exported). */
export function toolVersion(fields: {
  name?: string;
  version?: number;
  source: string;
  capabilities?: Capability[];
  examples?: ToolExample[];
  inputSchema?: Record<string, unknown>;
  language?: 'ts' | 'js';
}): ArtifactVersion {
  const name = fields.name ?? 'total_fares';
  const spec = toolManifestSchema.parse({
    name,
    description: 'Adds up fares.',
    inputSchema: fields.inputSchema ?? FARES_SCHEMA,
    language: fields.language ?? 'js',
    capabilities: fields.capabilities ?? [],
    examples: fields.examples ?? [],
  });
  return {
    kind: 'tool',
    name,
    version: fields.version ?? 1,
    source: fields.source,
    spec,
    contentHash: contentHash({ kind: 'tool', name, source: fields.source, spec }),
    parent: fields.version === undefined || fields.version === 1 ? null : fields.version - 1,
    author: { kind: 'person', id: 'test' },
    reason: 'test fixture',
    status: 'active',
    pinned: false,
    createdAt: 1_700_000_000_000,
  };
}

/** A candidate rewriting `parent` with `source`. */
export function candidateOf(parent: ArtifactVersion, source: string, diagnosis: Diagnosis): Candidate {
  if (parent.spec === undefined) throw new Error('not a tool');
  return {
    name: parent.name,
    parent: parent.version,
    source,
    spec: parent.spec,
    author: { kind: 'person', id: 'test' },
    reason: 'test candidate',
    diagnosis,
    tokens: { inputTokens: 0, outputTokens: 0 },
  };
}

/** A diagnosis asking for a rewrite for these reasons. */
export function diagnosisWith(tool: string, reasons: Pick<DiagnosisReason, 'kind' | 'message' | 'observed'>[]): Diagnosis {
  return { tool, version: 1, score: 0.4, components: [], status: 'degraded', needsRewrite: true, reasons, sampleSize: 50 };
}

/** A module body that busy-waits `ms` before returning: a deterministic slow tool (there are no timers to sleep on). */
export function busyWait(ms: number): string {
  return `const until = Date.now() + ${ms};\n  while (Date.now() < until) {}`;
}
