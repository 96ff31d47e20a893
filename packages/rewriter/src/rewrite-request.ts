import {
  type ArtifactVersion,
  type Diagnosis,
  type RegressionCase,
  type RewriteRequest,
  type ToolManifest,
  ValidationError,
  artifactVersionSchema,
  canonicalJson,
  jsonValueSchema,
  parseOrThrow,
} from '@toolwright/core';
import { z } from 'zod';

const diagnosisSchema = z.custom<Diagnosis>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)['needsRewrite'] === 'boolean' &&
    typeof (value as Record<string, unknown>)['score'] === 'number' &&
    Array.isArray((value as Record<string, unknown>)['reasons']),
  { message: 'a Diagnosis (score, needsRewrite, reasons, ...) from an Evaluator' },
);

const caseSchema = z.custom<RegressionCase>(
  (value) => typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)['id'] === 'string' && typeof (value as Record<string, unknown>)['heldOut'] === 'boolean',
  { message: 'a RegressionCase' },
);

const rewriteRequestSchema = z
  .object({
    artifact: artifactVersionSchema,
    diagnosis: diagnosisSchema,
    evidence: z
      .object({
        recentErrors: z.array(z.object({ code: z.string().max(200), message: z.string().max(20_000) })).max(10_000),
        failingInputs: z.array(jsonValueSchema).max(10_000),
        cases: z.array(caseSchema).max(100_000),
      })
      .strict(),
    signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal, { message: 'an AbortSignal' }).optional(),
  })
  .strict();

/** A validated rewrite request: a tool version with its spec, and only the visible cases. */
export interface CheckedRewriteRequest {
  readonly artifact: ArtifactVersion & { readonly spec: ToolManifest };
  readonly diagnosis: Diagnosis;
  readonly evidence: {
    readonly recentErrors: readonly { readonly code: string; readonly message: string }[];
    readonly failingInputs: readonly z.output<typeof jsonValueSchema>[];
    /** Held-out cases are dropped here, whatever the caller passed: no rewriter ever sees one. */
    readonly cases: readonly RegressionCase[];
  };
  readonly signal: AbortSignal | undefined;
}

/**
 * Validates a {@link RewriteRequest} at the boundary and drops any held-out case from the
 * evidence — and any failing input that is a held-out case's input — whatever the caller passed.
 */
export function checkRewriteRequest(request: RewriteRequest): CheckedRewriteRequest {
  const parsed = parseOrThrow(rewriteRequestSchema, request, 'rewrite request');
  const { artifact } = parsed;
  if (artifact.kind !== 'tool' || artifact.spec === undefined) {
    throw new ValidationError('INVALID_ARGUMENT', `"${artifact.name}" v${artifact.version} is a ${artifact.kind}; the rewriter rewrites tools only.`);
  }
  const heldOutInputs = new Set(parsed.evidence.cases.filter((entry) => entry.heldOut).map((entry) => canonicalJson(entry.input)));
  return {
    artifact: artifact as ArtifactVersion & { spec: ToolManifest },
    diagnosis: parsed.diagnosis,
    evidence: {
      recentErrors: parsed.evidence.recentErrors,
      failingInputs: parsed.evidence.failingInputs.filter((input) => !heldOutInputs.has(canonicalJson(input))),
      cases: parsed.evidence.cases.filter((entry) => !entry.heldOut),
    },
    signal: parsed.signal,
  };
}
