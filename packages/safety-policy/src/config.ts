import { artifactNameSchema, capabilitySchema, MAX_SOURCE_LENGTH, sha256, type Memory } from '@toolwright/core';
import { z } from 'zod';
import { isPolicyDatabase, type PolicyDatabase } from './database.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Where decisions and approval outcomes are written: any `Memory` (from `@toolwright/memory`) fits. */
export type PolicyAuditSink = Pick<Memory, 'audit'>;

/** How a risk rule answers: let the change happen, ask a person, or refuse it. */
const approvalModeSchema = z.enum(['allow', 'needs-approval', 'deny']);

/** An immutable prompt section, declared by the integrator. */
const immutableSectionSchema = z
  .object({
    name: artifactNameSchema,
    text: z.string().min(1, 'an immutable section has text').max(MAX_SOURCE_LENGTH),
    /** Optional SHA-256 (hex) of `text`, to pin the declaration itself; a mismatch is a configuration error. */
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'a hash is 64 lowercase hex digits')
      .optional(),
  })
  .strict()
  .refine((section) => section.hash === undefined || section.hash === sha256(section.text), {
    message: 'the declared hash is not the SHA-256 of the declared text: the declaration itself was altered',
    path: ['hash'],
  });

/**
 * A phrase or property every evolved prompt section must keep (a disclaimer, a confirmation
 * before destructive actions): `text` (compared by its skeleton — case, spacing and look-alikes
 * do not matter) or `pattern` (a regular expression, case-insensitive). `appliesTo` names the
 * sections that must contain it (exact names, or a prefix ending in `*`); without it, the phrase
 * must stay in every section whose current text contains it. See the `protected-phrases` rule.
 */
const protectedPhraseSchema = z
  .object({
    id: z.string().trim().min(1, 'a protected phrase has an id').max(100),
    text: z.string().trim().min(1, 'a protected phrase text is not empty').max(1000).optional(),
    pattern: z
      .string()
      .min(1)
      .max(1000)
      .refine((pattern) => {
        try {
          new RegExp(pattern, 'iu');
          return true;
        } catch {
          return false;
        }
      }, 'pattern is not a valid regular expression (it is compiled with the flags "iu")')
      .optional(),
    appliesTo: z.array(z.string().trim().min(1).max(200)).min(1).optional(),
  })
  .strict()
  .refine((phrase) => (phrase.text === undefined) !== (phrase.pattern === undefined), {
    message: 'a protected phrase has exactly one of text or pattern',
    path: ['text'],
  });

/** A protected phrase with its id; see the `protected-phrases` rule. */
export type ProtectedPhrase = z.output<typeof protectedPhraseSchema>;

/**
 * The policy's configuration. Every rule has a safe default; `database` is the only required field.
 * See the package README for what each option does.
 */
export const policyConfigSchema = z
  .object({
    /** Where the kill switch, the approval queue and the ledger of changes live. */
    database: z.custom<PolicyDatabase>(isPolicyDatabase, {
      message: 'database must be a handle { dialect: "sqlite" | "postgres", kysely } (e.g. from openDatabase in @toolwright/memory)',
    }),
    /** Receives every decision and approval outcome. Strongly recommended. */
    audit: z
      .custom<PolicyAuditSink>((value) => typeof value === 'object' && value !== null && typeof (value as { audit?: unknown }).audit === 'function', {
        message: 'audit must have an audit(entry) method (a Memory from @toolwright/memory fits)',
      })
      .optional(),
    /** Epoch-ms clock for reviews without `context.now` and for approvals; defaults to `Date.now`. */
    clock: z.custom<() => number>((value) => typeof value === 'function', { message: 'clock must be a function returning epoch ms' }).optional(),
    /** Prompt sections no change may touch. Verified by SHA-256 at load (`verifySections`). */
    immutableSections: z
      .array(immutableSectionSchema)
      .default([])
      .refine((sections) => new Set(sections.map((section) => section.name)).size === sections.length, {
        message: 'immutable section names must be unique',
      }),
    /** Phrases every evolved prompt section must keep; a change that drops or weakens one is denied. */
    protectedPhrases: z
      .array(protectedPhraseSchema)
      .max(100)
      .default([])
      .refine((phrases) => new Set(phrases.map((phrase) => phrase.id)).size === phrases.length, {
        message: 'protected phrase ids must be unique',
      }),
    /** What a failed `verifySections` does besides reporting: engage the kill switch (default), or only report. */
    sectionTamper: z.enum(['engage-kill-switch', 'report']).default('engage-kill-switch'),
    killSwitch: z
      .object({
        /** When on (default), the engaged kill switch also refuses changes a person proposes. */
        appliesToPersons: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    learnedRules: z
      .object({
        /**
         * At most this many active learned rules (the registry's, when the caller passes
         * `context.inForce`); adding one more retires the oldest — for an agent's rule, the oldest
         * agent-authored one (a person's rule is never retired by the agent's) — by a recorded change.
         */
        max: z.number().int().min(1).default(50),
        /** How much two clauses must share to count as the same instruction (see README, "contradiction heuristic"). */
        contradictionThreshold: z.number().min(0.1).max(1).default(0.5),
      })
      .strict()
      .prefault({}),
    evolution: z
      .object({
        /** Most tools the agent may create (counted from the ledger, all origins). */
        maxTools: z.number().int().min(0).default(50),
        /** Most rewrites of one tool the agent may make in a sliding window. */
        rewritesPerTool: z
          .object({ max: z.number().int().min(0).default(3), windowMs: z.number().int().min(1).default(DAY) })
          .strict()
          .prefault({}),
        /** Most changes the agent may make in any sliding hour. */
        changesPerHour: z.number().int().min(0).default(20),
        /** Most requests waiting for a person; past it, changes that need approval are refused. */
        maxPendingApprovals: z.number().int().min(1).default(20),
      })
      .strict()
      .prefault({}),
    capabilities: z
      .object({
        /** What tools may request at all (e.g. fetch to listed origins). Default: nothing. */
        envelope: z.array(capabilitySchema).default([]),
        /** Scan tool sources for network calls and URL literals the declared capabilities do not cover. */
        scanSource: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    approval: z
      .object({
        /** A tool (new or rewritten) that requests `fetch`. */
        network: approvalModeSchema.default('needs-approval'),
        /** A tool change reviewed without a regression verdict. */
        untestedTool: z.enum(['needs-approval', 'deny']).default('needs-approval'),
        /** Changing or rolling back a (non-immutable) prompt section. */
        promptChange: approvalModeSchema.default('needs-approval'),
        /**
         * The agent adding a learned rule. A person by default: the text checks that run first
         * (contradictions, revocations, look-alikes) are heuristics, and rewordings pass them.
         */
        learnedRule: approvalModeSchema.default('needs-approval'),
        /** The agent asking to widen the capability envelope: never automatic. */
        agentGrant: z.enum(['deny', 'needs-approval']).default('deny'),
        /** The agent rolling a tool back to an earlier version. */
        rollback: approvalModeSchema.default('allow'),
        /** The agent pinning or unpinning an artifact that is not pinned. */
        pin: approvalModeSchema.default('allow'),
      })
      .strict()
      .prefault({}),
    approvals: z
      .object({
        /**
         * Who may approve or reject a queued change. When set, only these ids; always refused:
         * `agent`, `system`, `policy`, `safety-policy` and the person who proposed the change.
         */
        approvers: z.array(z.string().trim().min(1).max(200)).min(1).optional(),
      })
      .strict()
      .prefault({}),
    trajectory: z
      .object({
        /** Freeze a tool after this many rewrites in a row without measured improvement. */
        freezeAfter: z.number().int().min(1).default(3),
        /** The diagnosis score gain (0..1) that counts as an improvement. */
        minImprovement: z.number().min(0).max(1).default(0.05),
        /** Deny candidates whose outputs differ from golden outputs while they get faster. */
        metricGaming: z.boolean().default(true),
        acceleration: z
          .object({
            /** Length of one window. */
            windowMs: z.number().int().min(1).default(10 * MINUTE),
            /** How many earlier windows make the baseline rate. */
            lookbackWindows: z.number().int().min(1).default(6),
            /**
             * Acceleration is judged only once at least this many of the lookback windows held a
             * change of the same kind: a young agent has no rate to accelerate from (its bursts are
             * bounded by `evolution` instead). 0 judges from the first change.
             */
            minActiveWindows: z.number().int().min(0).default(3),
            /** Throttle when the current window's count exceeds this multiple of the baseline average... */
            factor: z.number().min(1).default(3),
            /** ...and reaches at least this many changes (counting rewrites and every other change but new tools). */
            minChanges: z.number().int().min(1).default(6),
            /** New tools (a create-tool of a name never created) are counted apart, with their own thresholds. */
            newTools: z
              .object({
                factor: z.number().min(1).default(3),
                minChanges: z.number().int().min(1).default(12),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** What `createPolicy` accepts; everything but `database` is optional. */
export type PolicyConfig = z.input<typeof policyConfigSchema>;
/** The configuration with every default filled in. */
export type ResolvedPolicyConfig = z.output<typeof policyConfigSchema>;
