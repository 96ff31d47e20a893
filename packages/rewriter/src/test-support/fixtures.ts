import {
  type ArtifactVersion,
  type Capability,
  type Diagnosis,
  type DiagnosisReason,
  type ToolExample,
  type ToolLanguage,
  contentHash,
  toolManifestSchema,
} from '@toolwright/core';

/** A registered tool version for tests, with a correct content hash. */
export function toolVersion(fields: {
  name?: string;
  version?: number;
  source: string;
  language?: ToolLanguage;
  capabilities?: Capability[];
  examples?: ToolExample[];
  inputSchema?: Record<string, unknown>;
}): ArtifactVersion {
  const name = fields.name ?? 'get_quote';
  const spec = toolManifestSchema.parse({
    name,
    description: 'Looks up the price for a key.',
    inputSchema: fields.inputSchema ?? { type: 'object', properties: { key: { type: 'string' } }, required: ['key'], additionalProperties: false },
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
    parent: null,
    author: { kind: 'person', id: 'test' },
    reason: 'test fixture',
    status: 'active',
    pinned: false,
    createdAt: 1_700_000_000_000,
  };
}

/** A diagnosis that asks for a rewrite, with the given reasons. */
export function diagnosisWith(tool: string, reasons: Pick<DiagnosisReason, 'kind' | 'message' | 'observed'>[]): Diagnosis {
  return {
    tool,
    version: 1,
    score: 0.4,
    components: [
      { name: 'success-rate', value: 0.5, weight: 0.5 },
      { name: 'latency', value: 0.3, weight: 0.3 },
      { name: 'consistency', value: 0.4, weight: 0.2 },
    ],
    status: 'degraded',
    needsRewrite: true,
    reasons,
    sampleSize: 40,
  };
}
