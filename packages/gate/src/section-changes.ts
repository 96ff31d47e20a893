import { LEARNED_RULE_PREFIX, ValidationError, type ArtifactVersion, type Change, type GateOutcome, type PolicyContext } from '@toolwright/core';
import type { RegistryChange } from '@toolwright/registry';
import { runInUnit } from '@toolwright/store';
import { assessFirst } from './decide.js';
import type { GateParts, Proposal } from './gate-parts.js';
import { authorOf, decisionText, failed, recordOutcome } from './outcome.js';

type SectionChange = Extract<Change, { kind: 'change-prompt-section' | 'add-learned-rule' }>;

/** The learned rules in force: the registry's active prompt sections named `learned.…`, oldest first. */
export async function learnedRulesInForce(parts: GateParts): Promise<ArtifactVersion[]> {
  const active = await parts.registry.list({ kind: 'prompt-section', status: 'active' });
  return active.filter((version) => version.name.startsWith(LEARNED_RULE_PREFIX)).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
}

/** `PolicyContext.inForce` from the registry's truth. */
export function inForceOf(rules: readonly ArtifactVersion[]): NonNullable<PolicyContext['inForce']> {
  return { learnedRules: rules.map((rule) => ({ name: rule.name, author: rule.author, since: rule.createdAt })) };
}

/**
 * A prompt section or a learned rule: assess → (one transaction:) register the text as a
 * candidate, review it, then promote it and retire what the cap asks for, or leave it queued,
 * or reject it — with one audit entry. There is nothing to run, so nothing waits outside the transaction.
 */
export async function proposeSection(parts: GateParts, proposal: Proposal<SectionChange>): Promise<GateOutcome> {
  const { change, evidence } = proposal;
  if (change.kind === 'add-learned-rule' && !change.name.startsWith(LEARNED_RULE_PREFIX)) {
    return failed(change, new ValidationError('INVALID_ARGUMENT', `A learned rule is named "${LEARNED_RULE_PREFIX}<something>"; "${change.name}" is not. Rename it.`));
  }
  const current = await parts.registry.active(change.name);
  if (current !== undefined && current.kind !== 'prompt-section') {
    return failed(change, new ValidationError('INVALID_ARGUMENT', `"${change.name}" is a ${current.kind}, not a prompt section; choose another name.`));
  }
  if (current !== undefined && current.source === change.text) {
    return {
      status: 'applied',
      change,
      decision: { outcome: 'allow', reasons: [{ rule: 'already-in-force', detail: `"${change.name}" v${current.version} has this exact text and is active.` }] },
      version: current,
      summary: `"${change.name}" v${current.version} with this exact text is already in force; nothing changed.`,
    };
  }
  const rules = await learnedRulesInForce(parts);
  const context: PolicyContext = { ...(current === undefined ? {} : { current }), inForce: inForceOf(rules) };
  const pre = await assessFirst(parts, proposal, context);
  if ('denied' in pre) return pre.denied;

  const what = change.kind === 'add-learned-rule' ? 'Learned rule' : 'Prompt section';
  try {
    return await runInUnit(parts.database, async (unit): Promise<GateOutcome> => {
      const registered = await parts.writer.register(
        {
          kind: 'prompt-section',
          name: change.name,
          source: change.text,
          author: authorOf(change, evidence),
          reason: (evidence.reason ?? `${change.kind} proposed by ${change.origin === 'person' ? (evidence.by ?? 'a person') : 'the agent'}`).slice(0, 4000),
          parent: current?.version ?? null,
        },
        { unit },
      );
      const candidate = registered.value;
      if (candidate.status === 'rejected') {
        const summary = `${what} "${change.name}": this exact text was rejected before (v${candidate.version}); it is not proposed again.`;
        return { status: 'denied', change, decision: { outcome: 'deny', reasons: [{ rule: 'rejected-before', detail: summary }] }, version: candidate, summary };
      }
      const decision = await parts.policy.review(change, { ...context, candidate }, { unit });
      const versions = { toVersion: candidate.version, ...(current === undefined ? {} : { fromVersion: current.version }) };
      if (decision.outcome === 'needs-approval') {
        const approvalId = decision.approvalId ?? '';
        const summary = `${what} "${change.name}" v${candidate.version} waits for a person's approval (request ${approvalId}): ${decisionText(decision)}`;
        const auditId = await recordOutcome(parts, unit, { change, evidence, status: 'queued', summary, decision, approvalId, registryChanges: registered.changes, ...versions });
        return { status: 'queued', change, decision, approvalId, version: candidate, summary, auditId };
      }
      if (decision.outcome === 'deny') {
        const summary = `The safety policy denied ${what.toLowerCase()} "${change.name}": ${decisionText(decision)}`;
        const rejected = await parts.writer.reject(change.name, candidate.version, summary.slice(0, 4000), { unit });
        const auditId = await recordOutcome(parts, unit, { change, evidence, status: 'denied', summary, decision, registryChanges: [...registered.changes, ...rejected.changes], ...versions });
        return { status: 'denied', change, decision, version: rejected.value, summary, auditId };
      }
      const promoted = await parts.writer.promote(change.name, candidate.version, { reason: (evidence.reason ?? `${change.kind} allowed by policy`).slice(0, 4000), unit });
      const retiredChanges: RegistryChange[] = [];
      const retired = decision.retired ?? [];
      for (const name of retired) {
        const rule = rules.find((version) => version.name === name);
        if (rule === undefined) continue;
        retiredChanges.push(...(await parts.writer.retire(name, rule.version, `retired to keep the cap of learned rules when "${change.name}" was added`, { unit })).changes);
      }
      const summary = `${what} "${change.name}" v${promoted.value.version} is in force${retired.length === 0 ? '' : `; retired to keep the cap: ${retired.join(', ')}`}.`;
      const auditId = await recordOutcome(parts, unit, {
        change, evidence, status: 'applied', summary, decision, registryChanges: [...registered.changes, ...promoted.changes, ...retiredChanges], ...versions,
        ...(retired.length === 0 ? {} : { extra: { retired: [...retired] } }),
      });
      return { status: 'applied', change, decision, version: promoted.value, summary, auditId, ...(retired.length === 0 ? {} : { retired }) };
    });
  } catch (error) {
    return failed(change, error);
  }
}
