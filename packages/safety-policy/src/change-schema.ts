import {
  artifactNameSchema,
  artifactVersionSchema,
  capabilitySchema,
  MAX_SOURCE_LENGTH,
  toolManifestSchema,
  toolNameSchema,
  type ArtifactVersion,
  type Change,
  type Diagnosis,
  type Verdict,
} from '@toolwright/core';
import { z } from 'zod';

const originSchema = z.enum(['agent', 'person']);
const versionNumberSchema = z.number().int().min(1);
const sourceSchema = z.string().min(1, 'the source is empty').max(MAX_SOURCE_LENGTH);

/** zod schema of core's `Change`, used at the policy's boundary. */
export const changeSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('create-tool'), origin: originSchema, name: toolNameSchema, spec: toolManifestSchema, source: sourceSchema }).strict(),
    z
      .object({
        kind: z.literal('rewrite-tool'),
        origin: originSchema,
        name: toolNameSchema,
        fromVersion: versionNumberSchema,
        spec: toolManifestSchema,
        source: sourceSchema,
      })
      .strict(),
    z
      .object({
        kind: z.literal('change-prompt-section'),
        origin: originSchema,
        name: artifactNameSchema,
        fromVersion: versionNumberSchema.optional(),
        text: z.string().max(MAX_SOURCE_LENGTH),
      })
      .strict(),
    z
      .object({
        kind: z.literal('add-learned-rule'),
        origin: originSchema,
        name: artifactNameSchema,
        text: z
          .string()
          .max(4000)
          .refine((text) => text.trim().length > 0, 'a learned rule has text'),
      })
      .strict(),
    z.object({ kind: z.literal('grant-capability'), origin: originSchema, capability: capabilitySchema }).strict(),
    z.object({ kind: z.literal('pin'), origin: originSchema, name: artifactNameSchema }).strict(),
    z.object({ kind: z.literal('unpin'), origin: originSchema, name: artifactNameSchema }).strict(),
    z
      .object({
        kind: z.literal('rollback'),
        origin: originSchema,
        name: artifactNameSchema,
        fromVersion: versionNumberSchema,
        toVersion: versionNumberSchema,
      })
      .strict(),
  ])
  .superRefine((change, ctx) => {
    if ((change.kind === 'create-tool' || change.kind === 'rewrite-tool') && change.spec.name !== change.name) {
      ctx.addIssue({ code: 'custom', message: `spec.name "${change.spec.name}" differs from the change's name "${change.name}"`, path: ['spec', 'name'] });
    }
  });

const caseRunSchema = z.looseObject({ pass: z.boolean(), durationMs: z.number().nonnegative() });

/** The parts of a `Verdict` the rules read; the rest passes through untouched. */
const verdictShapeSchema = z.looseObject({
  tool: z.string(),
  decision: z.enum(['promote', 'reject']),
  cases: z.array(
    z.looseObject({
      caseId: z.string(),
      candidate: caseRunSchema,
      baseline: caseRunSchema.optional(),
      regressed: z.boolean(),
      outputDiff: z.string().optional(),
    }),
  ),
  totals: z.looseObject({ regressions: z.number().int().nonnegative() }),
  shadow: z
    .looseObject({ runs: z.number(), agreement: z.number().min(0).max(1), candidateP50Ms: z.number(), baselineP50Ms: z.number() })
    .optional(),
});

/** The parts of a `Diagnosis` the rules read. */
const diagnosisShapeSchema = z.looseObject({ tool: z.string(), score: z.number().min(0).max(1) });

/** zod schema of core's `PolicyContext`. */
export const policyContextSchema = z
  .object({
    now: z.number().int().nonnegative().optional(),
    current: artifactVersionSchema.optional(),
    diagnosis: diagnosisShapeSchema.optional(),
    verdict: verdictShapeSchema.optional(),
  })
  .strict();

/** A validated review input. */
export interface ReviewInput {
  readonly change: Change;
  readonly now: number;
  readonly current: ArtifactVersion | undefined;
  readonly diagnosis: Diagnosis | undefined;
  readonly verdict: Verdict | undefined;
}
