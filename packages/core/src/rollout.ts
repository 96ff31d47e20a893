/** Which version serves one call of an artifact under a live experiment (a canary, an A/B test). */
export interface VersionAssignment {
  readonly experimentId: string;
  readonly artifact: string;
  /** The experiment's arm, for splitting summaries by arm. */
  readonly arm: string;
  readonly version: number;
}

/** What a {@link VersionSelector} learns of a served call. */
export interface ServedCallOutcome {
  readonly success: boolean;
  readonly latencyMs?: number;
}

/**
 * Decides which version of an artifact serves each call while an experiment runs on it, and
 * learns from the outcomes. Asked on every call, so it is synchronous and does no I/O: an
 * implementation caches its experiments and counts (`@toolwright/rollout`'s `Rollout` is one).
 * It never changes what is in force: that stays the gate's.
 *
 * @example
 * ```ts
 * const assignment = selector.serve('total_fares', taskId);
 * const version = assignment?.version ?? active.version; // undefined: serve the active version
 * // … run it …
 * if (assignment) selector.record(assignment, { success: result.ok, latencyMs: result.durationMs });
 * ```
 */
export interface VersionSelector {
  /**
   * The version serving this call of `artifact`, or `undefined` when no experiment runs on it.
   * The same `callKey` (a task or user id) gets the same version for the whole experiment.
   */
  serve(artifact: string, callKey?: string): VersionAssignment | undefined;
  /** Records the outcome of a call served under `assignment` (buffered). */
  record(assignment: VersionAssignment, outcome: ServedCallOutcome): void;
}

/**
 * Chooses one of several named strategies (prompt templates, tool sequences) for a run of a task
 * type, and learns from each run's outcome: a bandit. `@toolwright/rollout`'s `Rollout`
 * (`selectArm` / `recordArm`, Thompson sampling by default) is one. Synchronous, no I/O.
 */
export interface StrategySelector {
  /** One of `arms` for this run of `taskType`; the same `callKey` with the same counts gets the same arm. */
  selectArm(taskType: string, arms: readonly string[], options?: { readonly callKey?: string }): { readonly taskType: string; readonly arm: string };
  /** Records whether the run that used the arm succeeded. */
  recordArm(assignment: { readonly taskType: string; readonly arm: string }, outcome: { readonly success: boolean }): void;
}
