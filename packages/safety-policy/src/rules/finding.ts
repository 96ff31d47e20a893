import type { ArtifactVersion, Capability, Decision } from '@toolwright/core';
import type { ReviewInput } from '../change-schema.js';
import type { ResolvedPolicyConfig } from '../config.js';
import type { ImmutableSection } from '../sections.js';
import type { KillSwitchState, LedgerRule, RuleOrigin } from '../store/policy-store.js';
import type { PolicyRuleName } from './rule-names.js';

/** What one rule concluded about a change. */
export interface Finding {
  readonly rule: PolicyRuleName;
  readonly outcome: Decision['outcome'];
  readonly detail: string;
  /** Set by the trajectory guard when this review freezes the tool. */
  readonly freeze?: boolean;
  /** Set by the learned-rule cap: the active rules to retire (oldest first) when the change takes effect. */
  readonly retire?: readonly string[];
}

/** An active learned rule as the cap counts it. */
export interface CappedRule {
  readonly name: string;
  readonly origin: RuleOrigin;
  readonly since: number;
}

/** Another tool a proposed source was already reviewed for. */
export interface SourceOwner {
  readonly name: string;
  /** Set when that tool is frozen. */
  readonly frozen: { readonly at: number; readonly reason: string } | undefined;
  /** Effective agent rewrites of that tool in the rewrite window. */
  readonly rewritesInWindow: number;
}

/** The two kinds of change the acceleration guard counts apart. */
/**
 * The streams the acceleration guard counts apart: new tools, a live experiment's steps
 * (`widen-rollout`), and every other change. Rollbacks are in none: a rollback restores a state
 * that was in force before and is never throttled.
 */
export type AccelerationStream = 'new-tools' | 'experiment-steps' | 'changes';

/** What the store knows that the rules need, read inside the review's transaction. */
export interface StoreFacts {
  readonly killSwitch: KillSwitchState;
  /** Tools a change created (all origins). */
  readonly createdTools: ReadonlySet<string>;
  /** Whether the change's name was ever added as a learned rule (retired ones included). */
  readonly learnedRuleExists: boolean;
  /** Active learned rules in the ledger, oldest first, with their text (read for add-learned-rule and change-prompt-section). */
  readonly learnedRules: readonly LedgerRule[];
  /** Active learned rules as the cap counts them: `context.inForce` when given, else the ledger (read for add-learned-rule). */
  readonly cappedRules: readonly CappedRule[];
  /** For tool changes: the other tools this exact source was reviewed for. */
  readonly sourceOwners: readonly SourceOwner[];
  /** The ledger's pin state of the change's artifact. */
  readonly pinnedInLedger: boolean;
  /** The configured envelope plus granted capabilities. */
  readonly envelope: readonly Capability[];
  /** Set when the change's artifact is frozen. */
  readonly frozen: { readonly at: number; readonly reason: string } | undefined;
  /** Diagnosis scores of the tool's effective rewrites since its last freeze / unfreeze, oldest first. */
  readonly rewriteScores: readonly (number | null)[];
  /** Effective agent rewrites of the tool in the rewrite window. */
  readonly rewritesInWindow: number;
  /** Effective agent changes in the last hour. */
  readonly changesLastHour: number;
  /**
   * For agent changes: which kind the acceleration guard counts this change as (`new-tools` for a
   * create-tool of a name never created, `changes` for anything else), and when each effective
   * agent change of that kind happened in the current window and the lookback windows.
   */
  readonly acceleration: { readonly stream: AccelerationStream; readonly times: readonly number[] };
  readonly pendingApprovals: number;
  /** An open request for the very same change, if any. */
  readonly existingProposal: string | undefined;
}

/** Everything a rule sees. Rules are pure functions of this. */
export interface RuleInput {
  readonly review: ReviewInput;
  readonly config: ResolvedPolicyConfig;
  readonly sections: readonly ImmutableSection[];
  readonly facts: StoreFacts;
}

/** A rule: returns what it found (nothing when it does not apply). */
export type Rule = (input: RuleInput) => Finding[];

/** The name of the artifact a change touches, if it names one. */
export function changedName(input: RuleInput): string | undefined {
  const change = input.review.change;
  return 'name' in change ? change.name : undefined;
}

/** Whether the current version is pinned according to the context or the ledger (either suffices). */
export function isPinned(input: RuleInput): boolean {
  const current: ArtifactVersion | undefined = input.review.current;
  return current?.pinned === true || input.facts.pinnedInLedger;
}
