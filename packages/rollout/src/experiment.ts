import type { StopRule } from './statistics/ab-test.js';
import type { CanaryTestOptions } from './statistics/canary-test.js';

/** One arm of an experiment: a name and the artifact version it serves. */
export interface ExperimentArm {
  /** Unique within the experiment, e.g. `baseline`, `candidate`, `v3`. */
  readonly name: string;
  readonly version: number;
}

/**
 * Where an experiment is. `running`: serving its allocation. `frozen`: the kill switch is on;
 * every call gets the baseline until it is released. The rest are final: `completed` (a canary
 * at 100 %, or an A/B test that promoted its winner), `rolled-back` (a worse canary), `stopped`
 * (ended without a winner, or by a person).
 */
export type ExperimentStatus = 'running' | 'frozen' | 'completed' | 'rolled-back' | 'stopped';

/** A canary's plan: the shares it steps through, and its sequential test. */
export interface CanaryPlan {
  readonly kind: 'canary';
  /** The candidate's shares, in order, the last 1: default `[0.1, 0.5, 1]`. */
  readonly steps: readonly number[];
  readonly test: CanaryTestOptions;
  /** The candidate's calls when the current step began: each step needs `minCalls` new ones before the next. */
  readonly stepStartCalls?: number;
  /**
   * A rollback one controller claimed and is proposing to the gate (epoch ms, and who): every
   * other look leaves the canary alone until the claim is older than the controller's
   * `rollbackClaimMs` (a controller that died mid-rollback), then another may claim it again.
   */
  readonly rollbackClaim?: { readonly at: number; readonly by: string };
}

/** How an experiment ended. */
export interface ExperimentOutcome {
  readonly result: 'promoted' | 'rolled-back' | 'no-winner' | 'stopped';
  /** The arm that won (A/B) or was rolled out (canary). */
  readonly winner?: string;
  readonly reason: string;
  /** The statistics the decision rests on (JSON). */
  readonly evidence?: unknown;
  /** Who ended it, when a person did. */
  readonly by?: string;
}

/** An experiment as stored. */
export interface Experiment {
  readonly id: string;
  readonly kind: 'canary' | 'ab';
  /** The artifact (tool, prompt section) whose calls it splits. */
  readonly artifact: string;
  /** The arms, the baseline (A/B: control) first. */
  readonly arms: readonly ExperimentArm[];
  /** The share of calls each arm gets, by arm name; adds up to 1. */
  readonly allocation: Readonly<Record<string, number>>;
  /** The A/B stop rule, or the canary plan. */
  readonly plan: StopRule | CanaryPlan;
  readonly status: ExperimentStatus;
  readonly outcome: ExperimentOutcome | undefined;
  /** The canary's current step (index into `plan.steps`). */
  readonly step: number;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  /** Bumped by every change of state. */
  readonly revision: number;
}

/** An event in an experiment's history, with its evidence. */
export interface ExperimentEvent {
  readonly experimentId: string;
  readonly at: number;
  /** `started`, `widened`, `rollback-proposed`, `rolled-back`, `rollback-refused`, `frozen`, `resumed`, `completed`, `ended`, `stopped`. */
  readonly event: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The counts scope of an experiment. */
export function experimentScope(id: string): string {
  return `experiment:${id}`;
}

/** The counts scope of a bandit's task type. */
export function banditScope(taskType: string): string {
  return `bandit:${taskType}`;
}

/** True while an experiment decides what serves its artifact. */
export function isLive(status: ExperimentStatus): boolean {
  return status === 'running' || status === 'frozen';
}
