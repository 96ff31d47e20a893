import type { ArtifactVersion, ToolManifest } from './artifact.js';
import type { Diagnosis } from './evaluator.js';
import type { JsonSchema, JsonValue } from './json.js';
import type { Candidate } from './candidate.js';
import type { RunResult } from './sandbox.js';

/** What a case asserts about the output. At least one assertion is set. */
export interface CaseExpectation {
  /** Deep equality with this golden output (numbers within `tolerance`). */
  readonly output?: JsonValue;
  /** Absolute tolerance for numbers in `output`; default 0. */
  readonly tolerance?: number;
  /** Relative tolerance for numbers in `output`: within this share of the larger magnitude also counts as equal. Default 0. */
  readonly relativeTolerance?: number;
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
  /**
   * `declared` (default): the candidate runs with the capabilities its manifest requests and the
   * sandbox grants. `none`: with no capability at all — for a candidate that still needs a
   * person's approval, so nothing it does reaches the network before a person said yes.
   */
  readonly capabilities?: 'declared' | 'none';
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
  /**
   * Adds a case written by a person (e.g. from feedback on a wrong answer); a case with the same
   * input is replaced, so a person's expected output overrides a captured one. Optional: the
   * agent's feedback needs it to turn a correction into a case.
   */
  addCase?(input: ExplicitCase): Promise<RegressionCase>;
  /**
   * Stores one comparison of the active version with the version it replaced, on a live input
   * (the agent's post-promotion shadow comparison), both outputs included. Optional: without it
   * the comparisons are judged but not stored.
   */
  recordShadowComparison?(comparison: ShadowComparison): Promise<void>;
  /**
   * Remembers, durably and once, that a person judged call `callId` wrong: `'recorded'` the
   * first time a call id is given, `'already-recorded'` every later time — from any process
   * sharing the store (a unique key decides a race). The agent's feedback records its
   * `WRONG_OUTPUT` signal only on `'recorded'`. Optional: without it the agent de-duplicates
   * within its own process only.
   */
  recordFeedback?(record: FeedbackRecord): Promise<FeedbackRecordStatus>;
}

/** One call a person judged wrong, as {@link RegressionRunner.recordFeedback} keeps it. */
export interface FeedbackRecord {
  /** The tool call's id (`tool.vN.<inputHash>.<suffix>`). */
  readonly callId: string;
  readonly tool: string;
  readonly version: number;
  /** Epoch ms. */
  readonly at: number;
}

/** Whether {@link RegressionRunner.recordFeedback} stored the call id now or had it already. */
export type FeedbackRecordStatus = 'recorded' | 'already-recorded';

/** A case written explicitly (by a person, or from a person's feedback). */
export interface ExplicitCase {
  readonly tool: string;
  readonly input: JsonValue;
  readonly expect: CaseExpectation;
  /** Held-out cases are never shown to a rewriter. Default false. */
  readonly heldOut?: boolean;
}

/**
 * One live input run on two versions of a tool: `active` (the version that served the call)
 * and `reference` (the version it replaced, run in the sandbox off the user's path).
 */
export interface ShadowComparison {
  readonly tool: string;
  readonly inputHash: string;
  readonly active: ShadowSide;
  readonly reference: ShadowSide;
  /** Both succeeded with equal outputs. */
  readonly agreed: boolean;
  /** Which side a ground truth (a stored case, a person's feedback) backs, when one exists for the input. */
  readonly truth?: 'active' | 'reference' | 'neither';
  /** Epoch ms. */
  readonly at: number;
}

/** One side of a {@link ShadowComparison}. */
export interface ShadowSide {
  readonly version: number;
  /** `contentHash` of the version. */
  readonly contentHash: string;
  readonly ok: boolean;
  readonly output?: JsonValue;
  readonly errorCode?: string;
  readonly durationMs: number;
}

/** A call the active version served, offered to the regression runner as a golden case. */
export interface CapturedCall {
  readonly tool: string;
  readonly version?: number;
  readonly input: JsonValue;
  readonly result: RunResult;
}
