import {
  canonicalJson,
  contentHash,
  describeFailures,
  examplesAsCases,
  PolicyError,
  ValidationError,
  type ArtifactVersion,
  type Change,
  type GateOutcome,
  type RegressionCase,
  type ToolManifest,
  type Verdict,
} from '@toolwright/core';
import type { RegistryWrite } from '@toolwright/registry/writer';
import { runInUnit } from '@toolwright/store';
import { assessFirst, decideInUnit, describeName } from './decide.js';
import type { GateParts, Proposal, UnitOfWork } from './gate-parts.js';
import { authorOf, decisionText, failed, recordOutcome } from './outcome.js';

type ToolChange = Extract<Change, { kind: 'create-tool' | 'rewrite-tool' }>;

/**
 * Every case a candidate must pass: the evidence's, the spec's examples, and the stored ones
 * (held-out included), one per distinct input (the first wins).
 */
export async function casesFor(parts: GateParts, spec: ToolManifest, extra: readonly RegressionCase[] = []): Promise<RegressionCase[]> {
  const stored = await parts.regression.cases(spec.name, { includeHeldOut: true });
  const byInput = new Map<string, RegressionCase>();
  for (const item of [...extra, ...examplesAsCases(spec.name, spec.examples), ...stored]) {
    const key = contentHash(item.input);
    if (!byInput.has(key)) byInput.set(key, item);
  }
  return [...byInput.values()];
}

/** True when the candidate asks for a capability that reaches outside the sandbox. */
export function requestsCapabilities(spec: ToolManifest): boolean {
  return spec.capabilities.length > 0;
}

/**
 * A new tool or a rewrite: assess (before anything runs) → register the candidate → test it →
 * review + promote or reject + audit in one transaction.
 *
 * A candidate that needs a person and asks for capabilities is run with none before it is
 * queued (its behaviour without the network is evidence for the person, not a verdict); the
 * live test runs after the approval, before it is applied.
 */
export async function proposeTool(parts: GateParts, proposal: Proposal<ToolChange>): Promise<GateOutcome> {
  const { change, evidence } = proposal;
  if (change.spec.name !== change.name) {
    return failed(change, new ValidationError('INVALID_ARGUMENT', `The ${change.kind} names "${change.name}" but its spec names "${change.spec.name}"; they must agree.`));
  }
  const current = await parts.registry.active(change.name);
  if (current !== undefined && sameContent(current, change)) return alreadyActive(change, current);
  if (change.kind === 'create-tool' && current !== undefined) {
    return failed(change, new ValidationError('INVALID_ARGUMENT', `A tool named "${change.name}" is already active (v${current.version}); propose a rewrite-tool of it, or choose another name.`));
  }
  if (change.kind === 'rewrite-tool' && current?.version !== change.fromVersion) {
    return failed(change, new ValidationError('INVALID_ARGUMENT', `The rewrite of "${change.name}" is from v${change.fromVersion}, but the active version is ${current === undefined ? 'none' : `v${current.version}`}; propose it again from what is in force.`));
  }
  const context = { ...(current === undefined ? {} : { current }), ...(evidence.diagnosis === undefined ? {} : { diagnosis: evidence.diagnosis }) };
  let cases: RegressionCase[];
  try {
    cases = await casesFor(parts, change.spec, evidence.cases);
  } catch (error) {
    return failed(change, error);
  }
  // Judged as it will be once tested (when there is something to test it on), before anything runs.
  const pre = await assessFirst(parts, proposal, context, { assumeTested: cases.length > 0 });
  if ('denied' in pre) return pre.denied;

  let candidate: ArtifactVersion;
  try {
    candidate = (
      await parts.writer.register({
        kind: 'tool',
        name: change.name,
        source: change.source,
        spec: change.spec,
        author: authorOf(change, evidence),
        reason: (evidence.reason ?? `${change.kind} proposed by ${change.origin === 'person' ? (evidence.by ?? 'a person') : 'the agent'}`).slice(0, 4000),
        parent: current?.version ?? null,
      })
    ).value;
  } catch (error) {
    return failed(change, error);
  }
  const settled = await alreadySettled(parts, change, candidate);
  if (settled !== undefined) return settled;

  // With no case at all nothing runs: the policy decides on an untested tool (its own rule).
  const untestedLive = pre.outcome === 'needs-approval' && requestsCapabilities(change.spec);
  let verdict: Verdict | undefined;
  let offlineEvidence: Verdict | undefined;
  if (cases.length > 0) {
    try {
      const run = await parts.regression.compare({
        candidate,
        baseline: current,
        cases,
        ...(evidence.diagnosis === undefined ? {} : { diagnosis: evidence.diagnosis }),
        ...(evidence.signal === undefined ? {} : { signal: evidence.signal }),
        capabilities: untestedLive ? 'none' : 'declared',
      });
      if (untestedLive) offlineEvidence = run;
      else verdict = run;
    } catch (error) {
      return failed(change, error, candidate);
    }
    if (verdict?.decision === 'reject') return rejectCandidate(parts, proposal, candidate, verdict, current);
  }

  return decideInUnit(parts, proposal, { ...context, ...(verdict === undefined ? {} : { verdict }), candidate }, {
    apply: async (unit, decision) => {
      if (untestedLive) throw new PolicyError('POLICY_APPROVAL_REQUIRED', `The policy's answer for "${change.name}" changed between its first look and its review; nothing was applied. Propose it again.`);
      return promoteCandidate(parts, proposal, unit, { candidate, current, verdict, decision });
    },
    onQueued: async (unit, decision) => {
      const approvalId = decision.approvalId ?? '';
      const note = untestedLive
        ? ` It ran without any capability for the evidence (${offlineEvidence === undefined ? 'no case' : `${offlineEvidence.totals.candidatePassed} of ${offlineEvidence.totals.cases} case(s) passed offline`}); it is tested live after approval.`
        : '';
      const summary = `Tool "${change.name}" v${candidate.version} waits for a person's approval (request ${approvalId}): ${decisionText(decision)}.${note}`;
      const auditId = await recordOutcome(parts, unit, {
        change, evidence, status: 'queued', summary, decision, approvalId, toVersion: candidate.version,
        ...(verdict === undefined ? {} : { verdict }),
        ...(current === undefined ? {} : { fromVersion: current.version }),
        extra: { testedLive: !untestedLive && verdict !== undefined, ...(offlineEvidence === undefined ? {} : { offline: { ...offlineEvidence.totals } }) },
      });
      return { status: 'queued', change, decision, approvalId, version: candidate, summary, auditId, ...(verdict === undefined ? {} : { verdict }) };
    },
    onDenied: async (unit, decision) => {
      const summary = `The safety policy denied tool "${change.name}" v${candidate.version}: ${decisionText(decision)}`;
      const rejected = await parts.writer.reject(change.name, candidate.version, summary.slice(0, 4000), { unit });
      const auditId = await recordOutcome(parts, unit, { change, evidence, status: 'denied', summary, decision, toVersion: candidate.version, registryChanges: rejected.changes, ...(verdict === undefined ? {} : { verdict }) });
      return { status: 'denied', change, decision, version: rejected.value, summary, auditId };
    },
  });
}

/** Promotes an allowed (or approved) candidate, stores its examples as cases and audits, all inside `unit`. */
export async function promoteCandidate(
  parts: GateParts,
  proposal: Proposal<ToolChange>,
  unit: UnitOfWork,
  step: { readonly candidate: ArtifactVersion; readonly current: ArtifactVersion | undefined; readonly verdict: Verdict | undefined; readonly decision: Parameters<typeof recordOutcome>[2]['decision'] & object; readonly approvalId?: string; readonly actor?: Parameters<typeof recordOutcome>[2]['actor'] },
): Promise<GateOutcome> {
  const { change, evidence } = proposal;
  const { candidate, current, verdict, decision } = step;
  const promoted: RegistryWrite<ArtifactVersion> = await parts.writer.promote(change.name, candidate.version, { reason: (evidence.reason ?? `${change.kind} allowed by policy`).slice(0, 4000), unit });
  await parts.regression.addExamples(change.spec, { unit });
  const passed = verdict === undefined ? '' : ` after passing ${verdict.totals.candidatePassed} of ${verdict.totals.cases} case(s)`;
  const summary = `Tool "${change.name}" v${promoted.value.version} is active${passed}${step.approvalId === undefined ? '' : `, approved in request ${step.approvalId}`}.`;
  const auditId = await recordOutcome(parts, unit, {
    change, evidence, status: 'applied', summary, decision, toVersion: promoted.value.version, registryChanges: promoted.changes,
    ...(verdict === undefined ? {} : { verdict }),
    ...(current === undefined ? {} : { fromVersion: current.version }),
    ...(step.approvalId === undefined ? {} : { approvalId: step.approvalId }),
    ...(step.actor === undefined ? {} : { actor: step.actor }),
  });
  return { status: 'applied', change, decision, version: promoted.value, summary, auditId, ...(verdict === undefined ? {} : { verdict }) };
}

/** Rejects a candidate that failed its cases: the registry transition and the audit entry in one transaction. */
export async function rejectCandidate(
  parts: GateParts,
  proposal: Proposal<ToolChange>,
  candidate: ArtifactVersion,
  verdict: Verdict,
  current: ArtifactVersion | undefined,
  extra: { readonly approvalId?: string } = {},
): Promise<GateOutcome> {
  const { change, evidence } = proposal;
  const summary = `Tool "${change.name}" v${candidate.version} failed its cases: ${describeFailures(verdict)}`;
  try {
    return await runInUnit(parts.database, async (unit) => {
      const rejected = await parts.writer.reject(change.name, candidate.version, verdict.reasons.join('; ').slice(0, 4000) || summary.slice(0, 4000), { unit });
      const auditId = await recordOutcome(parts, unit, {
        change, evidence, status: 'failed-regression', summary, verdict, toVersion: candidate.version, registryChanges: rejected.changes,
        ...(current === undefined ? {} : { fromVersion: current.version }),
        ...(extra.approvalId === undefined ? {} : { approvalId: extra.approvalId }),
      });
      return { status: 'failed-regression', change, verdict, version: rejected.value, summary, auditId };
    });
  } catch (error) {
    return failed(change, error, candidate);
  }
}

/**
 * The same content proposed again: already active is applied (nothing to do); already rejected
 * is refused with the original reason, so a model that repeats a failed tool learns why.
 */
function alreadyActive(change: ToolChange, version: ArtifactVersion): GateOutcome {
  return {
    status: 'applied',
    change,
    decision: { outcome: 'allow', reasons: [{ rule: 'already-in-force', detail: `"${change.name}" v${version.version} has this exact content and is active.` }] },
    version,
    summary: `Tool "${change.name}" v${version.version} with this exact content is already active; nothing changed.`,
  };
}

async function alreadySettled(parts: GateParts, change: ToolChange, candidate: ArtifactVersion): Promise<GateOutcome | undefined> {
  if (candidate.status === 'active') return alreadyActive(change, candidate);
  if (candidate.status === 'candidate') return undefined;
  const why = candidate.status === 'rejected' ? await rejectionReason(parts, candidate) : `it is v${candidate.version}, retired; propose a rollback to it instead`;
  const detail = candidate.status === 'rejected' ? `This exact content was rejected before as v${candidate.version}: ${why}` : `This exact content ${why}.`;
  return {
    status: 'denied',
    change,
    decision: { outcome: 'deny', reasons: [{ rule: candidate.status === 'rejected' ? 'rejected-before' : 'retired-before', detail }] },
    version: candidate,
    summary: `${detail} Change the source${describeName(change)} rather than proposing it again.`,
  };
}

async function rejectionReason(parts: GateParts, version: ArtifactVersion): Promise<string> {
  const log = parts.registry.changeLog === undefined ? [] : await parts.registry.changeLog(version.name);
  const entry = log.filter((item) => item.type === 'rejected' && item.version === version.version).at(-1);
  return entry?.reason ?? 'no reason was recorded';
}

function sameContent(version: ArtifactVersion, change: ToolChange): boolean {
  return version.source === change.source && canonicalJson(version.spec ?? null) === canonicalJson(change.spec);
}
