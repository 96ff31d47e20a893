import type { ArtifactVersion } from './artifact.js';
import type { Candidate } from './candidate.js';
import type { Diagnosis } from './evaluator.js';
import type { JsonValue } from './json.js';
import type { RegressionCase } from './regression.js';

/** What motivated a rewrite: the evidence a rewriter may see. Held-out cases are never here. */
export interface RewriteEvidence {
  readonly recentErrors: readonly { readonly code: string; readonly message: string }[];
  /** Inputs on which the current version failed. */
  readonly failingInputs: readonly JsonValue[];
  /** The visible regression cases. */
  readonly cases: readonly RegressionCase[];
}

/** What `propose` needs. */
export interface RewriteRequest {
  /** The version to improve (a tool version). */
  readonly artifact: ArtifactVersion;
  readonly diagnosis: Diagnosis;
  readonly evidence: RewriteEvidence;
  readonly signal?: AbortSignal;
}

/**
 * Proposes candidate versions: with a model, or by deterministic code transforms.
 * A rewriter proposes; it never registers or promotes anything.
 *
 * @example
 * ```ts
 * const candidates = await rewriter.propose({ artifact: active, diagnosis, evidence });
 * for (const candidate of candidates) console.log(candidate.author, candidate.reason);
 * ```
 */
export interface Rewriter {
  propose(request: RewriteRequest): Promise<Candidate[]>;
}

export type { Candidate } from './candidate.js';
