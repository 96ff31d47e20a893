import type { ArtifactVersion, Author } from './artifact.js';
import type { Diagnosis } from './evaluator.js';
import type { Change, Decision } from './policy.js';
import type { RegressionCase, Verdict } from './regression.js';

/**
 * What motivates a change, given to the gate with it. Everything is optional: the gate reads
 * what is in force (the current version, the stored cases) itself.
 */
export interface ChangeEvidence {
  /** Who wrote the content. Default: the person acting (`by`) for a person's change, else `{ kind: 'model', id: 'agent' }`. */
  readonly author?: Author;
  /** Why, in a sentence; kept in the version's history and in the audit log. */
  readonly reason?: string;
  /** The diagnosis that motivated a rewrite; the candidate must fix what it names. */
  readonly diagnosis?: Diagnosis;
  /** Cases the candidate must pass besides the stored ones (a new tool's examples). */
  readonly cases?: readonly RegressionCase[];
  /** The person acting, for a change with `origin: 'person'` (CLI, console, API). */
  readonly by?: string;
  /** The task (agent run) that caused the change. */
  readonly taskId?: string;
  /** For an `import-bundle` change: the bundle itself (its `bundleHash` must match the change's). */
  readonly bundle?: unknown;
  readonly signal?: AbortSignal;
}

/** A person's step on a queued change. */
export interface GateStep {
  /** Who decides: a person's id, never the agent. */
  readonly by: string;
  readonly note?: string;
}

interface OutcomeBase {
  /** The change the outcome is about. */
  readonly change: Change;
  /** One sentence for people and models: what happened and why. */
  readonly summary: string;
  /** The id of the audit entry that records this outcome. */
  readonly auditId?: string;
}

/** The change is in force: the registry transition, the policy's record and the audit entry were written in one transaction. */
export interface AppliedOutcome extends OutcomeBase {
  readonly status: 'applied';
  readonly decision: Decision;
  /** The version now active (promotions, rollbacks, prompt sections, learned rules). */
  readonly version?: ArtifactVersion;
  readonly verdict?: Verdict;
  /** Learned rules retired to keep the cap, by name. */
  readonly retired?: readonly string[];
  /** For a bundle import: how many versions arrived, and what became of each activation the bundle asked for. */
  readonly imported?: { readonly versions: number; readonly skipped: number; readonly activations: readonly GateOutcome[] };
}

/** The change waits for a person (`applyApproved` or `reject`); nothing is in force yet. */
export interface QueuedOutcome extends OutcomeBase {
  readonly status: 'queued';
  readonly decision: Decision;
  readonly approvalId: string;
  /** The candidate version that waits, for tool and prompt changes. */
  readonly version?: ArtifactVersion;
  readonly verdict?: Verdict;
}

/** The policy refused the change (or the person rejected it); nothing is in force. */
export interface DeniedOutcome extends OutcomeBase {
  readonly status: 'denied';
  readonly decision: Decision;
  /** The candidate version, now rejected, when one was registered. */
  readonly version?: ArtifactVersion;
}

/** The candidate failed its cases; it is rejected and nothing is in force. */
export interface FailedRegressionOutcome extends OutcomeBase {
  readonly status: 'failed-regression';
  readonly verdict: Verdict;
  readonly version: ArtifactVersion;
}

/** Something else went wrong (storage, sandbox, an unknown approval); nothing is in force. */
export interface FailedOutcome extends OutcomeBase {
  readonly status: 'failed';
  readonly error: { readonly code: string; readonly message: string };
  readonly version?: ArtifactVersion;
}

/** What became of a change at the gate. Switch on `status`. */
export type GateOutcome = AppliedOutcome | QueuedOutcome | DeniedOutcome | FailedRegressionOutcome | FailedOutcome;

/** The statuses of {@link GateOutcome}. */
export type GateStatus = GateOutcome['status'];

/**
 * The one gate every self-modification passes: a new tool, a rewrite, a learned rule, a prompt
 * section, a pin, a rollback, a bundle import. It runs the sequence review → register → test →
 * decide → promote → audit, writes the policy's decision, the registry transition and the audit
 * entry in one transaction, and is idempotent on retry. Nothing else may write the registry.
 *
 * Risk rules run before any execution: a candidate that needs a person is tested without live
 * capabilities, and a change the policy denies is never run at all.
 *
 * @example
 * ```ts
 * const outcome = await gate.propose({ kind: 'pin', origin: 'person', name: 'total_fares' }, { by: 'ada' });
 * switch (outcome.status) {
 *   case 'applied': console.log('pinned'); break;
 *   case 'queued': console.log('waiting for', outcome.approvalId); break;
 *   default: console.log(outcome.summary);
 * }
 * ```
 */
export interface ChangeGate {
  /** Proposes a change with its evidence. Never throws for a refusal: the outcome says what happened. */
  propose(change: Change, evidence?: ChangeEvidence): Promise<GateOutcome>;
  /**
   * A person approves a queued change and it is applied, in one transaction. Retrying an applied
   * approval returns its outcome again and changes nothing.
   */
  applyApproved(approvalId: string, step: GateStep): Promise<GateOutcome>;
  /** A person rejects a queued change; a candidate version it carried is rejected, in one transaction. */
  reject(approvalId: string, step: GateStep): Promise<GateOutcome>;
}
