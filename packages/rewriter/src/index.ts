/**
 * `@toolwright/rewriter`: proposes candidate versions of a degrading tool — with any
 * `LanguageModel` (structured output, checked, with refusals fed back), or with deterministic
 * code transforms (timeout, retry with backoff and jitter, fallback origin, memoisation)
 * written as readable source.
 *
 * @packageDocumentation
 */
export { createModelRewriter, modelRewriteAnswerSchema, modelRewriterOptionsSchema, modelTransformAnswerSchema } from './model-rewriter.js';
export type { ModelRewriteAnswer, ModelRewriterOptions, ModelTransformAnswer, RefusedAttempt } from './model-rewriter.js';
export { TRANSFORM_NAMES, createTransformRewriter, transformRewriterOptionsSchema } from './transform-rewriter.js';
export type { TransformName, TransformRewriterOptions } from './transform-rewriter.js';
export type { Candidate, RewriteEvidence, RewriteRequest, Rewriter } from '@toolwright/core';
