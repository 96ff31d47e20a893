/**
 * Every error Toolwright throws is a {@link ToolwrightError} with a stable `code`.
 * Codes never change meaning once published; switch on them, not on messages.
 */

/** The part of Toolwright an error code belongs to. */
export type ErrorArea =
  | 'validation'
  | 'model'
  | 'sandbox'
  | 'storage'
  | 'registry'
  | 'policy'
  | 'regression'
  | 'rewriter'
  | 'evaluator'
  | 'agent'
  | 'rollout'
  | 'jobs';

/**
 * The catalogue of stable error codes, each with its area and what it means.
 * Add new codes here; a published code never changes meaning.
 */
export const ERROR_CODES = {
  INVALID_ARGUMENT: { area: 'validation', description: 'An input at a public boundary failed validation.' },

  MODEL_REQUEST_FAILED: { area: 'model', description: 'The model provider could not be reached or answered with an error.' },
  MODEL_RATE_LIMITED: { area: 'model', description: 'The model provider kept answering 429 after every retry.' },
  MODEL_ABORTED: { area: 'model', description: 'The request was aborted through its AbortSignal.' },
  MODEL_INVALID_RESPONSE: { area: 'model', description: 'The model answered with something that does not fit the request (bad JSON, unknown tool).' },
  MODEL_SCRIPT_EXHAUSTED: { area: 'model', description: 'A ScriptedModel was called more times than it has scripted responses.' },
  MODEL_UNSUPPORTED_REQUEST: { area: 'model', description: 'The model cannot serve this kind of request (e.g. the offline model asked for structured output it does not understand).' },
  MODEL_TIMEOUT: { area: 'model', description: 'A model request or a model turn outlived its deadline (headers and body included: a response that stalls after its headers counts).' },

  SANDBOX_SYNTAX_ERROR: { area: 'sandbox', description: 'The tool source does not parse or transpile.' },
  SANDBOX_STATIC_GATE: { area: 'sandbox', description: 'The tool source uses a construct the static gate forbids.' },
  SANDBOX_NO_DEFAULT_EXPORT: { area: 'sandbox', description: 'The tool module has no default export, or it is not a function.' },
  SANDBOX_SOURCE_TOO_LARGE: { area: 'sandbox', description: 'The tool source exceeds the size limit.' },
  SANDBOX_CAPABILITY_NOT_GRANTED: { area: 'sandbox', description: 'The tool requests a capability the sandbox does not grant.' },
  SANDBOX_DISPOSED: { area: 'sandbox', description: 'The sandbox was used after dispose().' },
  SANDBOX_UNAVAILABLE: { area: 'sandbox', description: 'No isolation engine could be loaded on this Node version.' },
  SANDBOX_LOAD_FAILED: { area: 'sandbox', description: "The tool module's top-level code threw, timed out, ran out of memory or crashed its worker while loading." },

  STORAGE_BAD_URL: { area: 'storage', description: 'The database URL is malformed or names an unsupported database.' },
  STORAGE_UNREACHABLE: { area: 'storage', description: 'The database server could not be reached or refused the connection.' },
  STORAGE_SCHEMA_TOO_NEW: { area: 'storage', description: 'The database was written by a newer Toolwright; upgrade before opening it.' },
  STORAGE_CLOSED: { area: 'storage', description: 'The store was used after close().' },
  STORAGE_FAILED: { area: 'storage', description: 'A database operation failed; nothing partial was written.' },
  STORAGE_NOT_FOUND: { area: 'storage', description: 'No stored record has that id (e.g. a lesson to update or rate).' },
  STORAGE_DATABASE_NOT_FOUND: { area: 'storage', description: 'No database exists at that location, and the operation only reads or changes an existing one (it does not create one).' },
  STORAGE_INVOCATION_REFUSED: { area: 'storage', description: 'The database refused one recorded invocation (its batch was retried row by row); that invocation was dropped so that later ones are written.' },
  STORAGE_BUFFER_FULL: { area: 'storage', description: 'The invocation buffer is full because the database kept failing; new invocations are dropped until it drains.' },

  REGISTRY_NOT_FOUND: { area: 'registry', description: 'No artifact or version by that name and number.' },
  REGISTRY_PINNED: { area: 'registry', description: 'The artifact is pinned; unpin it before promoting or rolling back.' },
  REGISTRY_INVALID_TRANSITION: { area: 'registry', description: 'The version cannot move to the requested status from its current one.' },
  REGISTRY_BUNDLE_INVALID: { area: 'registry', description: 'A bundle failed validation or its hashes do not match; nothing was imported.' },
  REGISTRY_BUNDLE_UNSIGNED: { area: 'registry', description: 'A bundle carries no signature while a public key to verify bundles is configured; nothing was imported.' },

  POLICY_DENIED: { area: 'policy', description: 'The safety policy denied the change.' },
  POLICY_APPROVAL_REQUIRED: { area: 'policy', description: 'The change waits for a person to approve it.' },
  POLICY_KILL_SWITCH: { area: 'policy', description: 'The kill switch is on: no self-modification happens.' },
  POLICY_APPROVAL_NOT_FOUND: { area: 'policy', description: 'No approval request has that id.' },
  POLICY_APPROVAL_CONFLICT: { area: 'policy', description: 'The approval request is not in a state that allows this step (already decided, or already applied).' },
  POLICY_APPROVER_REFUSED: { area: 'policy', description: 'This approver may not decide the request: the agent or a system actor, the person who proposed it, or someone not on the approver list.' },
  POLICY_SECTIONS_TAMPERED: { area: 'policy', description: 'A stored copy of an immutable prompt section does not match the hash the integrator declared.' },

  REGRESSION_NO_CASES: { area: 'regression', description: 'There are no cases to prove a candidate against.' },

  REWRITER_NO_CANDIDATE: { area: 'rewriter', description: 'The rewriter could not produce an acceptable candidate within its attempts.' },

  EVALUATOR_INVALID_SUMMARY: { area: 'evaluator', description: 'The summary given to the evaluator is inconsistent.' },

  AGENT_STEP_LIMIT: { area: 'agent', description: 'The agent loop reached its step limit before a final answer.' },
  AGENT_CLOSED: { area: 'agent', description: 'The agent was used after close().' },
  AGENT_TIMEOUT: { area: 'agent', description: 'A run outlived its deadline (runTimeoutMs) before a final answer.' },
  AGENT_CALL_UNKNOWN: { area: 'agent', description: 'Feedback names a tool call id this agent cannot resolve: not one it made recently, and its input is not stored as a regression case.' },

  ROLLOUT_NO_ARMS: { area: 'rollout', description: 'An experiment or a bandit was given no arms, or fewer than it needs (a canary and an A/B test need two).' },
  ROLLOUT_UNKNOWN_ARM: { area: 'rollout', description: 'The arm named is not one of the experiment\'s or the bandit\'s arms.' },
  ROLLOUT_INVALID_SHARE: { area: 'rollout', description: 'A traffic share is outside 0..1, or the shares of an allocation do not add up to 1.' },
  ROLLOUT_PINNED: { area: 'rollout', description: 'The artifact is pinned: no experiment may change which version serves it. Unpin it first.' },
  ROLLOUT_NOT_FOUND: { area: 'rollout', description: 'No experiment has that id.' },
  ROLLOUT_CONFLICT: { area: 'rollout', description: 'The experiment is not in a state that allows this step (already ended), or another experiment already runs on the artifact.' },
  ROLLOUT_CLOSED: { area: 'rollout', description: 'The rollout store was used after close().' },
  ROLLOUT_UNFIT_VERSION: { area: 'rollout', description: "A version may not serve live calls: it is rejected, it waits for a person's approval, or (a canary's candidate) it is not the active version the gate promoted." },

  JOB_QUEUE_UNKNOWN: { area: 'jobs', description: 'A job was sent to, or a worker asked for, a queue no handler is registered for.' },
  JOB_QUEUE_CLOSED: { area: 'jobs', description: 'The job queue was used after close().' },
  JOB_FAILED: { area: 'jobs', description: "A job's handler failed; the job is retried, and parked with this error after its last attempt." },
} as const satisfies Record<string, { area: ErrorArea; description: string }>;

/** Every stable error code. */
export type ToolwrightErrorCode = keyof typeof ERROR_CODES;

/** The codes of one area, e.g. `CodeOf<'sandbox'>`. */
export type CodeOf<A extends ErrorArea> = {
  [C in ToolwrightErrorCode]: (typeof ERROR_CODES)[C]['area'] extends A ? C : never;
}[ToolwrightErrorCode];

const MARKER = Symbol.for('toolwright.error');

/** Options every Toolwright error accepts. */
export interface ToolwrightErrorOptions {
  /** The underlying error, kept for debugging; never shown to guest code. */
  cause?: unknown;
  /** Structured facts about the failure (JSON-serialisable), e.g. `{ line: 3, rule: 'no-eval' }`. */
  details?: Record<string, unknown>;
}

/**
 * The base of every error Toolwright throws.
 *
 * `isInstance` works across duplicate installs of `@toolwright/core` (it checks a
 * `Symbol.for` marker, not the prototype chain), so prefer it over `instanceof`.
 *
 * @example
 * ```ts
 * try {
 *   await registry.promote('total_fares', 3);
 * } catch (error) {
 *   if (ToolwrightError.isInstance(error) && error.code === 'REGISTRY_PINNED') {
 *     console.log('unpin it first');
 *   } else throw error;
 * }
 * ```
 */
export class ToolwrightError<C extends ToolwrightErrorCode = ToolwrightErrorCode> extends Error {
  /** The area whose errors this class stands for; `undefined` on the base class. */
  static readonly area: ErrorArea | undefined = undefined;

  readonly [MARKER] = true;
  /** Stable code: see {@link ERROR_CODES}. */
  readonly code: C;
  /** The area the code belongs to. */
  readonly area: ErrorArea;
  /** Structured facts about the failure. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: C, message: string, options: ToolwrightErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.area = ERROR_CODES[code].area;
    this.details = options.details;
  }

  /**
   * True when `value` is a Toolwright error, from any copy of this package.
   * Called on a subclass (`SandboxError.isInstance(e)`), it also checks the area.
   */
  static isInstance<T extends abstract new (...args: never[]) => ToolwrightError>(
    this: T & { readonly area: ErrorArea | undefined },
    value: unknown,
  ): value is InstanceType<T> {
    if (typeof value !== 'object' || value === null) return false;
    if ((value as Record<symbol, unknown>)[MARKER] !== true) return false;
    return this.area === undefined || (value as { area?: unknown }).area === this.area;
  }

  /** A plain object for logs and JSON output. */
  toJSON(): { name: string; code: C; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { name: this.name, code: this.code, message: this.message }
      : { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/** An input at a public boundary failed validation. */
export class ValidationError extends ToolwrightError<CodeOf<'validation'>> {
  static override readonly area = 'validation';
}
/** A model provider failed, or answered something unusable. */
export class ModelError extends ToolwrightError<CodeOf<'model'>> {
  static override readonly area = 'model';
}
/** Tool code could not be compiled, or the sandbox itself is unusable. Guest faults are results, not errors. */
export class SandboxError extends ToolwrightError<CodeOf<'sandbox'>> {
  static override readonly area = 'sandbox';
}
/** The database could not be opened or used. */
export class StorageError extends ToolwrightError<CodeOf<'storage'>> {
  static override readonly area = 'storage';
}
/** A registry operation was refused. */
export class RegistryError extends ToolwrightError<CodeOf<'registry'>> {
  static override readonly area = 'registry';
}
/** The safety policy stopped a change. */
export class PolicyError extends ToolwrightError<CodeOf<'policy'>> {
  static override readonly area = 'policy';
}
/** The regression runner could not prove a candidate. */
export class RegressionError extends ToolwrightError<CodeOf<'regression'>> {
  static override readonly area = 'regression';
}
/** The rewriter could not propose a candidate. */
export class RewriterError extends ToolwrightError<CodeOf<'rewriter'>> {
  static override readonly area = 'rewriter';
}
/** The evaluator was given something it cannot judge. */
export class EvaluatorError extends ToolwrightError<CodeOf<'evaluator'>> {
  static override readonly area = 'evaluator';
}
/** The agent loop stopped. */
export class AgentError extends ToolwrightError<CodeOf<'agent'>> {
  static override readonly area = 'agent';
}
/** An experiment, a canary or a bandit was given something it cannot run (an unknown arm, a share outside 0..1, a pinned artifact). */
export class RolloutError extends ToolwrightError<CodeOf<'rollout'>> {
  static override readonly area = 'rollout';
}
