/**
 * `@toolwright/rollout`: which version serves which call. Canary rollouts that widen while a
 * sequential test says the candidate is not worse and roll back through the gate when it is;
 * A/B experiments with a fixed split and a stop rule; bandits (Thompson sampling, UCB1) that
 * choose a strategy per task type. Experiments and per-arm counts live in the store (SQLite or
 * PostgreSQL), shared by every instance; the hot path never touches the database.
 *
 * @packageDocumentation
 */
export {
  type Assignment,
  type BanditAssignment,
  createRollout,
  type CreateRolloutOptions,
  type ExperimentReport,
  type Rollout,
  type SelectArmOptions,
} from './rollout.js';
export {
  type CanaryController,
  type CanaryControllerOptions,
  type ControllerStep,
  createCanaryController,
  type RolloutProposal,
  type RolloutReview,
  type RolloutReviewer,
} from './canary-controller.js';
export { changeOfProposal, gateReviewer, type GateReviewerOptions } from './gate-reviewer.js';
export type { CanaryPlan, Experiment, ExperimentArm, ExperimentEvent, ExperimentOutcome, ExperimentStatus } from './experiment.js';
export type { RolloutDatabase } from './store/rollout-store.js';
export { ROLLOUT_MIGRATION_TABLE } from './store/migrations.js';
export { unitHash } from './call-key.js';
export { type Random, sampleBeta, sampleGamma, sampleNormal, seededRandom } from './random.js';
export { type ArmCounts, type ArmFigures, type CallOutcome, callsOf, EMPTY_COUNTS, figuresOf } from './statistics/arm-counts.js';
export { type ConfidenceSequenceInterval, mixtureConfidenceInterval, mixtureLikelihoodRatio } from './statistics/confidence-sequence.js';
export { compareLogLatencies, compareSuccessRates, type CompareOptions } from './statistics/compare-arms.js';
export { type CanaryEvidence, type CanaryTestOptions, type CanaryVerdict, canaryVerdict } from './statistics/canary-test.js';
export { type AbArm, type AbVerdict, type ArmComparison, abVerdict, type StopRule } from './statistics/ab-test.js';
export {
  type BanditArmCounts,
  type BanditStrategy,
  bernoulliKl,
  thompsonChoice,
  thompsonRegretBound,
  ucb1Choice,
  ucb1RegretBound,
} from './statistics/bandit.js';
