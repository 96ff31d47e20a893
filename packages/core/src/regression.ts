import type { ArtifactVersion, ToolManifest } from './artifact.js';
import type { Diagnosis } from './evaluator.js';
import type { JsonSchema, JsonValue } from './json.js';
import type { Candidate } from './rewriter.js';
import type { RunResult } from './sandbox.js';

/** What a case asserts about the output. At least one assertion is set. */
export interface CaseExpectation {
  /** Deep equality with this golden output (numbers within `tolerance`). */
  readonly output?: JsonValue;
  /** Absolute tolerance for numbers in `output`; default 0. */
  readonly tolerance?: number;
  /** The output matches this JSON Schema. */
  readonly schema?: JsonSchema;
  /** The run takes at most this long. */
  readonly maxLatencyMs?: number;
}

/** One regression case of one tool. */
export interface RegressionCase {
  readonly id: string;
  readonly tool: string;
  readonly input: JsonValue;
  readonly expect: CaseExpectation;
  /** Where it came from: the spec's examples, added explicitly, or captured from live traffic. */
  readonly origin: 'example' | 'explicit' | 'captured';
  /** Held-out cases are never shown to a rewriter. */
  readonly heldOut: boolean;
}

/** How one version did on one case. */
export interface CaseRun {
  readonly pass: boolean;
  readonly output?: JsonValue;
  readonly error?: { readonly code: string; readonly message: string };
  readonly durationMs: number;
  /** Which assertions failed, in words. */
  readonly failures: readonly string[];
}

/** One case, both sides. */
export interface CaseResult {
  readonly caseId: string;
  readonly heldOut: boolean;
  readonly candidate: CaseRun;
  readonly baseline: CaseRun | undefined;
  /** True when the baseline passes and the candidate does not. */
  readonly regressed: boolean;
  /** A readable diff of the two outputs, when they differ. */
  readonly outputDiff?: string;
}

/** The regression runner's judgement of a candidate against its baseline. */
export interface Verdict {
  readonly tool: string;
  readonly candidateVersion: number | undefined;
  readonly baselineVersion: number | undefined;
  readonly decision: 'promote' | 'reject';
  /** Why, in sentences; every refusal names its cause. */
  readonly reasons: readonly string[];
  readonly cases: readonly CaseResult[];
  readonly totals: {
    readonly cases: number;
    readonly candidatePassed: number;
    readonly baselinePassed: number;
    readonly regressions: number;
  };
  /** Shadow-run agreement, when the candidate ran beside the active version on live inputs. */
  readonly shadow?: { readonly runs: number; readonly agreement: number; readonly candidateP50Ms: number; readonly baselineP50Ms: number };
}

/** What `compare` needs. */
export interface CompareRequest {
  readonly candidate: Candidate | ArtifactVersion;
  /** The active version, or `undefined` for a brand-new tool. */
  readonly baseline: ArtifactVersion | undefined;
  readonly cases: readonly RegressionCase[];
  /** The problem the candidate must fix. */
  readonly diagnosis?: Diagnosis;
  readonly signal?: AbortSignal;
}

/**
 * Proves a candidate before promotion: both versions run in the sandbox on every case.
 *
 * @example
 * ```ts
 * const verdict = await regression.compare({ candidate, baseline: active, cases, diagnosis });
 * if (verdict.decision === 'reject') console.log(verdict.reasons);
 * ```
 */
export interface RegressionRunner {
  compare(request: CompareRequest): Promise<Verdict>;
  /** The cases of a tool; held-out ones only when `includeHeldOut` (never for a rewriter). */
  cases(tool: string, options?: { readonly includeHeldOut?: boolean }): Promise<RegressionCase[]>;
  /** Stores a tool's spec examples as cases (once each); called when a tool is promoted. */
  addExamples(spec: ToolManifest): Promise<RegressionCase[]>;
  /** Offers one served call as a case: only successful calls are kept, deduplicated by input, capped per tool. */
  capture(call: CapturedCall): Promise<{ readonly captured: boolean }>;
}

/** A call the active version served, offered to the regression runner as a golden case. */
export interface CapturedCall {
  readonly tool: string;
  readonly version?: number;
  readonly input: JsonValue;
  readonly result: RunResult;
}
