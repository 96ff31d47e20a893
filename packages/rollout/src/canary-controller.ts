import { type ChangeGate, type GateStatus, type Policy, PolicyError, RolloutError } from '@toolwright/core';
import { randomUUID } from 'node:crypto';
import type { CanaryPlan, Experiment, ExperimentArm } from './experiment.js';
import { gateReviewer } from './gate-reviewer.js';
import { internalsOf, type Rollout } from './rollout.js';
import { abVerdict, type StopRule } from './statistics/ab-test.js';
import { callsOf, EMPTY_COUNTS } from './statistics/arm-counts.js';
import { canaryTestDefaults, canaryVerdict } from './statistics/canary-test.js';

/**
 * A change of what serves an artifact that the policy must review: widening a canary past its
 * current step, and ending an A/B test by promoting its winner. Through the gate
 * ({@link gateReviewer}, the default) they are core's `widen-rollout` and `promote-version`
 * changes. (A rollback is a core `rollback` change and goes to the gate directly.)
 */
export interface RolloutProposal {
  readonly kind: 'widen-rollout' | 'promote-winner';
  readonly experimentId: string;
  readonly artifact: string;
  /** The version serving today: the canary's baseline, the A/B test's control. */
  readonly fromVersion: number;
  /** The version that would serve more calls: the canary's candidate, the A/B winner. */
  readonly toVersion: number;
  /** For `widen-rollout`: the candidate's share now and after. */
  readonly fromShare?: number;
  readonly toShare?: number;
  /** For `promote-winner`: the winning arm. */
  readonly winner?: ExperimentArm;
  /** One sentence with the figures. */
  readonly reason: string;
  /** The statistics the proposal rests on (JSON). */
  readonly evidence: unknown;
}

/**
 * Reviews {@link RolloutProposal}s — the policy's say over widening and promotions. Answer
 * `applied` to go ahead; any other status holds the experiment where it is. Called again at
 * later looks while the proposal stands, so it must be idempotent (the gate is).
 */
export interface RolloutReviewer {
  review(proposal: RolloutProposal): Promise<RolloutReview>;
}

/** A reviewer's answer. */
export interface RolloutReview {
  readonly status: GateStatus;
  readonly summary: string;
  /**
   * A person rejected this very change (the gate's rule `rejected-by-person`): the controller
   * ends the experiment instead of holding it forever — an A/B test stops with the control
   * serving; a canary is rolled back to its baseline through the gate.
   */
  readonly rejectedByPerson?: boolean;
}

/** Options of {@link createCanaryController}. */
export interface CanaryControllerOptions {
  readonly rollout: Rollout;
  /** The one gate: every rollback is `gate.propose({ kind: 'rollback', … })`. */
  readonly gate: ChangeGate;
  /** Its kill switch (`policy.killSwitch`) freezes every experiment at its baseline. */
  readonly policy?: Policy;
  /**
   * Reviews widening and A/B promotions. Default: the gate ({@link gateReviewer}: `widen-rollout`
   * and `promote-version` changes, reviewed by the policy and audited). Pass another to decide
   * elsewhere (a test, a dry run).
   */
  readonly reviewer?: RolloutReviewer;
  /**
   * How long a claimed rollback (`plan.rollbackClaim`) keeps other looks away, in ms: longer than
   * a gate call takes. Default 60,000. After it, the claim counts as abandoned and is taken again.
   */
  readonly rollbackClaimMs?: number;
}

/** What one look did to one experiment. */
export interface ControllerStep {
  readonly experimentId: string;
  readonly action:
    | 'none'
    | 'widened'
    | 'widen-held'
    | 'completed'
    | 'rolled-back'
    | 'rollback-refused'
    | 'frozen'
    | 'resumed'
    | 'ended-without-winner'
    | 'promoted'
    | 'promotion-held'
    | 'stopped';
  readonly reason: string;
  /** The experiment after the step. */
  readonly experiment: Experiment;
}

/** Drives live experiments: widens, rolls back, freezes, ends — always through the gate or the reviewer. */
export interface CanaryController {
  /** Starts a canary (see `Rollout.startCanary`); refused while the kill switch is on. */
  startCanary(input: Parameters<Rollout['startCanary']>[0]): Promise<Experiment>;
  /** Starts an A/B test (see `Rollout.startAbTest`); refused while the kill switch is on. */
  startAbTest(input: Parameters<Rollout['startAbTest']>[0]): Promise<Experiment>;
  /**
   * One look at every live experiment: flushes and reads every instance's counts, freezes all
   * of them while the kill switch is on (and resumes them when it is off), runs each one's
   * sequential test and acts on it. Call it on a timer or after a batch of calls; any number of
   * looks keeps the false-alarm bound.
   */
  tick(): Promise<ControllerStep[]>;
  /**
   * A person ends an experiment. A canary is rolled back to its baseline through the gate; an
   * A/B test keeps its control (nothing in force changes).
   */
  stop(id: string, step: { readonly by: string; readonly reason: string }): Promise<ControllerStep>;
  /**
   * What is in force changed outside the experiment (the gate applied another rewrite, a rollback
   * or a promotion of `artifact`): every live experiment on it ends as `stopped` (event
   * `superseded`), with nothing proposed — the registry already moved on, and serving the
   * experiment's versions would hide the new one. With `promoted` (the gate applied the
   * experiment's own `promote-version` — a person approved the winner), that experiment is not
   * superseded but `completed` with that arm as the winner, and only the others stop.
   */
  supersede(artifact: string, reason: string, options?: { readonly promoted?: { readonly experimentId: string; readonly version: number } }): Promise<ControllerStep[]>;
}

const CANARY_DEFAULT_PLAN: CanaryPlan = { kind: 'canary', steps: [0.1, 0.5, 1], test: {} };

/**
 * The canary controller: a promoted candidate starts at a small share, steps up (10 → 50 →
 * 100 % by default) while the sequential test (`canaryVerdict`) says it is not worse than its
 * baseline, and is rolled back through the gate, with the evidence, as soon as it says worse.
 * It also ends A/B tests by their stop rule.
 *
 * @example
 * ```ts
 * const controller = createCanaryController({ rollout, gate, policy, reviewer });
 * await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4 });
 * setInterval(() => void controller.tick(), 10_000);
 * ```
 */
export function createCanaryController(options: CanaryControllerOptions): CanaryController {
  const { rollout, gate, policy } = options;
  const reviewer: RolloutReviewer = options.reviewer ?? gateReviewer(gate);
  const internals = internalsOf(rollout);
  const claimMs = options.rollbackClaimMs ?? 60_000;
  const claimant = `controller-${randomUUID()}`;

  /** A rollback another look claimed and is still within its time: leave the canary alone. */
  const claimedRollback = (experiment: Experiment): string | undefined => {
    const claim = experiment.plan.kind === 'canary' ? experiment.plan.rollbackClaim : undefined;
    if (claim === undefined || internals.clock() - claim.at >= claimMs) return undefined;
    return `A rollback is being proposed to the gate (claimed by ${claim.by}); this look leaves it alone.`;
  };

  const killSwitchEngaged = async (): Promise<boolean> => (policy?.killSwitch === undefined ? false : (await policy.killSwitch.state()).engaged);

  const refuseWhileKilled = async (what: string) => {
    if (await killSwitchEngaged()) {
      throw new PolicyError('POLICY_KILL_SWITCH', `Cannot ${what}: the kill switch is on. Release it (toolwright kill-switch release) first.`);
    }
  };

  const step = (experiment: Experiment, action: ControllerStep['action'], reason: string): ControllerStep => ({ experimentId: experiment.id, action, reason, experiment });

  /** Applies a transition; when another instance moved first, reports its state instead. */
  const move = async (
    experiment: Experiment,
    patch: Parameters<typeof internals.transition>[1],
    event: string,
    data: Record<string, unknown>,
    action: ControllerStep['action'],
    reason: string,
  ): Promise<ControllerStep> => {
    const updated = await internals.transition(experiment, patch, { event, data: { reason, ...data } });
    if (updated === undefined) {
      const current = (await internals.store.get(experiment.id)) ?? experiment;
      return step(current, 'none', 'Another instance changed the experiment first; its change stands.');
    }
    return step(updated, action, reason);
  };

  const arm = (experiment: Experiment, index: number): ExperimentArm => experiment.arms[index] as ExperimentArm;

  const rollBack = async (seen: Experiment, reason: string, evidence: unknown, by?: string): Promise<ControllerStep> => {
    // Claim the rollback first (compare-and-set on the revision), durably in the plan: of several
    // instances looking at once, or at the next look while the gate call is still running, one
    // proposes it to the gate; the others see the claim and leave it until it times out.
    const claimed = claimedRollback(seen);
    if (claimed !== undefined) return step(seen, 'none', claimed);
    const plan = seen.plan.kind === 'canary' ? seen.plan : CANARY_DEFAULT_PLAN;
    const experiment = await internals.transition(
      seen,
      { plan: { ...plan, rollbackClaim: { at: internals.clock(), by: claimant } } },
      { event: 'rollback-proposed', data: { reason, ...(by === undefined ? {} : { by }) } },
    );
    if (experiment === undefined) {
      const current = (await internals.store.get(seen.id)) ?? seen;
      return step(current, 'none', 'Another instance is rolling the canary back.');
    }
    const baseline = arm(experiment, 0);
    const candidate = arm(experiment, 1);
    const outcome = await gate.propose(
      { kind: 'rollback', origin: by === undefined ? 'agent' : 'person', name: experiment.artifact, fromVersion: candidate.version, toVersion: baseline.version },
      { reason: `Canary ${experiment.id}: ${reason}`, ...(by === undefined ? {} : { by }) },
    );
    const gateFacts = { status: outcome.status, summary: outcome.summary, ...(outcome.auditId === undefined ? {} : { auditId: outcome.auditId }) };
    if (outcome.status === 'applied') {
      return move(
        experiment,
        { status: 'rolled-back', allocation: { baseline: 1, candidate: 0 }, outcome: { result: 'rolled-back', reason, evidence, ...(by === undefined ? {} : { by }) } },
        'rolled-back',
        { gate: gateFacts, evidence },
        'rolled-back',
        reason,
      );
    }
    // The gate did not roll back (queued for a person, denied): every call goes to the baseline
    // meanwhile — narrowing exposure changes nothing in force — and nobody proposes it again.
    return move(
      experiment,
      { allocation: { baseline: 1, candidate: 0 } },
      'rollback-refused',
      { gate: gateFacts, evidence },
      'rollback-refused',
      `${reason} The gate answered ${outcome.status}: ${outcome.summary} Every call goes to the baseline until a person resolves it.`,
    );
  };

  const evaluateCanary = async (experiment: Experiment): Promise<ControllerStep> => {
    const plan = experiment.plan.kind === 'canary' ? experiment.plan : CANARY_DEFAULT_PLAN;
    if ((experiment.allocation['candidate'] ?? 0) === 0) return step(experiment, 'none', 'Held at the baseline after a refused rollback.');
    const claimed = claimedRollback(experiment);
    if (claimed !== undefined) return step(experiment, 'none', claimed);
    const counts = rollout.counts(experiment.id);
    const verdict = canaryVerdict(counts['candidate'] ?? EMPTY_COUNTS, counts['baseline'] ?? EMPTY_COUNTS, plan.test);
    if (verdict.decision === 'worse') return rollBack(experiment, verdict.reason, verdict.evidence);
    if (verdict.decision === 'undecided') return step(experiment, 'none', verdict.reason);
    const candidateCalls = callsOf(counts['candidate'] ?? EMPTY_COUNTS);
    const newCalls = candidateCalls - (plan.stepStartCalls ?? 0);
    const minCalls = canaryTestDefaults(plan.test).minCalls;
    if (newCalls < minCalls) {
      return step(experiment, 'none', `Not worse so far; the candidate needs ${minCalls} calls at this step before the next (${newCalls} so far).`);
    }
    const from = plan.steps[experiment.step] ?? 1;
    const to = plan.steps[experiment.step + 1];
    if (to === undefined) {
      return move(experiment, { status: 'completed', outcome: { result: 'promoted', winner: 'candidate', reason: verdict.reason, evidence: verdict.evidence } }, 'completed', { evidence: verdict.evidence }, 'completed', verdict.reason);
    }
    const proposal: RolloutProposal = {
      kind: 'widen-rollout',
      experimentId: experiment.id,
      artifact: experiment.artifact,
      fromVersion: arm(experiment, 0).version,
      toVersion: arm(experiment, 1).version,
      fromShare: from,
      toShare: to,
      reason: `Widen the canary of ${experiment.artifact} from ${Math.round(from * 100)} % to ${Math.round(to * 100)} %: ${verdict.reason}`,
      evidence: verdict.evidence,
    };
    const review = await reviewer.review(proposal);
    if (review.rejectedByPerson === true) return rollBack(experiment, `A person rejected widening the canary: ${review.summary}`, { review });
    if (review.status === 'queued') return step(experiment, 'widen-held', `${proposal.reason} Held: ${review.summary}`);
    if (review.status !== 'applied') {
      // Denied (a cap, a pin) or failed: ask again only after another minCalls candidate calls,
      // not at every look, so a standing refusal is not re-reviewed and re-audited on a timer.
      return move(experiment, { plan: { ...plan, stepStartCalls: candidateCalls } }, 'widen-held', { review }, 'widen-held', `${proposal.reason} Held: ${review.summary}`);
    }
    const allocation = { baseline: 1 - to, candidate: to };
    if (to >= 1) {
      return move(
        experiment,
        { status: 'completed', step: experiment.step + 1, allocation, outcome: { result: 'promoted', winner: 'candidate', reason: verdict.reason, evidence: verdict.evidence } },
        'completed',
        { review, evidence: verdict.evidence, fromShare: from, toShare: to },
        'completed',
        proposal.reason,
      );
    }
    return move(experiment, { step: experiment.step + 1, allocation, plan: { ...plan, stepStartCalls: candidateCalls } }, 'widened', { review, evidence: verdict.evidence, fromShare: from, toShare: to }, 'widened', proposal.reason);
  };

  const evaluateAb = async (experiment: Experiment): Promise<ControllerStep> => {
    const rule = experiment.plan as StopRule;
    const counts = rollout.counts(experiment.id);
    const verdict = abVerdict(
      experiment.arms.map((entry) => ({ name: entry.name, counts: counts[entry.name] ?? EMPTY_COUNTS })),
      rule,
    );
    if (verdict.status === 'running') return step(experiment, 'none', verdict.reason);
    if (verdict.status === 'no-winner') {
      return move(
        experiment,
        { status: 'stopped', outcome: { result: 'no-winner', reason: verdict.reason, evidence: verdict } },
        'ended',
        { evidence: verdict },
        'ended-without-winner',
        verdict.reason,
      );
    }
    const winner = experiment.arms.find((entry) => entry.name === verdict.winner) as ExperimentArm;
    const proposal: RolloutProposal = {
      kind: 'promote-winner',
      experimentId: experiment.id,
      artifact: experiment.artifact,
      fromVersion: arm(experiment, 0).version,
      toVersion: winner.version,
      winner,
      reason: `Promote ${experiment.artifact} v${winner.version} (${winner.name}), the winner of A/B test ${experiment.id}: ${verdict.reason}`,
      evidence: verdict,
    };
    const review = await reviewer.review(proposal);
    if (review.rejectedByPerson === true) {
      const reason = `A person rejected promoting ${experiment.artifact} v${winner.version} (${winner.name}): ${review.summary} The control keeps serving.`;
      return move(experiment, { status: 'stopped', outcome: { result: 'stopped', reason, evidence: verdict } }, 'stopped', { review }, 'stopped', reason);
    }
    if (review.status !== 'applied') return step(experiment, 'promotion-held', `${proposal.reason} Held: ${review.summary}`);
    return move(
      experiment,
      { status: 'completed', outcome: { result: 'promoted', winner: winner.name, reason: verdict.reason, evidence: verdict } },
      'completed',
      { review, evidence: verdict },
      'promoted',
      proposal.reason,
    );
  };

  return {
    async startCanary(input) {
      await refuseWhileKilled('start a canary');
      return rollout.startCanary(input);
    },

    async startAbTest(input) {
      await refuseWhileKilled('start an A/B test');
      return rollout.startAbTest(input);
    },

    async tick() {
      await rollout.flush();
      const killed = await killSwitchEngaged();
      const steps: ControllerStep[] = [];
      for (const experiment of internals.live()) {
        if (killed) {
          if (experiment.status === 'running') {
            steps.push(await move(experiment, { status: 'frozen' }, 'frozen', {}, 'frozen', 'The kill switch is on: every call goes to the baseline until it is released.'));
          } else steps.push(step(experiment, 'none', 'Frozen: the kill switch is on.'));
          continue;
        }
        const current = experiment.status === 'frozen' ? await move(experiment, { status: 'running' }, 'resumed', {}, 'resumed', 'The kill switch is off: the experiment resumes.') : undefined;
        const running = current?.experiment ?? experiment;
        if (current !== undefined && current.action === 'none') {
          steps.push(current);
          continue;
        }
        const next = running.kind === 'canary' ? await evaluateCanary(running) : await evaluateAb(running);
        steps.push(current !== undefined && next.action === 'none' ? { ...current, experiment: next.experiment } : next);
      }
      return steps;
    },

    async supersede(artifact, reason, options = {}) {
      const steps: ControllerStep[] = [];
      for (const experiment of internals.live().filter((entry) => entry.artifact === artifact)) {
        const winner = options.promoted?.experimentId === experiment.id ? experiment.arms.find((entry) => entry.version === options.promoted?.version) : undefined;
        if (winner !== undefined) {
          const why = `The gate applied the promotion of ${artifact} v${winner.version} (${winner.name}), the winner of experiment ${experiment.id}: ${reason}`;
          steps.push(await move(experiment, { status: 'completed', outcome: { result: 'promoted', winner: winner.name, reason: why } }, 'completed', {}, experiment.kind === 'ab' ? 'promoted' : 'completed', why));
          continue;
        }
        steps.push(await move(experiment, { status: 'stopped', outcome: { result: 'stopped', reason } }, 'superseded', {}, 'stopped', `Superseded: ${reason}`));
      }
      return steps;
    },

    async stop(id, by) {
      const experiment = await internals.store.get(id);
      if (experiment === undefined) throw new RolloutError('ROLLOUT_NOT_FOUND', `No experiment has id ${id}: list them with toolwright experiments list.`, { details: { id } });
      if (experiment.status !== 'running' && experiment.status !== 'frozen') {
        throw new RolloutError('ROLLOUT_CONFLICT', `Experiment ${id} already ended (${experiment.status}); there is nothing to stop.`, { details: { id, status: experiment.status } });
      }
      if (experiment.kind === 'canary') return rollBack(experiment, `Stopped by ${by.by}: ${by.reason}`, { by: by.by }, by.by);
      return move(
        experiment,
        { status: 'stopped', outcome: { result: 'stopped', reason: by.reason, by: by.by } },
        'stopped',
        { by: by.by },
        'stopped',
        `Stopped by ${by.by}: ${by.reason}. The control keeps serving.`,
      );
    },
  };
}
