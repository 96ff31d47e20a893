import type { Decision, DecisionReason } from '@toolwright/core';
import { appendOnlyRulesRule } from './append-only-rules.js';
import { boundedEvolutionRule } from './bounded-evolution.js';
import { capabilityEnvelopeRule, envelopeWideningRule } from './capability-envelope.js';
import { contradictsImmutableRule } from './contradicts-immutable.js';
import type { Finding, Rule, RuleInput } from './finding.js';
import { immutableSectionsRule } from './immutable-sections.js';
import { killSwitchRule } from './kill-switch.js';
import { pinnedRule } from './pinned.js';
import { regressionVerdictRule, riskApprovalRule } from './risk-approval.js';
import { metricGamingRule, trajectoryAccelerationRule, trajectoryFreezeRule } from './trajectory.js';

/** Every rule after the kill switch, in the order their reasons are listed. */
const RULES: readonly Rule[] = [
  immutableSectionsRule,
  contradictsImmutableRule,
  appendOnlyRulesRule,
  pinnedRule,
  capabilityEnvelopeRule,
  envelopeWideningRule,
  trajectoryFreezeRule,
  metricGamingRule,
  regressionVerdictRule,
  boundedEvolutionRule,
  trajectoryAccelerationRule,
  riskApprovalRule,
];

/** The combined result of every rule. */
export interface Evaluation {
  readonly outcome: Decision['outcome'];
  /** The reasons of the rules that decided the outcome (every denial, or every needs-approval, or every allow). */
  readonly reasons: DecisionReason[];
  /** True when a trajectory guard froze the tool in this review. */
  readonly freeze: boolean;
}

const toReason = (finding: Finding): DecisionReason => ({ rule: finding.rule, detail: finding.detail });

/**
 * Applies every rule. The kill switch, when engaged, decides alone. Otherwise any denial
 * denies; else any needs-approval queues; else the change is allowed. When the change would
 * be queued but the queue is full, it is denied (`approval-queue-full`).
 */
export function evaluate(input: RuleInput): Evaluation {
  const killed = killSwitchRule(input);
  if (killed.length > 0) return { outcome: 'deny', reasons: killed.map(toReason), freeze: false };
  const findings = RULES.flatMap((rule) => rule(input));
  const freeze = findings.some((finding) => finding.freeze === true);
  const denials = findings.filter((finding) => finding.outcome === 'deny');
  if (denials.length > 0) return { outcome: 'deny', reasons: denials.map(toReason), freeze };
  const approvals = findings.filter((finding) => finding.outcome === 'needs-approval');
  if (approvals.length > 0) {
    const { maxPendingApprovals } = input.config.evolution;
    if (input.facts.existingProposal === undefined && input.facts.pendingApprovals >= maxPendingApprovals) {
      return {
        outcome: 'deny',
        reasons: [
          {
            rule: 'approval-queue-full',
            detail: `${input.facts.pendingApprovals} requests already wait for a person (maximum ${maxPendingApprovals}); this change needs approval and is refused until the queue drains.`,
          },
        ],
        freeze,
      };
    }
    return { outcome: 'needs-approval', reasons: approvals.map(toReason), freeze };
  }
  return { outcome: 'allow', reasons: findings.map(toReason), freeze };
}
