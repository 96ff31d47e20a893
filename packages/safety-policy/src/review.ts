import { contentHash, parseOrThrow, ValidationError, type Change, type Decision, type PolicyContext } from '@toolwright/core';
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { ApprovalEvidence } from './approvals.js';
import { POLICY_ACTOR, writeAudit } from './audit.js';
import { changeSchema, policyContextSchema, type ReviewInput } from './change-schema.js';
import { gatherFacts } from './facts.js';
import { evaluate, type Evaluation, type EvaluationMode } from './rules/evaluate.js';
import type { StoreFacts } from './rules/finding.js';
import { addLearnedRule, artifactOf, ledgerData, versionsOf, type PolicyRuntime } from './runtime.js';
import { sourceHashOf, type ApprovalCandidate, type Executor } from './store/policy-store.js';
import type { PolicyTables } from './store/tables.js';
import { lineDiff } from './text/line-diff.js';

/** The policy's answer, with what the integrator needs to act on it. */
export interface PolicyDecision extends Decision {
  /** `contentHash(change)`: the identity of the change in the ledger and the queue. */
  readonly changeHash: string;
  /** With `needs-approval`: the id of the request waiting in `approvals` (the same id for an identical open request). */
  readonly approvalId?: string;
  /**
   * With an allowed `add-learned-rule` past the cap: the learned rules to retire to make room,
   * oldest first. The policy records their retirement; whoever holds what is in force (the gate,
   * in the registry) retires them in the same transaction.
   */
  readonly retired?: readonly string[];
  /** The id of the ledger row that records this review (`review` only; a dry run records nothing). */
  readonly ledgerId?: string;
}

/** A change and its context, validated. */
export interface ParsedReview {
  readonly change: Change;
  readonly input: ReviewInput;
  readonly changeHash: string;
  readonly name: string | undefined;
}

/** Validates a change and its context at the policy's boundary. */
export function parseReview(runtime: PolicyRuntime, rawChange: Change, rawContext: PolicyContext): ParsedReview {
  const change = parseOrThrow(changeSchema, rawChange, 'policy change') as Change;
  const context = parseOrThrow(policyContextSchema, rawContext, 'policy context');
  const name = 'name' in change ? change.name : undefined;
  for (const [field, version] of [
    ['current', context.current],
    ['candidate', context.candidate],
    ['target', context.target],
  ] as const) {
    if (version !== undefined && name !== undefined && version.name !== name) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Invalid policy context: context.${field} is a version of "${version.name}", but the change is about "${name}". Pass the ${
          field === 'current' ? 'version the change replaces' : field === 'candidate' ? 'version the change would make active' : 'version the rollback puts back in force'
        }.`,
      );
    }
  }
  if (context.target !== undefined && (change.kind !== 'rollback' || context.target.version !== change.toVersion)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      change.kind === 'rollback'
        ? `Invalid policy context: context.target is v${context.target.version} of "${context.target.name}", but the rollback is to v${change.toVersion}. Pass the version the rollback puts back in force.`
        : `Invalid policy context: context.target is for a rollback (the version it puts back in force), and this change is a ${change.kind}. Leave it out.`,
    );
  }
  const input: ReviewInput = {
    change,
    now: context.now ?? runtime.clock(),
    current: context.current,
    diagnosis: rawContext.diagnosis,
    verdict: rawContext.verdict,
    candidate: context.candidate,
    ...(context.target === undefined ? {} : { target: context.target }),
    inForce: context.inForce,
  };
  return { change, input, changeHash: contentHash(change), name };
}

/** Gathers the facts and applies every rule; reads only. */
export async function evaluateIn(runtime: PolicyRuntime, db: Executor, parsed: ParsedReview, mode: EvaluationMode): Promise<{ evaluation: Evaluation; facts: StoreFacts }> {
  const facts = await gatherFacts(runtime.store, db, parsed.input, parsed.changeHash, runtime.config);
  return { evaluation: evaluate({ review: parsed.input, config: runtime.config, sections: runtime.sections, facts }, mode), facts };
}

/** What the evidence of an approval request shows a person. */
export function evidenceFor(review: Pick<ReviewInput, 'change' | 'current' | 'diagnosis' | 'verdict'>): ApprovalEvidence {
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

/** Who proposed a change, for the approval queue: `agent`, or the person (`person` when unknown). */
export function proposerOf(parsed: ParsedReview, explicit: string | undefined): string {
  if (parsed.change.origin === 'agent') return 'agent';
  if (explicit !== undefined) return explicit;
  const author = parsed.input.candidate?.author;
  return author?.kind === 'person' ? author.id : 'person';
}

/** The source hash of a tool change, for the ledger. */
export function sourceHashOfChange(change: Change): string | undefined {
  return change.kind === 'create-tool' || change.kind === 'rewrite-tool' ? sourceHashOf(change.source) : undefined;
}

/** What recording a review wrote. */
export interface RecordedReview {
  readonly ledgerId: string;
  readonly approvalId: string | undefined;
}

/**
 * Records one review under the write lock: the ledger row (an allowed change counts from now
 * on), a freeze, the queued request, and — for an allowed learned rule — the rule and the
 * retirements the cap decided.
 */
export async function recordReview(
  runtime: PolicyRuntime,
  trx: Transaction<PolicyTables>,
  parsed: ParsedReview,
  evaluation: Evaluation,
  facts: StoreFacts,
  proposedBy: string,
): Promise<RecordedReview> {
  const { store } = runtime;
  const { change, input, changeHash, name } = parsed;
  const effective = evaluation.outcome === 'allow';
  const sourceHash = sourceHashOfChange(change);
  const ledgerId = await store.appendLedger(trx, {
    at: input.now,
    event: 'review',
    kind: change.kind,
    origin: change.origin,
    ...(name === undefined ? {} : { name }),
    changeHash,
    outcome: evaluation.outcome,
    effective,
    ...(input.diagnosis !== undefined && input.diagnosis.tool === name ? { score: input.diagnosis.score } : {}),
    ...(sourceHash === undefined ? {} : { sourceHash }),
    data: { ...ledgerData(change), reasons: evaluation.reasons.map((reason) => reason.rule) },
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
      const candidate: ApprovalCandidate | undefined =
        input.candidate === undefined ? undefined : { name: input.candidate.name, version: input.candidate.version, contentHash: input.candidate.contentHash };
      await store.insertApproval(trx, {
        id: approvalId,
        changeHash,
        change,
        evidence: { ...evidenceFor(input) },
        reasons: evaluation.reasons,
        proposedAt: input.now,
        proposedBy,
        candidate,
      });
    }
  }
  if (effective && change.kind === 'add-learned-rule') {
    await addLearnedRule(runtime, trx, { name: change.name, text: change.text, origin: change.origin }, input.now, evaluation.retired);
  }
  return { ledgerId, approvalId };
}

/** The decision as the caller sees it. */
export function toDecision(parsed: ParsedReview, evaluation: Evaluation, extra: { readonly approvalId?: string; readonly ledgerId?: string } = {}): PolicyDecision {
  return {
    outcome: evaluation.outcome,
    reasons: evaluation.reasons,
    changeHash: parsed.changeHash,
    ...(extra.approvalId === undefined ? {} : { approvalId: extra.approvalId }),
    ...(evaluation.retired.length === 0 ? {} : { retired: [...evaluation.retired] }),
    ...(extra.ledgerId === undefined ? {} : { ledgerId: extra.ledgerId }),
  };
}

/** The audit entries of a review that ran in its own transaction (a review inside a caller's unit writes none). */
export async function auditReview(runtime: PolicyRuntime, parsed: ParsedReview, decision: PolicyDecision, froze: boolean): Promise<void> {
  const { change, changeHash, name } = parsed;
  await writeAudit(runtime.audit, {
    actor: POLICY_ACTOR,
    action: `policy.${decision.outcome}`,
    ...artifactOf(change),
    ...versionsOf(change),
    reason: decision.reasons.map((reason) => `${reason.rule}: ${reason.detail}`).join(' | ') || `${change.kind} ${decision.outcome}`,
    evidence: {
      kind: change.kind,
      origin: change.origin,
      changeHash,
      ledgerId: decision.ledgerId,
      rules: decision.reasons.map((reason) => reason.rule),
      approvalId: decision.approvalId,
      // Retirements the cap made are part of this decision (the reason says why).
      retired: decision.retired,
    },
  });
  if (froze && name !== undefined) {
    await writeAudit(runtime.audit, {
      actor: POLICY_ACTOR,
      action: 'policy.freeze',
      artifact: name,
      reason: `"${name}" frozen: rewritten repeatedly without measured improvement.`,
      evidence: { changeHash, ledgerId: decision.ledgerId },
    });
  }
}
