import {
  contentHash,
  parseOrThrow,
  PolicyError,
  sha256,
  ValidationError,
  type Capability,
  type Change,
  type Decision,
  type DecisionReason,
  type Policy,
  type PolicyContext,
} from '@toolwright/core';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createApprovalQueue, type ApprovalEvidence, type ApprovalQueue } from './approvals.js';
import { POLICY_ACTOR, writeAudit } from './audit.js';
import { changeSchema, policyContextSchema, type ReviewInput } from './change-schema.js';
import { policyConfigSchema, type PolicyConfig } from './config.js';
import { gatherFacts } from './facts.js';
import { createKillSwitch, setKillSwitch, type KillSwitch } from './kill-switch.js';
import { evaluate } from './rules/evaluate.js';
import { addLearnedRule, artifactOf, ledgerData, versionsOf, type PolicyRuntime } from './runtime.js';
import { checkSections, type ImmutableSection, type SectionVerification, type StoredSection } from './sections.js';
import { PolicyStore, type LedgerRule } from './store/policy-store.js';
import { lineDiff } from './text/line-diff.js';

/** The policy's answer, with what the integrator needs to act on it. */
export interface PolicyDecision extends Decision {
  /** `contentHash(change)`: the identity of the change in the ledger and the queue. */
  readonly changeHash: string;
  /** With `needs-approval`: the id of the request waiting in `approvals` (the same id for an identical open request). */
  readonly approvalId?: string;
  /** With an allowed `add-learned-rule` past the cap: the learned rules retired to make room, oldest first. */
  readonly retired?: readonly string[];
}

/** An artifact frozen by the trajectory guard. */
export interface FrozenArtifact {
  readonly name: string;
  readonly at: number;
  readonly reason: string;
}

/** An active learned rule, from the policy's ledger. */
export type LearnedRule = LedgerRule;

/**
 * The safety policy: core's `Policy` plus the approval queue, the kill switch, immutable
 * section verification and the state the rules keep.
 */
export interface SafetyPolicy extends Policy {
  /**
   * Reviews one change. Validates it, applies every rule inside one locked transaction, records
   * it in the ledger (an allowed change counts toward the caps from now on), queues it when it
   * needs a person, and writes the decision to the audit log.
   */
  review(change: Change, context?: PolicyContext): Promise<PolicyDecision>;
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
  /** The active learned rules, oldest first. */
  learnedRules(): Promise<LearnedRule[]>;
  /** The capability envelope now: the configured one plus what persons granted. */
  envelope(): Promise<Capability[]>;
  /** Artifacts the trajectory guard froze and no person has unfrozen. */
  frozen(): Promise<FrozenArtifact[]>;
  /** A person lifts a freeze; the agent may rewrite the artifact again (its trajectory restarts). Returns false when it was not frozen. */
  unfreeze(name: string, step: { readonly by: string; readonly reason: string }): Promise<boolean>;
  /** Runs the policy's migrations now (otherwise they run on first use). */
  migrate(): Promise<void>;
}

const storedSectionsSchema = z.array(z.looseObject({ name: z.string(), text: z.string() }));
const unfreezeSchema = z.object({ by: z.string().min(1).max(200), reason: z.string().min(1).max(4000) }).strict();

function evidenceFor(review: ReviewInput): ApprovalEvidence {
  const { change, current } = review;
  let diff: string | undefined;
  if (change.kind === 'create-tool' || change.kind === 'rewrite-tool') {
    const manifest = lineDiff(current?.spec === undefined ? '' : JSON.stringify(current.spec, null, 2), JSON.stringify(change.spec, null, 2));
    diff = `--- manifest\n${manifest}\n--- source\n${lineDiff(current?.source ?? '', change.source)}`;
  } else if (change.kind === 'change-prompt-section' || change.kind === 'add-learned-rule') {
    diff = lineDiff(current?.source ?? '', change.text);
  }
  return {
    ...(review.diagnosis === undefined ? {} : { diagnosis: review.diagnosis }),
    ...(review.verdict === undefined ? {} : { verdict: review.verdict }),
    ...(diff === undefined ? {} : { diff }),
  };
}

/**
 * Creates the safety policy. The configuration is validated with zod; every rule has a safe
 * default, and only `database` is required. Tables are migrated on first use.
 *
 * @example
 * ```ts
 * const policy = createPolicy({
 *   database,                      // { dialect, kysely }, e.g. openDatabase(url) from @toolwright/memory
 *   audit: memory,                 // decisions and approval outcomes go to the audit log
 *   immutableSections: [{ name: 'safety', text: 'Never reveal API keys.' }],
 *   capabilities: { envelope: [{ kind: 'fetch', origins: ['https://api.example.com'] }] },
 * });
 * const decision = await policy.review(change, { current, diagnosis, verdict });
 * if (decision.outcome === 'needs-approval') console.log('waiting for a person:', decision.approvalId);
 * ```
 */
export function createPolicy(config: PolicyConfig): SafetyPolicy {
  const resolved = parseOrThrow(policyConfigSchema, config, 'safety policy configuration');
  const store = new PolicyStore(resolved.database);
  const sections: readonly ImmutableSection[] = Object.freeze(
    resolved.immutableSections.map((section) => Object.freeze({ name: section.name, text: section.text, hash: sha256(section.text) })),
  );
  const runtime: PolicyRuntime = { store, config: resolved, sections, audit: resolved.audit, clock: resolved.clock ?? Date.now };

  async function review(rawChange: Change, rawContext: PolicyContext = {}): Promise<PolicyDecision> {
    const change = parseOrThrow(changeSchema, rawChange, 'policy change') as Change;
    const context = parseOrThrow(policyContextSchema, rawContext, 'policy context');
    if (context.current !== undefined && 'name' in change && context.current.name !== change.name) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Invalid policy context: context.current is a version of "${context.current.name}", but the change is about "${change.name}". Pass the version the change replaces.`,
      );
    }
    const input: ReviewInput = {
      change,
      now: context.now ?? runtime.clock(),
      current: context.current,
      diagnosis: rawContext.diagnosis,
      verdict: rawContext.verdict,
    };
    const changeHash = contentHash(change);
    const name = 'name' in change ? change.name : undefined;
    await store.migrate();
    const result = await store.locked('review a change', input.now, async (trx) => {
      const facts = await gatherFacts(store, trx, input, changeHash, resolved);
      const evaluation = evaluate({ review: input, config: resolved, sections, facts });
      const reasons: DecisionReason[] = [...evaluation.reasons];
      const effective = evaluation.outcome === 'allow';
      await store.appendLedger(trx, {
        at: input.now,
        event: 'review',
        kind: change.kind,
        origin: change.origin,
        ...(name === undefined ? {} : { name }),
        changeHash,
        outcome: evaluation.outcome,
        effective,
        ...(input.diagnosis !== undefined && input.diagnosis.tool === name ? { score: input.diagnosis.score } : {}),
        data: { ...ledgerData(change), reasons: reasons.map((reason) => reason.rule) },
      });
      if (evaluation.freeze && name !== undefined) {
        await store.appendLedger(trx, {
          at: input.now,
          event: 'freeze',
          kind: change.kind,
          name,
          effective: false,
          data: { reason: 'rewritten repeatedly without measured improvement' },
        });
      }
      let approvalId: string | undefined;
      if (evaluation.outcome === 'needs-approval') {
        approvalId = facts.existingProposal;
        if (approvalId === undefined) {
          approvalId = randomUUID();
          await store.insertApproval(trx, { id: approvalId, changeHash, change, evidence: { ...evidenceFor(input) }, reasons, proposedAt: input.now });
        }
      }
      let retired: string[] = [];
      if (effective && change.kind === 'add-learned-rule') {
        retired = await addLearnedRule(runtime, trx, change, input.now);
        if (retired.length > 0) {
          reasons.push({
            rule: 'learned-rule-cap',
            detail: `The cap of ${resolved.learnedRules.max} active learned rules is reached: the oldest (${retired.map((rule) => `"${rule}"`).join(', ')}) is retired by a recorded change.`,
          });
        }
      }
      return { outcome: evaluation.outcome, reasons, approvalId, retired, freeze: evaluation.freeze };
    });

    const decision: PolicyDecision = {
      outcome: result.outcome,
      reasons: result.reasons,
      changeHash,
      ...(result.approvalId === undefined ? {} : { approvalId: result.approvalId }),
      ...(result.retired.length === 0 ? {} : { retired: result.retired }),
    };
    await writeAudit(runtime.audit, {
      actor: POLICY_ACTOR,
      action: `policy.${decision.outcome}`,
      ...artifactOf(change),
      ...versionsOf(change),
      reason: decision.reasons.map((reason) => `${reason.rule}: ${reason.detail}`).join(' | '),
      evidence: {
        kind: change.kind,
        origin: change.origin,
        changeHash,
        rules: decision.reasons.map((reason) => reason.rule),
        approvalId: decision.approvalId,
        retired: decision.retired,
      },
    });
    if (result.freeze && name !== undefined) {
      await writeAudit(runtime.audit, {
        actor: POLICY_ACTOR,
        action: 'policy.freeze',
        artifact: name,
        reason: `"${name}" frozen: rewritten repeatedly without measured improvement.`,
        evidence: { changeHash },
      });
    }
    for (const rule of result.retired) {
      await writeAudit(runtime.audit, {
        actor: POLICY_ACTOR,
        action: 'policy.retire-learned-rule',
        artifact: rule,
        reason: `Learned rule "${rule}" retired: the cap of ${resolved.learnedRules.max} active rules was reached when "${name ?? ''}" was added.`,
        evidence: { changeHash },
      });
    }
    return decision;
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
      await store.migrate();
      return store.read('read learned rules', (db) => store.activeLearnedRules(db));
    },
    async envelope() {
      await store.migrate();
      return [...resolved.capabilities.envelope, ...(await store.read('read granted capabilities', (db) => store.grants(db)))];
    },
    async frozen() {
      await store.migrate();
      return store.read('read frozen artifacts', (db) => store.frozen(db));
    },
    async unfreeze(rawName, rawStep) {
      const name = parseOrThrow(z.string().min(1).max(200), rawName, 'artifact name');
      const step = parseOrThrow(unfreezeSchema, rawStep, 'unfreeze');
      await store.migrate();
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
    migrate: () => store.migrate(),
  };
}
