import type { Decision } from '@toolwright/core';
import type { Finding, Rule } from './finding.js';

/**
 * `regression-verdict` (agent tool changes with a verdict): denied when the verdict rejects the
 * candidate, is about another tool, or says promote while recording regressions.
 */
export const regressionVerdictRule: Rule = ({ review }) => {
  const change = review.change;
  const verdict = review.verdict;
  if (change.origin !== 'agent' || verdict === undefined || (change.kind !== 'create-tool' && change.kind !== 'rewrite-tool')) return [];
  if (verdict.tool !== change.name) {
    return [{ rule: 'regression-verdict', outcome: 'deny', detail: `The verdict is about "${verdict.tool}", not "${change.name}": evidence from another tool proves nothing.` }];
  }
  if (verdict.decision === 'reject') {
    return [{ rule: 'regression-verdict', outcome: 'deny', detail: `The regression runner rejected "${change.name}": ${verdict.reasons.join(' ') || 'no reason given'}` }];
  }
  const regressed = verdict.cases.filter((result) => result.regressed).length;
  if (verdict.totals.regressions > 0 || regressed > 0) {
    return [
      {
        rule: 'regression-verdict',
        outcome: 'deny',
        detail: `The verdict for "${change.name}" says promote but records ${Math.max(verdict.totals.regressions, regressed)} regression(s): an inconsistent verdict is not proof.`,
      },
    ];
  }
  return [];
};

function finding(outcome: Decision['outcome'], detail: string): Finding {
  return { rule: 'risk-approval', outcome, detail };
}

/**
 * `risk-approval`: how much trust an agent change needs, by risk (all configurable in `approval`).
 * Defaults: a pure tool (no capabilities) that passed regression is allowed; a tool that requests
 * `fetch` needs a person; a tool change without a verdict needs a person; a prompt change (or a
 * prompt-section rollback) needs a person; a learned rule, a tool rollback and a pin are allowed.
 * A person's change is allowed here (a person proposed it).
 */
export const riskApprovalRule: Rule = ({ review, config }) => {
  const change = review.change;
  const { approval } = config;
  // envelope-widening decides grants, for both origins.
  if (change.kind === 'grant-capability') return [];
  if (change.origin === 'person') return [finding('allow', 'Proposed by a person: nothing further to approve.')];
  switch (change.kind) {
    case 'create-tool':
    case 'rewrite-tool': {
      const findings: Finding[] = [];
      const origins = change.spec.capabilities.flatMap((capability) => capability.origins);
      if (origins.length > 0) {
        const before = review.current?.spec?.capabilities.flatMap((capability) => capability.origins) ?? [];
        const added = origins.filter((origin) => !before.includes(origin));
        findings.push(
          finding(
            approval.network,
            `"${change.name}" uses the network (fetch to ${origins.join(', ')}${
              change.kind === 'rewrite-tool' && added.length > 0 ? `; this rewrite adds ${added.join(', ')}` : ''
            }): network tools need a person.`,
          ),
        );
      }
      const verdict = review.verdict;
      if (verdict === undefined) {
        findings.push(finding(approval.untestedTool, `"${change.name}" has no regression verdict yet: untested tools are not promoted automatically.`));
      } else if (verdict.decision === 'promote' && findings.length === 0) {
        findings.push(finding('allow', `Pure tool (no capabilities) that passed regression (${verdict.totals.candidatePassed}/${verdict.totals.cases} cases).`));
      }
      return findings;
    }
    case 'change-prompt-section':
      return [finding(approval.promptChange, `Changing prompt section "${change.name}": prompt changes need a person.`)];
    case 'add-learned-rule':
      return [finding(approval.learnedRule, `Adding learned rule "${change.name}" (append-only, capped, checked against the immutable sections).`)];
    case 'rollback':
      return review.current?.kind === 'prompt-section'
        ? [finding(approval.promptChange, `Rolling prompt section "${change.name}" back to version ${change.toVersion}: prompt changes need a person.`)]
        : [finding(approval.rollback, `Rolling "${change.name}" back from version ${change.fromVersion} to ${change.toVersion}.`)];
    case 'pin':
    case 'unpin':
      return [finding(approval.pin, `${change.kind === 'pin' ? 'Pinning' : 'Unpinning'} "${change.name}".`)];
  }
};
