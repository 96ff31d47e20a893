import type { ArtifactVersion, Capability, ToolManifest } from './artifact.js';
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
    };

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
}
