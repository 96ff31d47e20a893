import type { Decision, DecisionReason } from '@toolwright/core';
import { appendOnlyRulesRule } from './append-only-rules.js';
import { boundedEvolutionRule } from './bounded-evolution.js';
import { capabilityEnvelopeRule, envelopeWideningRule } from './capability-envelope.js';
import { contradictsImmutableRule } from './contradicts-immutable.js';
import type { Finding, Rule, RuleInput } from './finding.js';
import { immutableSectionsRule } from './immutable-sections.js';
import { killSwitchRule } from './kill-switch.js';
import { learnedRuleCapRule } from './learned-rule-cap.js';
import { unreadableTextRule } from './unreadable-text.js';
import { pinnedRule } from './pinned.js';
import { protectedPhrasesRule } from './protected-phrases.js';
import { regressionVerdictRule, riskApprovalRule } from './risk-approval.js';
import { metricGamingRule, trajectoryAccelerationRule, trajectoryFreezeRule } from './trajectory.js';

/** Every rule after the kill switch, in the order their reasons are listed. */
const RULES: readonly Rule[] = [
  immutableSectionsRule,
  unreadableTextRule,
  contradictsImmutableRule,
  protectedPhrasesRule,
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
  learnedRuleCapRule,
];

/** The combined result of every rule. */
export interface Evaluation {
  readonly outcome: Decision['outcome'];
  /** The reasons of the rules that decided the outcome (every denial, or every needs-approval, or every allow). */
  readonly reasons: DecisionReason[];
  /** True when a trajectory guard froze the tool in this review. */
  readonly freeze: boolean;
  /** With `allow`: the learned rules to retire when the change takes effect, oldest first. */
  readonly retired: readonly string[];
}

/**
 * `review`: every rule, as at the first review. `recheck`: the rules again when a person's
 * approval is applied — whatever merely asks for a person is left out (a person decided), the
 * queue's size does not matter, anything that denies still does.
 */
export type EvaluationMode = 'review' | 'recheck';

const toReason = (finding: Finding): DecisionReason => ({ rule: finding.rule, detail: finding.detail });

/**
 * Applies every rule. The kill switch, when engaged, decides alone. Otherwise any denial
 * denies; else any needs-approval queues; else the change is allowed. When the change would
 * be queued but the queue is full, it is denied (`approval-queue-full`).
 */
export function evaluate(input: RuleInput, mode: EvaluationMode = 'review'): Evaluation {
  const killed = killSwitchRule(input);
  if (killed.length > 0) return { outcome: 'deny', reasons: killed.map(toReason), freeze: false, retired: [] };
  const findings = RULES.flatMap((rule) => rule(input));
  const freeze = findings.some((finding) => finding.freeze === true);
  const denials = findings.filter((finding) => finding.outcome === 'deny');
  if (denials.length > 0) return { outcome: 'deny', reasons: denials.map(toReason), freeze, retired: [] };
  const approvals = mode === 'review' ? findings.filter((finding) => finding.outcome === 'needs-approval') : [];
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
        retired: [],
      };
    }
    return { outcome: 'needs-approval', reasons: approvals.map(toReason), freeze, retired: [] };
  }
  const allowed = findings.filter((finding) => finding.outcome === 'allow');
  return { outcome: 'allow', reasons: allowed.map(toReason), freeze, retired: allowed.flatMap((finding) => finding.retire ?? []) };
}
