import {
  describeFailures,
  parseOrThrow,
  PolicyError,
  type ArtifactVersion,
  type Change,
  type ChangeEvidence,
  type Decision,
  type GateOutcome,
  type GateStep,
  type Verdict,
} from '@toolwright/core';
import type { Approval, PolicyDecision } from '@toolwright/safety-policy';
import { runInUnit } from '@toolwright/store';
import { z } from 'zod';
import type { GateParts, Proposal, UnitOfWork } from './gate-parts.js';
import { authorOf, decisionText, failed, nameOf, recordOutcome } from './outcome.js';
import { inForceOf, learnedRulesInForce } from './section-changes.js';
import { applyRolloutApproved, isRolloutChange, staleRollout } from './rollout-changes.js';
import { applySimple, describeSimple, rollbackTarget, staleRollback } from './simple-changes.js';
import { casesFor, promoteCandidate, rejectCandidate } from './tool-changes.js';

const stepSchema = z.object({ by: z.string().trim().min(1).max(200), note: z.string().max(4000).optional() }).strict();
const idSchema = z.string().min(1).max(200);

type ToolChange = Extract<Change, { kind: 'create-tool' | 'rewrite-tool' }>;

async function approvalOrThrow(parts: GateParts, id: string): Promise<Approval> {
  const approval = await parts.policy.approvals.get(id);
  if (approval === undefined) {
    throw new PolicyError('POLICY_APPROVAL_NOT_FOUND', `There is no approval request "${id}". List the open ones with policy.approvals.list({ status: 'proposed' }) (or \`toolwright approvals\`).`, { details: { id } });
  }
  return approval;
}

/** What is in force, read before a transaction opens (on SQLite a read beside an open transaction would wait for it). */
async function inForceContext(parts: GateParts, change: Change): Promise<RecheckContext> {
  const name = nameOf(change);
  const current = name === undefined ? undefined : await parts.registry.active(name);
  // A rollback's target, so the recheck judges the text it puts back in force (protected phrases).
  const target = await rollbackTarget(parts, change);
  const rules = await learnedRulesInForce(parts);
  return { ...(current === undefined ? {} : { current }), ...(target === undefined ? {} : { target }), inForce: inForceOf(rules), rules };
}

type RecheckContext = { readonly current?: ArtifactVersion; readonly target?: ArtifactVersion; readonly inForce: ReturnType<typeof inForceOf>; readonly rules: readonly ArtifactVersion[] };

function policyContext(context: RecheckContext) {
  return { ...(context.current === undefined ? {} : { current: context.current }), ...(context.target === undefined ? {} : { target: context.target }), inForce: context.inForce };
}

function personActor(step: GateStep) {
  return { kind: 'person' as const, id: step.by };
}

/**
 * A person approves a queued change and the gate applies it. Tool changes are proven again
 * at this moment, with their declared capabilities (nothing reached the network before the
 * approval): first the approval is recorded, then the candidate runs, then — rechecked against
 * the kill switch and the caps — it is promoted, with the request marked applied and the audit
 * entry written in that same transaction. Every step is idempotent: a retry after any failure
 * continues where the last attempt stopped; a retry of an applied request changes nothing.
 */
export async function applyApproved(parts: GateParts, rawId: string, rawStep: GateStep): Promise<GateOutcome> {
  const id = parseOrThrow(idSchema, rawId, 'approval id');
  const step = parseOrThrow(stepSchema, rawStep, 'approval step');
  const approval = await approvalOrThrow(parts, id);
  const change = approval.change;
  const name = nameOf(change);
  const evidence: ChangeEvidence = { by: step.by, reason: `approved by ${step.by}${step.note === undefined ? '' : `: ${step.note}`}` };
  const proposal: Proposal = { change, evidence };

  if (approval.status === 'applied') {
    const version = name === undefined ? undefined : await parts.registry.active(name);
    return {
      status: 'applied',
      change,
      decision: { outcome: 'allow', reasons: [{ rule: 'already-applied', detail: `Request ${id} was applied${approval.appliedBy === undefined ? '' : ` by ${approval.appliedBy}`}; nothing changed now.` }] },
      summary: `Request ${id} was already applied; nothing changed.`,
      ...(version === undefined ? {} : { version }),
    };
  }
  if (approval.status === 'rejected') {
    const decision: Decision = { outcome: 'deny', reasons: [{ rule: 'rejected-by-person', detail: `Request ${id} was rejected${approval.decidedBy === undefined ? '' : ` by ${approval.decidedBy}`}.` }] };
    return { status: 'denied', change, decision, summary: `Request ${id} was rejected; it cannot be applied. Propose the change again.` };
  }
  if (change.kind === 'import-bundle') {
    return failed(change, new PolicyError('POLICY_APPROVAL_CONFLICT', `Request ${id} approves importing bundle ${change.bundleHash.slice(0, 12)}…; a person applies it by importing that bundle (gate.importBundle(bundle, { by })).`));
  }

  try {
    if (change.kind === 'create-tool' || change.kind === 'rewrite-tool') return await applyTool(parts, { change, evidence }, approval, step);
    let current = approval;
    let verdict: Verdict | undefined;
    if (change.kind === 'promote-version') {
      const proven = await provePromotion(parts, { change, evidence }, approval, step);
      if ('outcome' in proven) return proven.outcome;
      current = proven.approval;
      verdict = proven.verdict;
    }
    // Read before the transaction: on SQLite a read outside it would wait for the connection the transaction holds.
    const context = await inForceContext(parts, change);
    return await runInUnit(parts.database, async (unit) => {
      const checked = await recheck(parts, proposal, current, unit, context);
      if ('denied' in checked) return checked.denied;
      const stale = isRolloutChange(change) ? await staleRollout(parts, change, unit) : change.kind === 'rollback' ? await staleRollback(parts, change, unit) : undefined;
      if (stale !== undefined) return obsolete(parts, proposal, current, unit, stale);
      if (current.status === 'proposed') await parts.policy.approvals.approve(id, step, { unit });
      const outcome =
        change.kind === 'change-prompt-section' || change.kind === 'add-learned-rule'
          ? await applySection(parts, { change, evidence }, approval, step, unit, { rules: context.rules, retired: checked.decision.retired ?? [] })
          : isRolloutChange(change)
            ? await applyRolloutApproved(parts, { change, evidence }, approval, step, unit, verdict)
            : await applySimpleApproved(parts, { change, evidence }, approval, step, unit);
      await parts.policy.approvals.markApplied(id, step, { unit, context: policyContext(context) });
      return outcome;
    });
  } catch (error) {
    return failed(change, error);
  }
}

/** The kill switch, the caps, pins and freezes, again at the moment of applying: denied, the request stays as it is. */
async function recheck(
  parts: GateParts,
  proposal: Proposal,
  approval: Approval,
  unit: UnitOfWork,
  context: RecheckContext,
): Promise<{ readonly denied: GateOutcome } | { readonly decision: PolicyDecision }> {
  const decision = await parts.policy.approvals.recheck(approval.id, { unit, context: policyContext(context) });
  if (decision.outcome !== 'deny') return { decision };
  const summary = `Request ${approval.id} cannot be applied now: ${decisionText(decision)}. It stays ${approval.status}; apply it again when the policy allows.`;
  const auditId = await recordOutcome(parts, unit, { change: proposal.change, evidence: proposal.evidence, status: 'denied', summary, decision, approvalId: approval.id, actor: { kind: 'person', id: proposal.evidence.by ?? 'person' } });
  return { denied: { status: 'denied', change: proposal.change, decision, summary, auditId } };
}

/**
 * A tool's approved `promote-version` is proven at this moment, as an approved tool change is:
 * first the approval is recorded (the target never ran with its capabilities before it), then it
 * runs its cases with its declared capabilities against the active version; a failed run rejects
 * the target (audited `failed-regression`; the request stays approved and applying it again is
 * refused). With no case, or for a prompt section, there is nothing to run.
 */
async function provePromotion(
  parts: GateParts,
  proposal: Proposal<Extract<Change, { kind: 'promote-version' }>>,
  approval: Approval,
  step: GateStep,
): Promise<{ readonly outcome: GateOutcome } | { readonly approval: Approval; readonly verdict?: Verdict }> {
  const { change, evidence } = proposal;
  const target = await parts.registry.get(change.name, change.toVersion);
  if (target === undefined || target.kind !== 'tool' || target.spec === undefined || target.status !== 'candidate') return { approval };
  const cases = await casesFor(parts, target.spec);
  if (cases.length === 0) return { approval };
  if (approval.status === 'proposed') {
    const before = await inForceContext(parts, change);
    const refused = await runInUnit(parts.database, async (unit) => {
      const checked = await recheck(parts, proposal, approval, unit, before);
      if ('denied' in checked) return checked.denied;
      const stale = await staleRollout(parts, change, unit);
      if (stale !== undefined) return obsolete(parts, proposal, approval, unit, stale);
      await parts.policy.approvals.approve(approval.id, step, { unit });
      return undefined;
    });
    if (refused !== undefined) return { outcome: refused };
  }
  const current = await parts.registry.active(change.name);
  const verdict = await parts.regression.compare({ candidate: target, baseline: current, cases, capabilities: 'declared' });
  if (verdict.decision !== 'reject') return { approval: { ...approval, status: 'approved' }, verdict };
  const summary = `"${change.name}" v${target.version} failed its cases when proven after approval in request ${approval.id}: ${describeFailures(verdict)}`;
  const outcome = await runInUnit(parts.database, async (unit) => {
    const rejected = await parts.writer.reject(change.name, target.version, (verdict.reasons.join('; ') || summary).slice(0, 4000), { unit });
    const auditId = await recordOutcome(parts, unit, {
      change, evidence, status: 'failed-regression', summary, verdict, approvalId: approval.id, registryChanges: rejected.changes, actor: personActor(step),
      fromVersion: change.fromVersion, toVersion: target.version,
    });
    return { status: 'failed-regression' as const, change, verdict, version: rejected.value, summary, auditId };
  });
  return { outcome };
}

/**
 * What the request was approved against is no longer in force (another version was promoted or
 * rolled back to meanwhile): nothing is applied, one audit entry says why, and the request stays
 * as it is (a person rejects it, or proposes the change again against what is in force).
 */
async function obsolete(parts: GateParts, proposal: Proposal, approval: Approval, unit: UnitOfWork, why: string): Promise<GateOutcome> {
  const decision: Decision = { outcome: 'deny', reasons: [{ rule: 'stale', detail: `${why}.` }] };
  const summary = `Request ${approval.id} cannot be applied: ${why}. Nothing changed; it stays ${approval.status} (reject it, or propose the change again against what is in force).`;
  const auditId = await recordOutcome(parts, unit, { change: proposal.change, evidence: proposal.evidence, status: 'denied', summary, decision, approvalId: approval.id, actor: { kind: 'person', id: proposal.evidence.by ?? 'person' } });
  return { status: 'denied', change: proposal.change, decision, summary, auditId };
}

async function applyTool(parts: GateParts, proposal: Proposal<ToolChange>, approval: Approval, step: GateStep): Promise<GateOutcome> {
  const { change } = proposal;
  const candidate = await candidateOf(parts, proposal, approval);
  if (candidate.status === 'rejected') {
    const decision: Decision = { outcome: 'deny', reasons: [{ rule: 'rejected-before', detail: `The candidate v${candidate.version} of request ${approval.id} is rejected.` }] };
    return { status: 'denied', change, decision, version: candidate, summary: `Request ${approval.id} carries v${candidate.version} of "${change.name}", which is rejected; propose the change again.` };
  }
  // First the approval is recorded (so a network tool never runs unapproved), then it is proven.
  if (approval.status === 'proposed') {
    const before = await inForceContext(parts, change);
    const refused = await runInUnit(parts.database, async (unit) => {
      const checked = await recheck(parts, proposal, approval, unit, before);
      if ('denied' in checked) return checked.denied;
      await parts.policy.approvals.approve(approval.id, step, { unit });
      return undefined;
    });
    if (refused !== undefined) return refused;
  }
  const current = await parts.registry.active(change.name);
  const cases = await casesFor(parts, change.spec);
  // A person approved it knowing whether it had cases; with none there is nothing to prove it on.
  const verdict = cases.length === 0 ? undefined : await parts.regression.compare({ candidate, baseline: current, cases, capabilities: 'declared' });
  if (verdict?.decision === 'reject') {
    // The request stays approved, its candidate rejected: applying it again is refused with that reason.
    return rejectCandidate(parts, proposal, candidate, verdict, current, { approvalId: approval.id });
  }
  const context = await inForceContext(parts, change);
  return runInUnit(parts.database, async (unit) => {
    const checked = await recheck(parts, proposal, { ...approval, status: 'approved' }, unit, context);
    if ('denied' in checked) return checked.denied;
    const decision: Decision = { outcome: 'allow', reasons: [{ rule: 'approved', detail: `Approved by ${step.by} in request ${approval.id}.` }] };
    const outcome = await promoteCandidate(parts, proposal, unit, { candidate, current, verdict, decision, approvalId: approval.id, actor: personActor(step) });
    await parts.policy.approvals.markApplied(approval.id, step, { unit, context: policyContext(context) });
    return outcome;
  });
}

/** The version a request carries: by the reference stored with it; requests queued by earlier versions register their content (the registry returns the same version for the same content). */
async function candidateOf(parts: GateParts, proposal: Proposal<ToolChange>, approval: Approval): Promise<ArtifactVersion> {
  const { change, evidence } = proposal;
  if (approval.candidate !== undefined) {
    const stored = await parts.registry.get(approval.candidate.name, approval.candidate.version);
    if (stored !== undefined) return stored;
  }
  const current = await parts.registry.active(change.name);
  const written = await parts.writer.register({
    kind: 'tool',
    name: change.name,
    source: change.source,
    spec: change.spec,
    author: authorOf(change, evidence),
    reason: `queued in request ${approval.id}`,
    parent: current?.version ?? null,
  });
  return written.value;
}

async function applySection(
  parts: GateParts,
  proposal: Proposal<Extract<Change, { kind: 'change-prompt-section' | 'add-learned-rule' }>>,
  approval: Approval,
  step: GateStep,
  unit: UnitOfWork,
  cap: { readonly rules: readonly ArtifactVersion[]; readonly retired: readonly string[] },
): Promise<GateOutcome> {
  const { rules, retired } = cap;
  const { change, evidence } = proposal;
  const written =
    approval.candidate === undefined
      ? await parts.writer.register({ kind: 'prompt-section', name: change.name, source: change.text, author: { kind: 'person', id: step.by }, reason: `queued in request ${approval.id}`, parent: change.kind === 'change-prompt-section' ? (change.fromVersion ?? null) : null }, { unit })
      : { value: undefined, changes: [] };
  const version = written.value?.version ?? approval.candidate?.version ?? 0;
  const promoted = await parts.writer.promote(change.name, version, { reason: evidence.reason ?? `approved by ${step.by}`, unit });
  // The cap holds at the moment of applying too: the rules the recheck named are retired here.
  const retiredChanges = [];
  for (const name of retired) {
    const rule = rules.find((item) => item.name === name);
    if (rule !== undefined) retiredChanges.push(...(await parts.writer.retire(name, rule.version, `retired to keep the cap of learned rules when "${change.name}" was applied`, { unit })).changes);
  }
  const decision: Decision = { outcome: 'allow', reasons: [{ rule: 'approved', detail: `Approved by ${step.by} in request ${approval.id}.` }] };
  const summary = `"${change.name}" v${promoted.value.version} is in force, approved in request ${approval.id}${retired.length === 0 ? '' : `; retired to keep the cap: ${retired.join(', ')}`}.`;
  const auditId = await recordOutcome(parts, unit, {
    change, evidence, status: 'applied', summary, decision, approvalId: approval.id, toVersion: promoted.value.version, registryChanges: [...written.changes, ...promoted.changes, ...retiredChanges], actor: personActor(step),
  });
  return { status: 'applied', change, decision, version: promoted.value, summary, auditId, ...(retired.length === 0 ? {} : { retired }) };
}

async function applySimpleApproved(
  parts: GateParts,
  proposal: Proposal<Extract<Change, { kind: 'rollback' | 'pin' | 'unpin' | 'grant-capability' }>>,
  approval: Approval,
  step: GateStep,
  unit: UnitOfWork,
): Promise<GateOutcome> {
  const { change, evidence } = proposal;
  const applied = await applySimple(parts, change, evidence.reason ?? `approved by ${step.by}`, unit);
  const decision: Decision = { outcome: 'allow', reasons: [{ rule: 'approved', detail: `Approved by ${step.by} in request ${approval.id}.` }] };
  const summary = `${describeSimple(change, applied.version)} Approved in request ${approval.id}.`;
  const auditId = await recordOutcome(parts, unit, {
    change, evidence, status: 'applied', summary, decision, approvalId: approval.id, registryChanges: applied.changes, actor: personActor(step),
    ...(change.kind === 'rollback' ? { fromVersion: change.fromVersion } : {}),
    ...(applied.version === undefined ? {} : { toVersion: applied.version.version }),
  });
  return { status: 'applied', change, decision, summary, auditId, ...(applied.version === undefined ? {} : { version: applied.version }) };
}

/** A person rejects a queued change: the request, the candidate version it carried and the audit entry, in one transaction. */
export async function rejectApproval(parts: GateParts, rawId: string, rawStep: GateStep): Promise<GateOutcome> {
  const id = parseOrThrow(idSchema, rawId, 'approval id');
  const step = parseOrThrow(stepSchema, rawStep, 'approval step');
  const approval = await approvalOrThrow(parts, id);
  const change = approval.change;
  const decision: Decision = { outcome: 'deny', reasons: [{ rule: 'rejected-by-person', detail: `Rejected by ${step.by}${step.note === undefined ? '' : `: ${step.note}`}.` }] };
  if (approval.status === 'rejected') return { status: 'denied', change, decision, summary: `Request ${id} was already rejected; nothing changed.` };
  if (approval.status === 'applied') {
    return failed(change, new PolicyError('POLICY_APPROVAL_CONFLICT', `Request ${id} was already applied; to undo it, propose a rollback.`));
  }
  const candidate = approval.candidate === undefined ? undefined : await parts.registry.get(approval.candidate.name, approval.candidate.version);
  try {
    return await runInUnit(parts.database, async (unit) => {
      await parts.policy.approvals.reject(id, step, { unit });
      const rejected = candidate?.status === 'candidate' ? await parts.writer.reject(candidate.name, candidate.version, `rejected by ${step.by}${step.note === undefined ? '' : `: ${step.note}`}`.slice(0, 4000), { unit }) : undefined;
      const summary = `Request ${id} (${change.kind}${nameOf(change) === undefined ? '' : ` of "${nameOf(change)}"`}) is rejected by ${step.by}.`;
      const auditId = await recordOutcome(parts, unit, {
        change, evidence: { by: step.by }, status: 'denied', summary, decision, approvalId: id, registryChanges: rejected?.changes ?? [], actor: personActor(step),
        ...(candidate === undefined ? {} : { toVersion: candidate.version }),
      });
      return { status: 'denied', change, decision, summary, auditId, ...(rejected === undefined ? {} : { version: rejected.value }) };
    });
  } catch (error) {
    return failed(change, error, candidate);
  }
}

