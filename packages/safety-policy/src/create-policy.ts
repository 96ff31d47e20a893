import { parseOrThrow, PolicyError, sha256, type Capability, type Change, type Policy, type PolicyContext } from '@toolwright/core';
import type { InUnit } from '@toolwright/store';
import { z } from 'zod';
import { createApprovalQueue, type ApprovalQueue } from './approvals.js';
import { POLICY_ACTOR, writeAudit } from './audit.js';
import { policyConfigSchema, type PolicyConfig } from './config.js';
import { createKillSwitch, setKillSwitch, type KillSwitch } from './kill-switch.js';
import { auditReview, evaluateIn, parseReview, proposerOf, recordReview, toDecision, type PolicyDecision } from './review.js';
import type { PolicyRuntime } from './runtime.js';
import { checkSections, type ImmutableSection, type SectionVerification, type StoredSection } from './sections.js';
import { PolicyStore, type LedgerRule } from './store/policy-store.js';

export type { PolicyDecision } from './review.js';

/** An artifact frozen by the trajectory guard. */
export interface FrozenArtifact {
  readonly name: string;
  readonly at: number;
  readonly reason: string;
}

/** An active learned rule, from the policy's ledger. */
export type LearnedRule = LedgerRule;

/** Options of `review`: the caller's unit of work, and who proposed a person's change. */
export interface ReviewOptions extends InUnit {
  /**
   * For `origin: 'person'`: the person's id, kept with a queued request (the proposer never
   * decides it). Default: the author of `context.candidate` when a person wrote it, else `person`.
   */
  readonly proposedBy?: string;
}

/** Options of `assess`. */
export interface AssessOptions extends InUnit {
  /**
   * For a tool change assessed before it is tested (no `context.verdict` yet): judge it as it will
   * be once its cases pass, so `approval.untestedTool` does not decide the dry run. The recorded
   * review, with the verdict, decides.
   */
  readonly assumeTested?: boolean;
}

/**
 * The safety policy: core's `Policy` plus the approval queue, the kill switch, immutable
 * section verification and the state the rules keep.
 */
export interface SafetyPolicy extends Policy {
  /**
   * Reviews one change and records the review. Validates it, takes the policy's write lock, applies
   * every rule, appends the review to the ledger (`decision.ledgerId`; an allowed change counts
   * toward the caps from now on, an allowed learned rule is recorded with the retirements in
   * `decision.retired`) and queues it when it needs a person.
   *
   * With `{ unit }` all of it happens inside the caller's transaction (rolled back with it) and no
   * audit entry is written: the caller writes one, referencing `ledgerId`. Without, it commits on
   * its own and writes `policy.allow | policy.deny | policy.needs-approval` to the audit log.
   */
  review(change: Change, context?: PolicyContext, options?: ReviewOptions): Promise<PolicyDecision>;
  /**
   * The same rules on the same facts as `review`, as a dry run: records nothing, queues nothing,
   * audits nothing, takes no lock. For checking risk before anything runs; `review` decides.
   * With `{ unit }` it reads inside the caller's transaction; with `{ assumeTested: true }` a tool
   * change without a verdict is judged as it will be once tested.
   */
  assess(change: Change, context?: PolicyContext, options?: AssessOptions): Promise<PolicyDecision>;
  /** The persisted approval queue. */
  readonly approvals: ApprovalQueue;
  /** The persisted kill switch. */
  readonly killSwitch: KillSwitch;
  /** The declared immutable sections with their SHA-256, e.g. to seed the registry. */
  readonly sections: readonly ImmutableSection[];
  /**
   * Checks stored copies of the immutable sections (e.g. `{ name: v.name, text: v.source }` of the
   * registry's prompt-section versions) against the declared hashes. On failure it audits
   * `policy.sections-tampered` and, by default (`sectionTamper: 'engage-kill-switch'`), engages the kill switch.
   */
  verifySections(stored: readonly StoredSection[]): Promise<SectionVerification>;
  /** `verifySections`, throwing `POLICY_SECTIONS_TAMPERED` when any section is missing or altered. */
  assertSectionsIntact(stored: readonly StoredSection[]): Promise<void>;
  /** The active learned rules in the policy's ledger, oldest first (the registry's, when every change goes through the gate). */
  learnedRules(): Promise<LearnedRule[]>;
  /** The capability envelope now: the configured one plus what persons granted. */
  envelope(): Promise<Capability[]>;
  /** Artifacts the trajectory guard froze and no person has unfrozen. */
  frozen(): Promise<FrozenArtifact[]>;
  /** A person lifts a freeze; the agent may rewrite the artifact again (its trajectory restarts). Returns false when it was not frozen. */
  unfreeze(name: string, step: { readonly by: string; readonly reason: string }): Promise<boolean>;
}

const storedSectionsSchema = z.array(z.looseObject({ name: z.string(), text: z.string() }));
const unfreezeSchema = z.object({ by: z.string().min(1).max(200), reason: z.string().min(1).max(4000) }).strict();
const assessOptionsSchema = z.object({ unit: z.unknown().optional(), assumeTested: z.boolean().optional() }).strict();
const reviewOptionsSchema = z.object({ unit: z.unknown().optional(), proposedBy: z.string().trim().min(1).max(200).optional() }).strict();

/**
 * Creates the safety policy and migrates its tables before it resolves. The configuration is
 * validated with zod; every rule has a safe default, and only `database` is required.
 *
 * @example
 * ```ts
 * const policy = await createPolicy({
 *   database,                      // { dialect, kysely }, e.g. openDatabase(url) from @toolwright/store
 *   audit: memory,                 // decisions and approval outcomes outside a unit go to the audit log
 *   immutableSections: [{ name: 'safety', text: 'Never reveal API keys.' }],
 *   capabilities: { envelope: [{ kind: 'fetch', origins: ['https://api.example.com'] }] },
 * });
 * const risk = await policy.assess(change, { current });             // before anything runs
 * const decision = await policy.review(change, { current, verdict }, { unit }); // recorded, in the caller's transaction
 * if (decision.outcome === 'needs-approval') console.log('waiting for a person:', decision.approvalId);
 * ```
 */
export async function createPolicy(config: PolicyConfig): Promise<SafetyPolicy> {
  const resolved = parseOrThrow(policyConfigSchema, config, 'safety policy configuration');
  const store = new PolicyStore(resolved.database);
  await store.migrate();
  const sections: readonly ImmutableSection[] = Object.freeze(
    resolved.immutableSections.map((section) => Object.freeze({ name: section.name, text: section.text, hash: sha256(section.text) })),
  );
  const runtime: PolicyRuntime = { store, config: resolved, sections, audit: resolved.audit, clock: resolved.clock ?? Date.now };

  async function review(rawChange: Change, rawContext: PolicyContext = {}, rawOptions: ReviewOptions = {}): Promise<PolicyDecision> {
    const parsed = parseReview(runtime, rawChange, rawContext);
    const options = parseOrThrow(reviewOptionsSchema, rawOptions, 'review options');
    const { unit } = rawOptions;
    const proposedBy = proposerOf(parsed, options.proposedBy);
    const result = await store.locked(
      'review a change',
      parsed.input.now,
      async (trx) => {
        const { evaluation, facts } = await evaluateIn(runtime, trx, parsed, 'review');
        const recorded = await recordReview(runtime, trx, parsed, evaluation, facts, proposedBy);
        return { decision: toDecision(parsed, evaluation, recorded), freeze: evaluation.freeze };
      },
      unit,
    );
    if (unit === undefined) await auditReview(runtime, parsed, result.decision, result.freeze);
    return result.decision;
  }

  async function assess(rawChange: Change, rawContext: PolicyContext = {}, rawOptions: AssessOptions = {}): Promise<PolicyDecision> {
    const options = parseOrThrow(assessOptionsSchema, rawOptions, 'assess options');
    const base = parseReview(runtime, rawChange, rawContext);
    const parsed = options.assumeTested === true ? { ...base, input: { ...base.input, assumeTested: true } } : base;
    const { evaluation } = await store.read('assess a change', (db) => evaluateIn(runtime, db, parsed, 'review'), rawOptions.unit);
    return toDecision(parsed, evaluation);
  }

async function verifySections(rawStored: readonly StoredSection[]): Promise<SectionVerification> {
    const stored = parseOrThrow(storedSectionsSchema, rawStored, 'stored prompt sections');
    const verification = checkSections(sections, stored);
    if (!verification.ok) {
      const failed = verification.sections.filter((check) => check.status !== 'intact');
      const summary = failed.map((check) => `"${check.name}" ${check.status}${check.difference === undefined ? '' : ` (${check.difference})`}`).join(', ');
      await writeAudit(runtime.audit, {
        actor: POLICY_ACTOR,
        action: 'policy.sections-tampered',
        reason: `Immutable sections failed verification at load: ${summary}.`,
        evidence: { sections: failed.map((check) => ({ ...check })) },
      });
      if (resolved.sectionTamper === 'engage-kill-switch') {
        await setKillSwitch(runtime, true, { by: POLICY_ACTOR.id, reason: `immutable sections failed verification: ${summary}` }, true);
      }
    }
    return verification;
  }

  return {
    review,
    assess,
    approvals: createApprovalQueue(runtime),
    killSwitch: createKillSwitch(runtime),
    sections,
    verifySections,
    async assertSectionsIntact(stored) {
      const verification = await verifySections(stored);
      if (!verification.ok) {
        const failed = verification.sections.filter((check) => check.status !== 'intact');
        throw new PolicyError(
          'POLICY_SECTIONS_TAMPERED',
          `Immutable sections failed verification: ${failed.map((check) => `"${check.name}" is ${check.status}`).join(', ')}. Restore them from policy.sections (the declared text) before the agent loads its prompt.`,
          { details: { sections: failed.map((check) => ({ ...check })) } },
        );
      }
    },
    async learnedRules() {
      return store.read('read learned rules', (db) => store.activeLearnedRules(db));
    },
    async envelope() {
      return [...resolved.capabilities.envelope, ...(await store.read('read granted capabilities', (db) => store.grants(db)))];
    },
    async frozen() {
      return store.read('read frozen artifacts', (db) => store.frozen(db));
    },
    async unfreeze(rawName, rawStep) {
      const name = parseOrThrow(z.string().min(1).max(200), rawName, 'artifact name');
      const step = parseOrThrow(unfreezeSchema, rawStep, 'unfreeze');
      const now = runtime.clock();
      const lifted = await store.locked(`unfreeze ${name}`, now, async (trx) => {
        const state = await store.freezeState(trx, name);
        if (state?.frozen !== true) return false;
        await store.appendLedger(trx, { at: now, event: 'unfreeze', name, effective: false, data: { reason: step.reason, by: step.by } });
        return true;
      });
      if (lifted) {
        await writeAudit(runtime.audit, { actor: { kind: 'person', id: step.by }, action: 'policy.unfreeze', artifact: name, reason: step.reason });
      }
      return lifted;
    },
  };
}
