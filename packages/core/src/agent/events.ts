import type { GateStatus } from '../gate.js';
import type { JsonObject } from '../json.js';
import type { ImprovementReport } from './improvement-cycle.js';

/**
 * Something the agent did, for progress output and tests. Every outcome of `create_tool` has
 * its own event (`tool-created`, `tool-reused`, `tool-queued`, `tool-refused`), and so has
 * every outcome of a learned rule (`rule-learned`, `rule-queued`, `rule-refused`).
 */
export type AgentEvent =
  | { readonly type: 'tool-created'; readonly name: string; readonly version: number }
  | { readonly type: 'tool-refused'; readonly name: string; readonly reason: string; readonly attemptsLeft: number }
  | { readonly type: 'tool-reused'; readonly name: string }
  /** A task without examples was served by the active tool written for this same task, with no model turn. */
  | { readonly type: 'task-matched'; readonly name: string; readonly version: number; readonly taskId: string; readonly reason: string }
  | { readonly type: 'tool-queued'; readonly name: string; readonly version: number | undefined; readonly approvalId: string }
  | { readonly type: 'tool-called'; readonly name: string; readonly version: number; readonly ok: boolean; readonly durationMs: number; readonly callId: string }
  /** A sampled live call of a promoted version gave another output than the version it replaced (`truth`: which side a stored case backs, when one exists). */
  | { readonly type: 'shadow-disagreement'; readonly name: string; readonly version: number; readonly reference: number; readonly truth?: 'active' | 'reference' | 'neither' }
  /** The shadow comparison proposed a rollback to the gate (`status`: the gate's answer), or did not because the evaluator diagnosed no wrong output. */
  | {
      readonly type: 'shadow-rollback';
      readonly name: string;
      readonly fromVersion: number;
      readonly toVersion: number;
      readonly status: GateStatus | 'not-diagnosed';
      readonly summary: string;
      readonly evidence?: JsonObject;
    }
  /** A person's feedback on a call was stored: a case (when an expected output was given) and, for a wrong answer, a WRONG_OUTPUT signal. */
  | { readonly type: 'feedback'; readonly callId: string; readonly name: string; readonly version: number; readonly correct: boolean; readonly caseId?: string }
  | { readonly type: 'improvement'; readonly report: ImprovementReport }
  | { readonly type: 'improvement-failed'; readonly error: string }
  | { readonly type: 'lesson'; readonly text: string }
  | { readonly type: 'rule-learned'; readonly name: string; readonly text: string }
  | { readonly type: 'rule-queued'; readonly name: string; readonly text: string; readonly approvalId: string }
  | { readonly type: 'rule-refused'; readonly name: string; readonly text: string; readonly reason: string };

/** Sends an event to the listener; a listener's failure never fails the agent. */
export type Emit = (event: AgentEvent) => void;

/** An {@link Emit} over an optional listener that swallows the listener's errors. */
export function createEmitter(listener: ((event: AgentEvent) => void) | undefined): Emit {
  return (event) => {
    try {
      listener?.(event);
    } catch {
      // A listener's failure must never fail the agent.
    }
  };
}
