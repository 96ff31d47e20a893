import type { Change, DeniedOutcome, GateOutcome, PolicyContext } from '@toolwright/core';
import type { PolicyDecision } from '@toolwright/safety-policy';
import { runInUnit } from '@toolwright/store';
import type { GateParts, Proposal, UnitOfWork } from './gate-parts.js';
import { decisionText, failed, nameOf, recordOutcome } from './outcome.js';

/**
 * Risk rules before any execution: the policy's dry run. A denial ends here, with one audit
 * entry and nothing else written: no candidate, no ledger row, nothing run.
 */
export async function assessFirst(
  parts: GateParts,
  proposal: Proposal,
  context: PolicyContext,
  options: { readonly assumeTested?: boolean } = {},
): Promise<{ denied: DeniedOutcome } | { outcome: 'allow' | 'needs-approval' }> {
  const pre = await parts.policy.assess(proposal.change, context, options);
  if (pre.outcome !== 'deny') return { outcome: pre.outcome };
  const summary = `The safety policy denied this ${proposal.change.kind}${describeName(proposal.change)}: ${decisionText(pre)}`;
  const auditId = await recordOutcome(parts, undefined, { change: proposal.change, evidence: proposal.evidence, status: 'denied', summary, decision: pre });
  return { denied: { status: 'denied', change: proposal.change, decision: pre, summary, auditId } };
}

/** What a change does once the recorded review allows it, inside the unit. */
export type ApplyInUnit = (unit: UnitOfWork, decision: PolicyDecision) => Promise<GateOutcome>;

/**
 * The recorded review and what follows it, in one transaction: allowed, `apply` makes the
 * registry transition and writes the audit entry; queued or denied, `onQueued` / `onDenied`
 * do. A throw anywhere rolls back all of it, the policy's record included, and becomes `failed`.
 */
export async function decideInUnit(
  parts: GateParts,
  proposal: Proposal,
  context: PolicyContext,
  steps: { readonly apply: ApplyInUnit; readonly onQueued?: ApplyInUnit; readonly onDenied?: ApplyInUnit },
): Promise<GateOutcome> {
  try {
    return await runInUnit(parts.database, async (unit) => {
      const decision = await parts.policy.review(proposal.change, context, { unit });
      if (decision.outcome === 'allow') return steps.apply(unit, decision);
      if (decision.outcome === 'needs-approval') return (steps.onQueued ?? queued(parts, proposal))(unit, decision);
      return (steps.onDenied ?? denied(parts, proposal))(unit, decision);
    });
  } catch (error) {
    return failed(proposal.change, error, context.candidate);
  }
}

/** The default for a queued change: the policy queued it; one audit entry says so. */
export function queued(parts: GateParts, proposal: Proposal, extra: { readonly fromVersion?: number; readonly version?: PolicyContext['candidate'] } = {}): ApplyInUnit {
  return async (unit, decision) => {
    const approvalId = decision.approvalId ?? '';
    const summary = `This ${proposal.change.kind}${describeName(proposal.change)} waits for a person's approval (request ${approvalId}): ${decisionText(decision)}`;
    const auditId = await recordOutcome(parts, unit, {
      change: proposal.change,
      evidence: proposal.evidence,
      status: 'queued',
      summary,
      decision,
      approvalId,
      ...(extra.fromVersion === undefined ? {} : { fromVersion: extra.fromVersion }),
      ...(extra.version === undefined ? {} : { toVersion: extra.version.version }),
    });
    return { status: 'queued', change: proposal.change, decision, approvalId, summary, auditId, ...(extra.version === undefined ? {} : { version: extra.version }) };
  };
}

/** The default for a denied change: one audit entry, nothing else. */
export function denied(parts: GateParts, proposal: Proposal): ApplyInUnit {
  return async (unit, decision) => {
    const summary = `The safety policy denied this ${proposal.change.kind}${describeName(proposal.change)}: ${decisionText(decision)}`;
    const auditId = await recordOutcome(parts, unit, { change: proposal.change, evidence: proposal.evidence, status: 'denied', summary, decision });
    return { status: 'denied', change: proposal.change, decision, summary, auditId };
  };
}

/** ` of "name"`, for sentences. */
export function describeName(change: Change): string {
  const name = nameOf(change);
  return name === undefined ? '' : ` of "${name}"`;
}
