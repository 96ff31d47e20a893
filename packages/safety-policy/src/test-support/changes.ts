import { contentHash, type ArtifactVersion, type Capability, type Change, type Diagnosis, type ToolManifest, type Verdict } from '@toolwright/core';

/** A tool manifest for `name`, with the given capabilities. */
export function manifest(name: string, capabilities: Capability[] = []): ToolManifest {
  return {
    name,
    description: `The ${name} tool.`,
    inputSchema: { type: 'object', properties: { values: { type: 'array', items: { type: 'number' } } } },
    language: 'ts',
    capabilities,
    examples: [{ input: { values: [1, 2] }, output: 3 }],
  };
}

/** A pure source; `variant` makes each one different. */
export function pureSource(variant = 0): string {
  return `export default ({ values }: { values: number[] }) => values.reduce((a, b) => a + b, ${variant});\n`;
}

/** A source that calls `fetch` on `url`. */
export function fetchSource(url: string): string {
  return `export default async () => (await fetch('${url}')).json();\n`;
}

/** The fetch capability to `origins`. */
export function fetchTo(...origins: string[]): Capability {
  return { kind: 'fetch', origins };
}

export function createTool(name: string, options: { origin?: 'agent' | 'person'; capabilities?: Capability[]; source?: string } = {}): Change {
  return {
    kind: 'create-tool',
    origin: options.origin ?? 'agent',
    name,
    spec: manifest(name, options.capabilities),
    source: options.source ?? pureSource(),
  };
}

export function rewriteTool(
  name: string,
  options: { origin?: 'agent' | 'person'; fromVersion?: number; capabilities?: Capability[]; source?: string; variant?: number } = {},
): Change {
  return {
    kind: 'rewrite-tool',
    origin: options.origin ?? 'agent',
    name,
    fromVersion: options.fromVersion ?? 1,
    spec: manifest(name, options.capabilities),
    source: options.source ?? pureSource(options.variant ?? 1),
  };
}

/** A stored version, as the registry would return it. */
export function toolVersion(name: string, options: { version?: number; pinned?: boolean; capabilities?: Capability[]; source?: string } = {}): ArtifactVersion {
  const spec = manifest(name, options.capabilities);
  const source = options.source ?? pureSource();
  return {
    kind: 'tool',
    name,
    version: options.version ?? 1,
    source,
    spec,
    contentHash: contentHash({ kind: 'tool', name, source, spec }),
    parent: null,
    author: { kind: 'model', id: 'scripted' },
    reason: 'test',
    status: 'active',
    pinned: options.pinned ?? false,
    createdAt: 0,
  };
}

/** A stored prompt-section version. */
export function sectionVersion(name: string, text: string, options: { version?: number; pinned?: boolean } = {}): ArtifactVersion {
  return {
    kind: 'prompt-section',
    name,
    version: options.version ?? 1,
    source: text,
    contentHash: contentHash({ kind: 'prompt-section', name, source: text }),
    parent: null,
    author: { kind: 'person', id: 'integrator' },
    reason: 'test',
    status: 'active',
    pinned: options.pinned ?? false,
    createdAt: 0,
  };
}

/** A diagnosis of `tool` with `score`. */
export function diagnosis(tool: string, score: number): Diagnosis {
  return {
    tool,
    version: 1,
    score,
    components: [{ name: 'success-rate', value: score, weight: 1 }],
    status: score < 0.8 ? 'degraded' : 'healthy',
    needsRewrite: score < 0.8,
    reasons: [],
    sampleSize: 50,
  };
}

interface CaseSpec {
  readonly candidatePass?: boolean;
  readonly baselinePass?: boolean;
  readonly candidateMs?: number;
  readonly baselineMs?: number;
  readonly outputDiff?: string;
}

/** A verdict for `tool`; by default three cases that pass on both sides at equal speed. */
export function verdict(tool: string, options: { decision?: 'promote' | 'reject'; cases?: CaseSpec[]; reasons?: string[] } = {}): Verdict {
  const specs = options.cases ?? [{}, {}, {}];
  const cases = specs.map((spec, index) => {
    const candidatePass = spec.candidatePass ?? true;
    const baselinePass = spec.baselinePass ?? true;
    return {
      caseId: `case-${index + 1}`,
      heldOut: index === specs.length - 1,
      candidate: { pass: candidatePass, output: 3, durationMs: spec.candidateMs ?? 2, failures: candidatePass ? [] : ['output differs from the golden output'] },
      baseline: { pass: baselinePass, output: 3, durationMs: spec.baselineMs ?? 2, failures: [] },
      regressed: baselinePass && !candidatePass,
      ...(spec.outputDiff === undefined ? {} : { outputDiff: spec.outputDiff }),
    };
  });
  const regressions = cases.filter((result) => result.regressed).length;
  return {
    tool,
    candidateVersion: 2,
    baselineVersion: 1,
    decision: options.decision ?? 'promote',
    reasons: options.reasons ?? [],
    cases,
    totals: {
      cases: cases.length,
      candidatePassed: cases.filter((result) => result.candidate.pass).length,
      baselinePassed: cases.filter((result) => result.baseline.pass).length,
      regressions,
    },
  };
}

/** The rule names of a decision, in order. */
export function rulesOf(decision: { readonly reasons: readonly { readonly rule: string }[] }): string[] {
  return decision.reasons.map((reason) => reason.rule);
}
