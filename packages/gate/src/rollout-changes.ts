import { contentHash, RegistryError, type ArtifactVersion, type Change, type Decision, type GateOutcome, type GateStep, type JsonObject, type PolicyContext, type Verdict } from '@toolwright/core';
import type { RegistryChange } from '@toolwright/registry';
import type { Approval } from '@toolwright/safety-policy';
import { assessFirst, decideInUnit, queued } from './decide.js';
import type { GateParts, Proposal, UnitOfWork } from './gate-parts.js';
import { failed, recordOutcome } from './outcome.js';
import { casesFor, requestsCapabilities } from './tool-changes.js';

/** The changes of live experiments: a canary's next share, and a candidate made active. */
export type RolloutChange = Extract<Change, { kind: 'widen-rollout' | 'promote-version' }>;

/** True for the change kinds this file handles. */
export function isRolloutChange(change: Change): change is RolloutChange {
  return change.kind === 'widen-rollout' || change.kind === 'promote-version';
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}

/** The version a rollout change gives calls to. */
function targetVersionOf(change: RolloutChange): number {
  return change.kind === 'widen-rollout' ? change.version : change.toVersion;
}

function fromVersionOf(change: RolloutChange): number {
  return change.kind === 'widen-rollout' ? change.baselineVersion : change.fromVersion;
}

/** One sentence for an applied rollout change. */
function describeApplied(change: RolloutChange, version: ArtifactVersion | undefined): string {
  if (change.kind === 'widen-rollout') {
    return `The canary ${change.experimentId} of "${change.name}" may widen: v${change.version} serves ${percent(change.toShare)} of the calls (was ${percent(change.fromShare)}), v${change.baselineVersion} the rest.`;
  }
  return `"${change.name}" v${version?.version ?? change.toVersion} is active (was v${change.fromVersion})${change.experimentId === undefined ? '' : `, the winner of experiment ${change.experimentId}`}.`;
}

/** Audit fields of a rollout change. */
function extraOf(change: RolloutChange): JsonObject {
  if (change.kind === 'widen-rollout') return { experimentId: change.experimentId, fromShare: change.fromShare, toShare: change.toShare };
  return change.experimentId === undefined ? {} : { experimentId: change.experimentId };
}

/**
 * Makes an allowed or approved rollout change happen inside `unit`. A widening writes nothing
 * in the registry (what is active does not change; the rollout serves the new split once the gate
 * applied it); a promotion makes the registered candidate the active version through the writer.
 */
async function applyRollout(parts: GateParts, change: RolloutChange, reason: string, unit: UnitOfWork): Promise<{ version?: ArtifactVersion; changes: readonly RegistryChange[] }> {
  if (change.kind === 'widen-rollout') return { changes: [] };
  const written = await parts.writer.promote(change.name, change.toVersion, { reason: reason.slice(0, 4000), unit });
  return { version: written.value, changes: written.changes };
}

/** The versions a rollout change names, read from the registry; a missing or unfit one is a coded error that says what to do. */
async function versionsOf(parts: GateParts, change: RolloutChange): Promise<{ current: ArtifactVersion | undefined; target: ArtifactVersion }> {
  const current = await parts.registry.active(change.name);
  const target = await parts.registry.get(change.name, targetVersionOf(change));
  if (target === undefined) {
    throw new RegistryError('REGISTRY_NOT_FOUND', `"${change.name}" has no version ${targetVersionOf(change)}: ${change.kind} names a registered version (see toolwright tools history ${change.name}).`, {
      details: { name: change.name, version: targetVersionOf(change) },
    });
  }
  if (change.kind === 'widen-rollout') {
    if ((await parts.registry.get(change.name, change.baselineVersion)) === undefined) {
      throw new RegistryError('REGISTRY_NOT_FOUND', `"${change.name}" has no version ${change.baselineVersion}, the baseline of canary ${change.experimentId}.`, {
        details: { name: change.name, version: change.baselineVersion },
      });
    }
    if (target.status === 'rejected' || target.status === 'retired') {
      throw new RegistryError('REGISTRY_INVALID_TRANSITION', `Cannot widen the canary of "${change.name}" v${target.version}: it is ${target.status}. Stop the experiment (toolwright experiments stop ${change.experimentId}).`, {
        details: { name: change.name, version: target.version, status: target.status },
      });
    }
  } else if (target.status !== 'candidate' && target.status !== 'active') {
    throw new RegistryError('REGISTRY_INVALID_TRANSITION', `Cannot promote "${change.name}" v${target.version}: it is ${target.status}, and promote-version takes a registered candidate. Register the content again as a new candidate.`, {
      details: { name: change.name, version: target.version, status: target.status },
    });
  }
  return { current, target };
}

/**
 * The request already queued for this very change (the same experiment, step and versions), if
 * any: a controller proposes a held widening again at every look, and those looks must neither
 * queue a second request nor write an audit entry each.
 */
async function earlierRequest(parts: GateParts, change: RolloutChange): Promise<Approval | undefined> {
  const hash = contentHash(change);
  const requests = (await parts.policy.approvals.list({ name: change.name, status: ['proposed', 'approved', 'applied', 'rejected'] })).filter((request) => request.changeHash === hash);
  const rank = { applied: 0, approved: 1, proposed: 1, rejected: 2 } as const;
  return requests.sort((a, b) => rank[a.status] - rank[b.status])[0];
}

function answerFromRequest(change: RolloutChange, request: Approval, current: ArtifactVersion | undefined): GateOutcome {
  if (request.status === 'applied') {
    const decision: Decision = { outcome: 'allow', reasons: [{ rule: 'approved', detail: `Approved in request ${request.id}${request.appliedBy === undefined ? '' : ` by ${request.appliedBy}`}.` }] };
    return { status: 'applied', change, decision, summary: `${describeApplied(change, current)} Approved earlier in request ${request.id}; nothing changed now.`, ...(current === undefined ? {} : { version: current }) };
  }
  if (request.status === 'rejected') {
    const decision: Decision = { outcome: 'deny', reasons: [{ rule: 'rejected-by-person', detail: `Request ${request.id} for this very change was rejected${request.decidedBy === undefined ? '' : ` by ${request.decidedBy}`}.` }] };
    return { status: 'denied', change, decision, summary: `A person rejected this ${change.kind} of "${change.name}" in request ${request.id}; it is not proposed again.` };
  }
  const decision: Decision = { outcome: 'needs-approval', reasons: request.reasons, approvalId: request.id };
  return { status: 'queued', change, decision, approvalId: request.id, summary: `This ${change.kind} of "${change.name}" already waits for a person (request ${request.id}): toolwright approvals approve ${request.id}.` };
}

/**
 * Why a rollout change no longer fits what is in force, read under the artifact's lock inside
 * `unit` (a concurrent promotion waits for the unit): a promotion whose `fromVersion` is not the
 * active version any more, or whose target is no longer a candidate; a widening whose candidate
 * is not the active version (a canary's candidate is made active first). Undefined when it fits.
 */
export async function staleRollout(parts: GateParts, change: RolloutChange, unit: UnitOfWork): Promise<string | undefined> {
  const target = targetVersionOf(change);
  const locked = await parts.writer.lock(change.name, { version: target, unit });
  const active = locked.activeVersion === null ? 'no version' : `v${locked.activeVersion}`;
  if (change.kind === 'widen-rollout') {
    return locked.activeVersion === change.version ? undefined : `the canary's candidate v${change.version} of "${change.name}" is not the active version (${active} is)`;
  }
  if (locked.activeVersion !== change.fromVersion) return `"${change.name}" v${change.toVersion} was to replace v${change.fromVersion}, but ${active} is active now`;
  if (locked.version?.status !== 'candidate') return `"${change.name}" v${change.toVersion} is ${locked.version?.status ?? 'missing'}, no longer a candidate`;
  return undefined;
}

/** The open request (proposed or approved) of another change that carries `target` as its candidate: a person has not decided on it yet. */
async function openRequestFor(parts: GateParts, change: RolloutChange, target: ArtifactVersion): Promise<Approval | undefined> {
  const hash = contentHash(change);
  const requests = await parts.policy.approvals.list({ name: change.name, status: ['proposed', 'approved'] });
  return requests.find((request) => request.changeHash !== hash && request.candidate?.name === target.name && request.candidate.version === target.version);
}

/** Denied before any review: one audit entry, nothing else written. */
async function refuse(parts: GateParts, proposal: Proposal<RolloutChange>, rule: string, detail: string): Promise<GateOutcome> {
  const decision: Decision = { outcome: 'deny', reasons: [{ rule, detail }] };
  const summary = `The gate refused this ${proposal.change.kind} of "${proposal.change.name}": ${detail}`;
  const auditId = await recordOutcome(parts, undefined, { change: proposal.change, evidence: proposal.evidence, status: 'denied', summary, decision, toVersion: targetVersionOf(proposal.change) });
  return { status: 'denied', change: proposal.change, decision, summary, auditId };
}

/**
 * A `widen-rollout` or a `promote-version`: assess → review + (for a promotion, the registry's
 * promotion of the candidate) + audit, in one transaction. A promotion of the version already
 * active, and a change a person already decided on, answer without a new review.
 */
export async function proposeRollout(parts: GateParts, proposal: Proposal<RolloutChange>): Promise<GateOutcome> {
  const { change, evidence } = proposal;
  const { current, target } = await versionsOf(parts, change);
  if (change.kind === 'promote-version' && target.status === 'active') {
    const decision: Decision = { outcome: 'allow', reasons: [{ rule: 'already-applied', detail: `"${change.name}" v${target.version} is already the active version.` }] };
    return { status: 'applied', change, decision, version: target, summary: `"${change.name}" v${target.version} is already active; nothing changed.` };
  }
  if (change.kind === 'promote-version' && current?.version !== change.fromVersion) {
    throw new RegistryError(
      'REGISTRY_INVALID_TRANSITION',
      `Cannot promote "${change.name}" v${change.toVersion} over v${change.fromVersion}: ${current === undefined ? 'no version' : `v${current.version}`} is active now.${current === undefined ? ' Nothing is active to replace: propose a rollback to a retired version instead.' : ` Propose it again with fromVersion ${current.version} if it should still replace it.`}`,
      { details: { name: change.name, active: current?.version ?? null, fromVersion: change.fromVersion } },
    );
  }
  const earlier = await earlierRequest(parts, change);
  if (earlier !== undefined) return answerFromRequest(change, earlier, change.kind === 'promote-version' ? current : undefined);
  if (change.kind === 'promote-version') {
    const open = await openRequestFor(parts, change, target);
    if (open !== undefined) {
      return refuse(parts, proposal, 'awaiting-approval', `v${target.version} is the candidate of request ${open.id}, which waits for a person (toolwright approvals show ${open.id}); it is not promoted around that request.`);
    }
  }
  // A promotion of a tool is proven like a tool change: the target against the version in force, on every stored case.
  const proven = change.kind === 'promote-version' && target.kind === 'tool' && target.spec !== undefined;
  let cases: Awaited<ReturnType<typeof casesFor>> = [];
  if (proven && target.spec !== undefined && !requestsCapabilities(target.spec)) {
    try {
      cases = await casesFor(parts, target.spec, evidence.cases);
    } catch (error) {
      return failed(change, error, target);
    }
  }
  const context: PolicyContext = { ...(current === undefined ? {} : { current }), candidate: target };
  const pre = await assessFirst(parts, proposal, context, proven ? { assumeTested: cases.length > 0 } : {});
  if ('denied' in pre) return pre.denied;
  let verdict: Verdict | undefined;
  if (cases.length > 0) {
    try {
      verdict = await parts.regression.compare({
        candidate: target,
        baseline: current,
        cases,
        ...(evidence.signal === undefined ? {} : { signal: evidence.signal }),
        capabilities: 'declared',
      });
    } catch (error) {
      return failed(change, error, target);
    }
  }
  const fromVersion = fromVersionOf(change);
  return decideInUnit(parts, proposal, { ...context, ...(verdict === undefined ? {} : { verdict }) }, {
    apply: async (unit, decision) => {
      const stale = await staleRollout(parts, change, unit);
      if (stale !== undefined) {
        throw new RegistryError('REGISTRY_INVALID_TRANSITION', `Cannot apply this ${change.kind}: ${stale}. Propose it again against what is in force.`, { details: { name: change.name, version: target.version } });
      }
      const applied = await applyRollout(parts, change, evidence.reason ?? `${change.kind} allowed by policy`, unit);
      const summary = describeApplied(change, applied.version);
      const auditId = await recordOutcome(parts, unit, {
        change, evidence, status: 'applied', summary, decision, registryChanges: applied.changes, fromVersion, toVersion: target.version, extra: extraOf(change),
        ...(verdict === undefined ? {} : { verdict }),
      });
      return { status: 'applied', change, decision, summary, auditId, ...(applied.version === undefined ? {} : { version: applied.version }), ...(verdict === undefined ? {} : { verdict }) };
    },
    onQueued: queued(parts, proposal, { fromVersion, version: target }),
  });
}

/** An approved rollout change, applied inside the approval's unit (after the recheck and the approval's record). */
export async function applyRolloutApproved(parts: GateParts, proposal: Proposal<RolloutChange>, approval: Approval, step: GateStep, unit: UnitOfWork, verdict?: Verdict): Promise<GateOutcome> {
  const { change, evidence } = proposal;
  const applied = await applyRollout(parts, change, evidence.reason ?? `approved by ${step.by}`, unit);
  const decision: Decision = { outcome: 'allow', reasons: [{ rule: 'approved', detail: `Approved by ${step.by} in request ${approval.id}.` }] };
  const summary = `${describeApplied(change, applied.version)} Approved in request ${approval.id}.`;
  const auditId = await recordOutcome(parts, unit, {
    change, evidence, status: 'applied', summary, decision, approvalId: approval.id, registryChanges: applied.changes, actor: { kind: 'person', id: step.by },
    fromVersion: fromVersionOf(change), toVersion: targetVersionOf(change), extra: extraOf(change), ...(verdict === undefined ? {} : { verdict }),
  });
  return { status: 'applied', change, decision, summary, auditId, ...(applied.version === undefined ? {} : { version: applied.version }), ...(verdict === undefined ? {} : { verdict }) };
}
