import type { z } from 'zod';
import type { ToolExample } from '../artifact.js';
import type { JsonValue } from '../json.js';
import type { TokenUsage } from '../model.js';
import type { RegressionCase } from '../regression.js';
import type { ImprovementReport } from './improvement-cycle.js';

/** Options of {@link Agent.run}. */
export interface AgentRunOptions<S extends z.ZodType = z.ZodType> {
  /** The task's data; the model sees it as JSON and passes it to tools. */
  readonly input?: JsonValue;
  /** Input → expected output pairs; every model sees them; tools authored in this run must pass them. */
  readonly examples?: readonly ToolExample[];
  /**
   * How closely a tool's numbers must match the examples' outputs: `{ absolute: 0.005 }` is "to
   * the cent", `{ relative: 1e-6 }` six significant digits. Default: the agent's
   * `exampleTolerance` (1e-9 absolute). A tool written in this run keeps it in its spec.
   */
  readonly tolerance?: { readonly absolute?: number; readonly relative?: number };
  /** `none`: the static baseline — structured output, no tools. Default `auto`. */
  readonly tools?: 'auto' | 'none';
  /** With `tools: 'none'`: the zod schema of the answer. */
  readonly schema?: S;
  readonly taskId?: string;
  /**
   * The user (or tenant) the run is for: their stored preferences, and only theirs, are added to
   * the prompt (capped by the agent's `preferenceTokenBudget`). Without it, no preference is.
   */
  readonly userId?: string;
  /** The task type: with the agent's `strategies` for it, a bandit picks one strategy (a prompt template) for this run and learns from its success. */
  readonly taskType?: string;
  readonly signal?: AbortSignal;
  /** Deadline of this run, overriding the agent's `runTimeoutMs`. */
  readonly timeoutMs?: number;
}

/** One tool call the agent made. */
export interface AgentToolCall {
  /**
   * This call's id, unique per call: give it to `agent.feedback` to report a wrong answer. It
   * is `<tool>.v<version>.<inputHash>.<nonce>`, so it can be resolved after the process ended.
   */
  readonly callId: string;
  readonly name: string;
  readonly version: number | undefined;
  readonly input: JsonValue;
  readonly ok: boolean;
  readonly output?: JsonValue;
  readonly error?: { readonly code: string; readonly message: string };
  readonly durationMs: number;
  readonly step: number;
}

/** One model turn. */
export interface AgentStep {
  readonly step: number;
  readonly text: string;
  readonly toolCalls: readonly string[];
  readonly usage: TokenUsage;
}

/**
 * Tokens a run used, all model turns (and reflection) summed. `unknown: true` when the server
 * reported no usage for at least one turn, or a turn failed before its usage came back: the
 * counts are then a lower bound. The flag is absent (never `false`) when every turn was counted.
 */
export interface RunTokens {
  readonly input: number;
  readonly output: number;
  readonly unknown?: true;
}

/**
 * How the final answer stands against the tool outputs of the run.
 *
 * - `verified`: the answer is the output of a successful tool call of this run (`tool`,
 *   `version`, `step`): the answer was JSON equal to it (or a one-key object around it), or
 *   prose that quotes it — then
 *   `output` is the tool's exact output, not the prose.
 * - `unverified`: no tool output backs the answer (`reason` says why: no tool ran, or the
 *   answer differs from every output); `output` is what the model said, unchecked.
 */
export type AnswerVerification =
  | { readonly status: 'verified'; readonly tool: string; readonly version: number | undefined; readonly step: number; readonly from: 'json' | 'prose' }
  | { readonly status: 'unverified'; readonly reason: string };

/** What a run produced. */
export interface AgentRunResult {
  readonly taskId: string;
  /**
   * The answer: the final text parsed as JSON when it is JSON (a ```json fence removed); for
   * prose that quotes a tool's output, that output (see {@link AgentRunResult.verification});
   * otherwise the text.
   */
  readonly output: JsonValue;
  readonly text: string;
  /** Whether a tool output of this run backs `output`. */
  readonly verification: AnswerVerification;
  readonly steps: readonly AgentStep[];
  readonly toolCalls: readonly AgentToolCall[];
  readonly createdTools: readonly string[];
  readonly reusedTools: readonly string[];
  readonly tokens: RunTokens;
  readonly durationMs: number;
  /**
   * Set when a task given without examples was served by an active tool certainly written for
   * it (the same task text and input shape), with no model turn: which tool, and why.
   */
  readonly servedBy?: { readonly tool: string; readonly version: number; readonly reason: string };
  /**
   * The system prompt the model saw: its size in estimated tokens (4 characters a token), which
   * version of each evolvable section it held (and the experiment arm that chose it), and how
   * many of the user's preferences. Absent when no model turn ran.
   */
  readonly prompt?: {
    readonly tokens: number;
    readonly sections: readonly { readonly name: string; readonly version: number; readonly arm?: string }[];
    readonly preferences: number;
    /** The strategy the bandit chose for the run's `taskType`. */
    readonly strategy?: string;
  };
}

/**
 * What a run had done when it failed: on every error `agent.run` throws after the run began
 * (a model error, `MODEL_TIMEOUT`, `AGENT_TIMEOUT`, `AGENT_STEP_LIMIT`, an abort), as
 * `error.details.partial`; read it with {@link partialRunOf}. Tools it created stay active,
 * and the tokens were billed: this is how a caller learns of both.
 */
export interface AgentRunPartial {
  readonly taskId: string;
  /** Every model turn that completed. */
  readonly steps: readonly AgentStep[];
  readonly toolCalls: readonly AgentToolCall[];
  readonly createdTools: readonly string[];
  readonly reusedTools: readonly string[];
  /** The completed turns' tokens; `unknown` when a turn failed in flight (its usage never came back). */
  readonly tokens: RunTokens;
  readonly durationMs: number;
  /** The model turn (from 1) the run was in when it failed. */
  readonly failedAtStep: number;
}

/** An agent: runs tasks with its tools, proposes tools it lacks through the gate, and improves them. */
export interface Agent {
  run<S extends z.ZodType = z.ZodType>(task: string, options?: AgentRunOptions<S>): Promise<AgentRunResult>;
  /**
   * Calls the active version of a tool directly — outside a model turn, e.g. from an API that
   * serves the tool — through the same path as a model's call: sandbox, metering, capture,
   * improvement trigger. Tool faults are results (`ok: false`), not errors.
   */
  call(name: string, input: JsonValue, options?: { readonly taskId?: string; readonly signal?: AbortSignal }): Promise<AgentToolCall>;
  /** One improvement cycle now, over every active tool (or one); resolves when it is done. */
  improve(tool?: string): Promise<ImprovementReport>;
  /**
   * A person's feedback on one tool call, by its `callId` (from `result.toolCalls`, `call()` or
   * the `tool-called` event). `{ correct: false, expected }` stores `expected` as a regression
   * case for the call's input and records a `WRONG_OUTPUT` invocation of the version, which the
   * evaluator diagnoses (a rewrite), and which counts toward a rollback when the previous
   * version gives `expected`. Throws `AGENT_CALL_UNKNOWN` for a call it cannot resolve.
   *
   * @example
   * ```ts
   * const result = await agent.run('Total these fares', { input: { fares: [1, 2] } });
   * await agent.feedback(result.toolCalls[0].callId, { correct: false, expected: 3 });
   * ```
   */
  feedback(callId: string, feedback: CallFeedback): Promise<FeedbackResult>;
  /** Waits for background work: improvement cycles, captures and shadow comparisons. */
  idle(): Promise<void>;
  /** Waits for background work, flushes memory. Components stay open: their owner closes them. */
  close(): Promise<void>;
}

/** A person's feedback on one tool call (`agent.feedback(callId, feedback)`). */
export interface CallFeedback {
  /** Whether the call's output was right. */
  readonly correct: boolean;
  /** The output it should have given; becomes the golden output of a regression case for the call's input. */
  readonly expected?: JsonValue;
  /**
   * The call's input, for a call this agent no longer remembers and whose input is not stored
   * as a case (its `contentHash` must match the one in the call id).
   */
  readonly input?: JsonValue;
  /** Who gives the feedback (kept in the WRONG_OUTPUT signal's message). */
  readonly by?: string;
}

/** What became of a {@link CallFeedback}. */
export interface FeedbackResult {
  readonly callId: string;
  readonly tool: string;
  readonly version: number;
  readonly correct: boolean;
  /** The regression case stored for the call's input (with `expected`, or the confirmed output), when one was. */
  readonly case?: RegressionCase;
  /** Whether a WRONG_OUTPUT invocation of the version was recorded (a wrong answer, fed back for the first time). */
  readonly wrongOutputRecorded: boolean;
  /**
   * The correctness signal: `'recorded'` (a WRONG_OUTPUT was recorded now), `'already-recorded'`
   * (this call id was judged wrong before — by this agent, or by any process sharing the
   * regression store — so no second signal and nothing more toward a rollback), or `'none'`
   * (a right answer records no signal).
   */
  readonly signal: 'recorded' | 'already-recorded' | 'none';
  /** Where the call's input came from: this agent's recent calls, a stored case, or the feedback itself. */
  readonly resolvedFrom: 'recent-call' | 'stored-case' | 'given-input';
}
