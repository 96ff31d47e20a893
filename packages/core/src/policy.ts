import type { ArtifactVersion, Author, Capability, ToolManifest } from './artifact.js';
import type { Diagnosis } from './evaluator.js';
import type { Verdict } from './regression.js';

/** Who proposes a change: the agent itself, or a person (CLI / API). */
export type ChangeOrigin = 'agent' | 'person';

/** Every kind of self-modification. There is no other path. */
export type Change =
  | { readonly kind: 'create-tool'; readonly origin: ChangeOrigin; readonly name: string; readonly spec: ToolManifest; readonly source: string }
  | {
      readonly kind: 'rewrite-tool';
      readonly origin: ChangeOrigin;
      readonly name: string;
      readonly fromVersion: number;
      readonly spec: ToolManifest;
      readonly source: string;
    }
  | {
      readonly kind: 'change-prompt-section';
      readonly origin: ChangeOrigin;
      readonly name: string;
      readonly fromVersion: number | undefined;
      readonly text: string;
    }
  | { readonly kind: 'add-learned-rule'; readonly origin: ChangeOrigin; readonly name: string; readonly text: string }
  | { readonly kind: 'grant-capability'; readonly origin: ChangeOrigin; readonly capability: Capability }
  | { readonly kind: 'pin' | 'unpin'; readonly origin: ChangeOrigin; readonly name: string }
  | {
      readonly kind: 'rollback';
      readonly origin: ChangeOrigin;
      readonly name: string;
      readonly fromVersion: number;
      readonly toVersion: number;
    }
  | {
      /**
       * A live experiment (a canary) gives its candidate a larger share of the calls: `fromShare`
       * → `toShare` (0..1) of `name`'s calls go to `version`, the rest to `baselineVersion`. What
       * is active in the registry does not change; the rollout (`@toolwright/rollout`) serves the
       * new split once the gate applies it. The same experiment and step is the same change.
       */
      readonly kind: 'widen-rollout';
      readonly origin: ChangeOrigin;
      readonly name: string;
      /** The experiment's id, as the rollout stores it. */
      readonly experimentId: string;
      /** The version that gains calls (the canary's candidate). */
      readonly version: number;
      /** The version that serves the rest (the canary's baseline). */
      readonly baselineVersion: number;
      /** The candidate's share before, 0..1. */
      readonly fromShare: number;
      /** The candidate's share after, 0..1, larger than `fromShare`. */
      readonly toShare: number;
    }
  | {
      /**
       * Makes a registered candidate version the active one, e.g. the winner of an A/B test
       * (`experimentId`), which served live calls and was measured against `fromVersion`.
       */
      readonly kind: 'promote-version';
      readonly origin: ChangeOrigin;
      readonly name: string;
      /** The version active now (the A/B test's control). */
      readonly fromVersion: number;
      /** The registered candidate that becomes active. */
      readonly toVersion: number;
      /** The experiment whose evidence motivates the promotion, when there is one. */
      readonly experimentId?: string;
    }
  | {
      /** Installing a bundle's versions (as candidates); each activation it asks for is a change of its own. */
      readonly kind: 'import-bundle';
      readonly origin: ChangeOrigin;
      /** The bundle's `bundleHash`: what was checked and what is imported. */
      readonly bundleHash: string;
      /** The artifacts it carries. */
      readonly names: readonly string[];
    };

/**
 * The name prefix of learned rules: they are prompt sections named `learned.<something>`, so
 * what is in force (the registry's active sections) tells them from other sections.
 */
export const LEARNED_RULE_PREFIX = 'learned.';

/** The kinds of {@link Change}. */
export type ChangeKind = Change['kind'];

/** What the rules need to know about the world; policies read counts from their store themselves. */
export interface PolicyContext {
  /** Epoch ms; defaults to now. */
  readonly now?: number;
  /** The version the change replaces, when there is one. */
  readonly current?: ArtifactVersion;
  readonly diagnosis?: Diagnosis;
  /** The regression verdict, for tool changes that were tested. */
  readonly verdict?: Verdict;
  /** The registered candidate version the change would make active (tool and prompt changes); an approval refers to it. */
  readonly candidate?: ArtifactVersion;
  /**
   * For a `rollback`: the registered version it would put back in force (`toVersion`), read from
   * the registry by the gate, so the policy can judge the text it restores (protected phrases).
   */
  readonly target?: ArtifactVersion;
  /**
   * What is in force now, read from the registry (the single truth) by the gate: the policy caps
   * and retires by this, not by its own records, when it is given.
   */
  readonly inForce?: {
    /** The active learned rules, oldest first. */
    readonly learnedRules: readonly { readonly name: string; readonly author: Author; readonly since: number }[];
  };
}

/** One rule that fired. */
export interface DecisionReason {
  /** The rule's stable name, e.g. `immutable-sections`, `kill-switch`. */
  readonly rule: string;
  readonly detail: string;
}

/** The policy's answer. */
export interface Decision {
  readonly outcome: 'allow' | 'deny' | 'needs-approval';
  readonly reasons: readonly DecisionReason[];
  /** With `needs-approval`: the id of the request the policy queued for a person, when it keeps a queue. */
  readonly approvalId?: string;
}

/**
 * Decides whether a change may happen now, must wait for a person, or may not happen.
 * The agent it governs cannot change its rules. A review is a record, not a question: a policy
 * may count an allowed change toward its caps and queue a `needs-approval` one, so callers
 * review each change once, when they have the evidence (the verdict) for it.
 *
 * @example
 * ```ts
 * const decision = await policy.review({ kind: 'pin', origin: 'agent', name: 'total_fares' });
 * if (decision.outcome !== 'allow') console.log(decision.reasons);
 * ```
 */
export interface Policy {
  review(change: Change, context?: PolicyContext): Promise<Decision>;
  /**
   * The policy's kill switch, when it keeps one: read without reviewing anything (a review is
   * a record). Engaged, no self-modification happens, and live experiments (canaries, A/B
   * tests) freeze at their baseline.
   */
  readonly killSwitch?: KillSwitchView;
}

/** What anyone may read of a policy's kill switch. */
export interface KillSwitchView {
  state(): Promise<{ readonly engaged: boolean }>;
}
