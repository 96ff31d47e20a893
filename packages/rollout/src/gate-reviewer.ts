import type { Change, ChangeGate, ChangeOrigin } from '@toolwright/core';
import type { RolloutProposal, RolloutReviewer } from './canary-controller.js';

/** Options of {@link gateReviewer}. */
export interface GateReviewerOptions {
  /** Who proposes: the agent (default; the policy's risk rules apply) or a person (`by` required). */
  readonly origin?: ChangeOrigin;
  /** The person acting, with `origin: 'person'`. */
  readonly by?: string;
}

/** The core `Change` a rollout proposal is at the gate. */
export function changeOfProposal(proposal: RolloutProposal, origin: ChangeOrigin = 'agent'): Change {
  if (proposal.kind === 'widen-rollout') {
    return {
      kind: 'widen-rollout',
      origin,
      name: proposal.artifact,
      experimentId: proposal.experimentId,
      version: proposal.toVersion,
      baselineVersion: proposal.fromVersion,
      fromShare: proposal.fromShare ?? 0,
      toShare: proposal.toShare ?? 1,
    };
  }
  return { kind: 'promote-version', origin, name: proposal.artifact, fromVersion: proposal.fromVersion, toVersion: proposal.toVersion, experimentId: proposal.experimentId };
}

/**
 * The reviewer that sends widening and A/B promotions through the one gate: a widening is
 * core's `widen-rollout` change, a winner's promotion `promote-version` (the gate makes the
 * winner active in the registry). The policy decides: a pure tool's widening is allowed, a
 * network tool's waits for a person (`toolwright approvals approve <id>`); while it waits, the
 * controller holds the experiment and asks again at the next look, and the gate answers from the
 * same request. Once a person rejected it, the answer says so (`rejectedByPerson`) and the
 * controller ends the experiment. `createCanaryController` uses it when no other reviewer is given.
 *
 * @example
 * ```ts
 * const controller = createCanaryController({ rollout, gate, policy, reviewer: gateReviewer(gate) });
 * ```
 */
export function gateReviewer(gate: ChangeGate, options: GateReviewerOptions = {}): RolloutReviewer {
  const origin = options.origin ?? 'agent';
  return {
    async review(proposal) {
      const outcome = await gate.propose(changeOfProposal(proposal, origin), { reason: proposal.reason.slice(0, 4000), ...(options.by === undefined ? {} : { by: options.by }) });
      const rejectedByPerson = outcome.status === 'denied' && outcome.decision.reasons.some((reason) => reason.rule === 'rejected-by-person');
      return { status: outcome.status, summary: outcome.summary, ...(rejectedByPerson ? { rejectedByPerson } : {}) };
    },
  };
}
