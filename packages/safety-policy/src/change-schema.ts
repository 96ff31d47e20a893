import {
  artifactNameSchema,
  artifactVersionSchema,
  authorSchema,
  capabilitySchema,
  MAX_SOURCE_LENGTH,
  toolManifestSchema,
  toolNameSchema,
  type ArtifactVersion,
  type Author,
  type Change,
  type Diagnosis,
  type Verdict,
} from '@toolwright/core';
import { z } from 'zod';

const originSchema = z.enum(['agent', 'person']);
const versionNumberSchema = z.number().int().min(1);
const sourceSchema = z.string().min(1, 'the source is empty').max(MAX_SOURCE_LENGTH);
const shareSchema = z.number().min(0, 'a share is between 0 and 1').max(1, 'a share is between 0 and 1');
const experimentIdSchema = z.string().trim().min(1, 'an experiment id is not empty').max(200);

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
    z
      .object({
        kind: z.literal('widen-rollout'),
        origin: originSchema,
        name: artifactNameSchema,
        experimentId: experimentIdSchema,
        version: versionNumberSchema,
        baselineVersion: versionNumberSchema,
        fromShare: shareSchema,
        toShare: shareSchema,
      })
      .strict(),
    z
      .object({
        kind: z.literal('promote-version'),
        origin: originSchema,
        name: artifactNameSchema,
        fromVersion: versionNumberSchema,
        toVersion: versionNumberSchema,
        experimentId: experimentIdSchema.optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('import-bundle'),
        origin: originSchema,
        bundleHash: z.string().regex(/^[0-9a-f]{64}$/, 'a bundle hash is 64 lowercase hex digits'),
        names: z.array(artifactNameSchema).max(10_000),
      })
      .strict(),
  ])
  .superRefine((change, ctx) => {
    if ((change.kind === 'create-tool' || change.kind === 'rewrite-tool') && change.spec.name !== change.name) {
      ctx.addIssue({ code: 'custom', message: `spec.name "${change.spec.name}" differs from the change's name "${change.name}"`, path: ['spec', 'name'] });
    }
    if (change.kind === 'widen-rollout') {
      if (change.toShare <= change.fromShare) {
        ctx.addIssue({ code: 'custom', message: `toShare (${change.toShare}) must be larger than fromShare (${change.fromShare}): widening gives the candidate more calls`, path: ['toShare'] });
      }
      if (change.version === change.baselineVersion) {
        ctx.addIssue({ code: 'custom', message: `version and baselineVersion are both ${change.version}: a rollout splits calls between two versions`, path: ['baselineVersion'] });
      }
    }
    if (change.kind === 'promote-version' && change.fromVersion === change.toVersion) {
      ctx.addIssue({ code: 'custom', message: `fromVersion and toVersion are both ${change.toVersion}: that version is already active`, path: ['toVersion'] });
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
    candidate: artifactVersionSchema.optional(),
    target: artifactVersionSchema.optional(),
    inForce: z
      .object({
        learnedRules: z.array(z.object({ name: artifactNameSchema, author: authorSchema, since: z.number().int().nonnegative() }).strict()).max(100_000),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A validated review input. */
export interface ReviewInput {
  readonly change: Change;
  readonly now: number;
  readonly current: ArtifactVersion | undefined;
  readonly diagnosis: Diagnosis | undefined;
  readonly verdict: Verdict | undefined;
  /** The registered version the change would make active. */
  readonly candidate: ArtifactVersion | undefined;
  /** For a `rollback`: the registered version it would put back in force (`toVersion`), when the caller read it. */
  readonly target?: ArtifactVersion | undefined;
  /** A dry run before testing: judge a tool change without a verdict as it will be once its cases pass. */
  readonly assumeTested?: boolean;
  /** The registry's active learned rules, oldest first, when the caller read them. */
  readonly inForce: { readonly learnedRules: readonly { readonly name: string; readonly author: Author; readonly since: number }[] } | undefined;
}
