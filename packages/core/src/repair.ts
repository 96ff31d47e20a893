import type { Capability, ToolLanguage } from './artifact.js';
import type { Diagnosis } from './evaluator.js';

/**
 * A deterministic repair a rewriter can apply on a model's behalf: a named code-to-code
 * transform (e.g. `retry`, `timeout`, `fallback`, `memoise` in `@toolwright/rewriter`). A
 * model that cannot write source — or need not — names transforms instead.
 */
export interface RepairTransform {
  /** The name the answer uses, e.g. `retry`. */
  readonly name: string;
  /** What it does to the source, in one sentence. */
  readonly description: string;
}

/**
 * A rewrite request as data, for models that cannot read prose (the offline model). A
 * rewriter sends it on `GenerateRequest.repair` beside the same facts in `messages`;
 * providers for language models ignore it.
 *
 * The answer may be a new source, or — when `transforms` is not empty — a
 * {@link TransformRepairAnswer} naming some of them, which the rewriter applies.
 */
export interface RepairContext {
  /** The version to repair. */
  readonly tool: {
    readonly name: string;
    readonly version: number;
    readonly language: ToolLanguage;
    readonly capabilities: readonly Capability[];
  };
  readonly diagnosis: Diagnosis;
  /** The most recent errors of the version (sandbox code and message). */
  readonly recentErrors: readonly { readonly code: string; readonly message: string }[];
  /** The transforms that apply to this source; a transform answer may name only these. */
  readonly transforms: readonly RepairTransform[];
}

/** The answer that names transforms instead of writing source. */
export interface TransformRepairAnswer {
  /** Names from {@link RepairContext.transforms}, at least one. */
  readonly transforms: readonly string[];
  /** Why these, in one or two sentences. */
  readonly reason: string;
}

/** An error from a tool's evidence: a sandbox code (`TIMEOUT`, `THROWN`, ...) and its message. */
export interface EvidenceError {
  readonly code: string;
  readonly message: string;
}

// The sandbox's own fetch capability says "no response within N ms" when a request outlives its
// deadline, and "the run ended before the response arrived" when the run's deadline cut it off.
const SANDBOX_FETCH_TIMEOUT = 'no response within \\d+ ?ms|the run ended before the response arrived';
const TRANSIENT_MESSAGE = new RegExp(
  `\\b(?:429|5\\d\\d)\\b|too many requests|rate.?limit|timed? ?out|timeout|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|EPIPE|socket hang up|network|fetch failed|service unavailable|bad gateway|overloaded|${SANDBOX_FETCH_TIMEOUT}`,
  'i',
);
const TIMEOUT_MESSAGE = new RegExp(`timed? ?out|timeout|ETIMEDOUT|${SANDBOX_FETCH_TIMEOUT}`, 'i');

/**
 * A failure another attempt may not meet: a timeout, a 429, a 5xx, a network error.
 *
 * @example
 * ```ts
 * isTransientError({ code: 'THROWN', message: 'HTTP 429 Too Many Requests' }); // true
 * ```
 */
export function isTransientError(error: EvidenceError): boolean {
  return error.code === 'TIMEOUT' || TRANSIENT_MESSAGE.test(error.message);
}

/** A failure caused by waiting too long (the sandbox's `TIMEOUT`, or a message that says so). */
export function isTimeoutError(error: EvidenceError): boolean {
  return error.code === 'TIMEOUT' || TIMEOUT_MESSAGE.test(error.message);
}

/**
 * Which kinds of problem a diagnosis names: failures (failure rate, wrong outputs, a success
 * regression against the baseline) and latency (latency, inconsistent durations, a latency
 * regression against the baseline).
 */
export function diagnosedProblems(diagnosis: Pick<Diagnosis, 'reasons'>): { readonly failures: boolean; readonly latency: boolean } {
  let failures = false;
  let latency = false;
  for (const reason of diagnosis.reasons) {
    if (reason.kind === 'failure-rate' || reason.kind === 'wrong-output') failures = true;
    if (reason.kind === 'latency' || reason.kind === 'inconsistency') latency = true;
    if (reason.kind === 'regression-vs-baseline') {
      if (/latency|duration/i.test(reason.metric ?? reason.message)) latency = true;
      else failures = true;
    }
  }
  return { failures, latency };
}
