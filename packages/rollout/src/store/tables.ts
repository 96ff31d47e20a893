import type { Generated } from 'kysely';

/** One experiment (canary or A/B) on one artifact. JSON columns are text on both databases. */
export interface ExperimentTable {
  id: string;
  kind: 'canary' | 'ab';
  artifact: string;
  /** JSON: `[{ name, version }]`, the baseline (control) first. */
  arms: string;
  /** JSON: `{ [arm]: share }`, the shares adding up to 1. */
  allocation: string;
  /** JSON: the stop rule (A/B) or the canary's steps and test options. */
  stop_rule: string;
  status: 'running' | 'frozen' | 'completed' | 'rolled-back' | 'stopped';
  /** JSON: how it ended (winner, reason, evidence), or null while it runs. */
  outcome: string | null;
  /** The canary's current step (index into its steps); 0 for A/B. */
  step: number;
  started_at: number | string;
  ended_at: number | string | null;
  updated_at: number | string;
  /** Bumped by every transition: a transition names the revision it read (compare-and-set). */
  revision: number;
}

/** Per-arm counts of one scope (`experiment:<id>` or `bandit:<task type>`), incremented in place. */
export interface CountsTable {
  scope: string;
  arm: string;
  successes: number | string;
  failures: number | string;
  latency_ms_sum: number;
  log_latency_sum: number;
  log_latency_square_sum: number;
  updated_at: number | string;
}

/** What happened to an experiment, with the evidence: started, widened, rolled back, frozen, ended. */
export interface ExperimentEventTable {
  id: Generated<number>;
  experiment_id: string;
  at: number | string;
  event: string;
  /** JSON evidence. */
  data: string;
}

/** The rollout's tables. */
export interface RolloutTables {
  toolwright_rollout_experiments: ExperimentTable;
  toolwright_rollout_counts: CountsTable;
  toolwright_rollout_events: ExperimentEventTable;
}
