import {
  type CaseExpectation,
  type JsonValue,
  type RegressionCase,
  jsonObjectSchema,
  jsonValueSchema,
  toolManifestSchema,
  toolNameSchema,
} from '@toolwright/core';
import { z } from 'zod';

/** What a case asserts: at least one of a golden output, a JSON Schema, a latency maximum. */
export const caseExpectationSchema = z
  .object({
    output: jsonValueSchema.optional(),
    tolerance: z.number().finite().nonnegative().optional(),
    relativeTolerance: z.number().nonnegative().max(1).optional(),
    schema: jsonObjectSchema.optional(),
    maxLatencyMs: z.number().finite().positive().optional(),
  })
  .strict()
  .refine((expect) => expect.output !== undefined || expect.schema !== undefined || expect.maxLatencyMs !== undefined, {
    message: 'a case asserts at least one of: output (a golden value), schema (a JSON Schema), maxLatencyMs',
  });

/** A regression case, as `compare` receives it. */
export const regressionCaseSchema = z
  .object({
    id: z.string().min(1).max(200),
    tool: toolNameSchema,
    input: jsonValueSchema,
    expect: caseExpectationSchema,
    origin: z.enum(['example', 'explicit', 'captured']),
    heldOut: z.boolean(),
  })
  .strict();

/** What {@link RegressionSuite.addCase} takes: a case a person (or the integrator) writes. */
export const explicitCaseInputSchema = z
  .object({
    tool: toolNameSchema,
    input: jsonValueSchema,
    expect: caseExpectationSchema,
    /** Keep this case from every rewriter. Default `false`. */
    heldOut: z.boolean().default(false),
  })
  .strict();

/** What {@link RegressionSuite.capture} takes: one live call and how it ended (a sandbox `RunResult` fits). */
export const captureInputSchema = z
  .object({
    tool: toolNameSchema,
    /** The active version that produced the output; kept with the case. */
    version: z.number().int().min(1).optional(),
    input: jsonValueSchema,
    result: z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), value: jsonValueSchema }),
      z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
    ]),
  })
  .strict();

/** The parts of a `Candidate` the runner uses (other fields pass through unchecked). */
export const candidateShapeSchema = z.object({
  name: toolNameSchema,
  parent: z.number().int().min(1),
  source: z.string().min(1),
  spec: toolManifestSchema,
});

/** See {@link explicitCaseInputSchema}. */
export type ExplicitCaseInput = z.input<typeof explicitCaseInputSchema>;
/** See {@link captureInputSchema}. */
export type CaptureInput = z.input<typeof captureInputSchema>;

/** The outcome of {@link RegressionSuite.capture}. */
export type CaptureOutcome =
  | { readonly captured: true; readonly case: RegressionCase }
  | {
      readonly captured: false;
      /** `failed-call`: only successful calls become cases; `duplicate`: a case with this input exists; `cap-reached`: the tool has `captureLimit` captured cases. */
      readonly reason: 'failed-call' | 'duplicate' | 'cap-reached';
    };

/** Drops `undefined` fields so a parsed expectation is a clean `CaseExpectation`. */
export function cleanExpectation(expect: z.output<typeof caseExpectationSchema>): CaseExpectation {
  const clean: { output?: JsonValue; tolerance?: number; relativeTolerance?: number; schema?: z.output<typeof jsonObjectSchema>; maxLatencyMs?: number } = {};
  if (expect.output !== undefined) clean.output = expect.output;
  if (expect.tolerance !== undefined) clean.tolerance = expect.tolerance;
  if (expect.relativeTolerance !== undefined) clean.relativeTolerance = expect.relativeTolerance;
  if (expect.schema !== undefined) clean.schema = expect.schema;
  if (expect.maxLatencyMs !== undefined) clean.maxLatencyMs = expect.maxLatencyMs;
  return clean;
}
