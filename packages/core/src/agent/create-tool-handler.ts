import { splitToolSpec, toolSpecSchema, type Author, type ToolExample } from '../artifact.js';
import { ERROR_CODES, ToolwrightError, type ToolwrightErrorCode } from '../errors.js';
import type { ChangeGate, GateOutcome } from '../gate.js';
import { contentHash } from '../hash.js';
import type { JsonValue } from '../json.js';
import type { Decision } from '../policy.js';
import type { RegressionCase, RegressionRunner, Verdict } from '../regression.js';
import { explainIssues } from '../validation.js';
import { createdOutcome, queuedOutcome, refusedOutcome, reusedOutcome, type CreateToolOutcome } from './create-tool-outcome.js';
import type { Emit } from './events.js';
import { originReason } from './known-task.js';
import { DEFAULT_EXAMPLE_TOLERANCE, type NumericTolerance } from './output-match.js';
import { cleanToolSource } from './tool-source.js';
import { activeToolOf, type ActiveTool, type RunState } from './run-state.js';

/** What {@link createCreateToolHandler} needs. */
export interface CreateToolHandlerDependencies {
  /** Every new tool goes through it: compile, cases, review, promotion or approval, audit. */
  readonly gate: ChangeGate;
  /** Judges whether an active tool already passes the examples (the reuse check). */
  readonly regression: Pick<RegressionRunner, 'compare'>;
  /** Recorded as the author of every tool the model writes. */
  readonly author: Author;
  /** Refused attempts per run. */
  readonly maxToolAttempts: number;
  readonly emit: Emit;
  /** How numbers are compared with examples when neither the spec nor the run sets it. Default 1e-9 absolute. */
  readonly tolerance?: NumericTolerance;
}

/** Handles the model's `create_tool` calls of one agent. */
export interface CreateToolHandler {
  /** The outcome of one call; updates the run's tools, counters and created/reused lists. Throws only `MODEL_ABORTED`. */
  handle(state: RunState, raw: JsonValue): Promise<CreateToolOutcome>;
  /** A call whose arguments were not JSON: refused, and it uses up an attempt like any refused spec. */
  refuseMalformed(state: RunState, parseError: string): CreateToolOutcome;
}

/** A tool's examples as regression cases: the cases a new tool must pass, numbers within `tolerance` (default 1e-9 absolute). */
export function examplesAsCases(name: string, examples: readonly ToolExample[], tolerance: NumericTolerance = DEFAULT_EXAMPLE_TOLERANCE): RegressionCase[] {
  const relative = tolerance.relative ?? 0;
  return examples.map((example) => ({
    id: contentHash({ tool: name, input: example.input }),
    tool: name,
    input: example.input,
    expect: { output: example.output, tolerance: tolerance.absolute ?? DEFAULT_EXAMPLE_TOLERANCE.absolute, ...(relative > 0 ? { relativeTolerance: relative } : {}) },
    origin: 'example',
    heldOut: false,
  }));
}

/**
 * The `create_tool` handler: parses the spec, reuses an active tool that already passes every
 * example, and otherwise proposes the tool to the gate and tells the model what became of it.
 * It writes nothing itself.
 */
export function createCreateToolHandler(dependencies: CreateToolHandlerDependencies): CreateToolHandler {
  const { gate, regression, author, maxToolAttempts, emit } = dependencies;
  const defaultTolerance = dependencies.tolerance ?? DEFAULT_EXAMPLE_TOLERANCE;

  /** What the agent changed in the call being handled (a fence removed), told with any refusal of it. */
  const notes = new WeakMap<RunState, string>();
  const refuse = (state: RunState, name: string, why: string): CreateToolOutcome => {
    const note = notes.get(state);
    const reason = note === undefined ? why : `${why} (${note})`;
    state.refusedAttempts++;
    const attemptsLeft = Math.max(0, maxToolAttempts - state.refusedAttempts);
    emit({ type: 'tool-refused', name, reason, attemptsLeft });
    return refusedOutcome(name, reason, attemptsLeft);
  };

  /** An active tool that passes every example, judged by the regression runner: the same check a new tool must pass. */
  const existingToolFor = async (state: RunState, examples: readonly ToolExample[]): Promise<ActiveTool | undefined> => {
    for (const tool of state.tools.values()) {
      try {
        const cases = examplesAsCases(tool.version.name, examples, state.tolerance ?? defaultTolerance);
        const verdict = await regression.compare({ candidate: tool.version, baseline: undefined, cases, ...(state.signal ? { signal: state.signal } : {}) });
        if (verdict.decision === 'promote' && verdict.totals.candidatePassed === examples.length) return tool;
      } catch {
        // A tool that cannot run is not the capability we are looking for.
      }
    }
    return undefined;
  };

  const fromGate = (state: RunState, name: string, outcome: GateOutcome, cases: number): CreateToolOutcome => {
    switch (outcome.status) {
      case 'applied': {
        const tool = outcome.version ? activeToolOf(outcome.version) : undefined;
        if (!tool) return refuse(state, name, `the gate applied the change but returned no tool version (${outcome.summary})`);
        state.tools.set(name, tool);
        state.createdTools.push(name);
        emit({ type: 'tool-created', name, version: tool.version.version });
        return createdOutcome(name, tool.version.version, outcome.verdict?.totals.candidatePassed ?? cases);
      }
      case 'queued':
        emit({ type: 'tool-queued', name, version: outcome.version?.version, approvalId: outcome.approvalId });
        return queuedOutcome(name, outcome.version?.version, outcome.approvalId, reasonsOf(outcome.decision));
      case 'denied': {
        // The gate answers a spec it already rejected with that rejection's own reason.
        const before = outcome.decision.reasons.find((reason) => reason.rule === 'rejected-before' || reason.rule === 'retired-before');
        if (before) return refuse(state, name, `${before.detail} Change the source rather than sending it again`);
        return refuse(state, name, `the safety policy denied it — ${reasonsOf(outcome.decision).join('; ') || outcome.summary}`);
      }
      case 'failed-regression': {
        const compile = compileFailureOf(outcome.verdict);
        return refuse(state, name, compile ? `the sandbox refused the source — ${compile.code}: ${compile.message}` : `it failed its examples — ${describeFailures(outcome.verdict)}`);
      }
      case 'failed':
        return refuse(state, name, isSandboxCode(outcome.error.code) ? `the sandbox refused the source — ${outcome.error.code}: ${outcome.error.message}` : `${outcome.error.code}: ${outcome.error.message}`);
    }
  };

  const handle = async (state: RunState, raw: JsonValue): Promise<CreateToolOutcome> => {
    const isObject = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
    const proposed = isObject && typeof raw['name'] === 'string' && raw['name'] !== '' ? raw['name'] : '(unnamed)';
    // Small models wrap the module in a Markdown fence, with prose around it: keep the code only.
    const cleaned = isObject && typeof raw['source'] === 'string' ? cleanToolSource(raw['source']) : undefined;
    if (cleaned?.removed === undefined) return propose(state, raw, proposed);
    notes.set(state, `the source came in ${cleaned.removed}; it was removed before compiling: send only the module's code`);
    try {
      return await propose(state, { ...(raw as Record<string, JsonValue>), source: cleaned.source }, proposed);
    } finally {
      notes.delete(state);
    }
  };

  const propose = async (state: RunState, raw: JsonValue, proposed: string): Promise<CreateToolOutcome> => {
    const parsed = toolSpecSchema.safeParse(raw);
    if (!parsed.success) return refuse(state, proposed.slice(0, 200), `the tool spec is invalid:\n${explainIssues(parsed.error)}`);
    const spec = parsed.data;
    const examples = spec.examples.length > 0 ? spec.examples : state.examples;
    if (examples.length === 0) return refuse(state, spec.name, 'give at least one example (input and expected output) so the tool can be tested before use');

    const existing = await existingToolFor(state, examples);
    if (existing) {
      if (!state.reusedTools.includes(existing.version.name)) state.reusedTools.push(existing.version.name);
      emit({ type: 'tool-reused', name: existing.version.name });
      return reusedOutcome(existing.version.name);
    }
    if (state.tools.has(spec.name)) return refuse(state, spec.name, `a different tool named "${spec.name}" is already active; choose another name`);

    // The spec's tolerance, else the run's, travels with the tool: its cases keep it.
    const tolerance = spec.tolerance ?? state.tolerance;
    const { manifest, source } = splitToolSpec({ ...spec, examples: [...examples], ...(tolerance === undefined ? {} : { tolerance }) });
    const cases = examplesAsCases(spec.name, examples, tolerance ?? defaultTolerance);
    let outcome: GateOutcome;
    try {
      outcome = await gate.propose(
        { kind: 'create-tool', origin: 'agent', name: spec.name, spec: manifest, source },
        { author, reason: originReason(state.taskId, state.task), cases, taskId: state.taskId, ...(state.signal ? { signal: state.signal } : {}) },
      );
    } catch (error) {
      // The gate answers refusals with an outcome; what it throws (storage, an abort) is reported the same way, except an abort.
      if (ToolwrightError.isInstance(error) && error.code === 'MODEL_ABORTED') throw error;
      return refuse(state, spec.name, ToolwrightError.isInstance(error) ? `${error.code}: ${error.message}` : String(error));
    }
    return fromGate(state, spec.name, outcome, cases.length);
  };

  const refuseMalformed = (state: RunState, parseError: string): CreateToolOutcome =>
    refuse(state, '(unnamed)', `the arguments were not valid JSON (${parseError}); send the spec as one JSON object, with the source as a JSON string (newlines as \\n)`);

  return { handle, refuseMalformed };
}

function reasonsOf(decision: Decision): string[] {
  return decision.reasons.map((reason) => `${reason.rule}: ${reason.detail}`);
}

/** The sandbox's refusal of the source itself, when every case failed with the same one: the tool never ran. */
function compileFailureOf(verdict: Verdict): { readonly code: string; readonly message: string } | undefined {
  const errors = verdict.cases.map((result) => result.candidate.error);
  const first = errors[0];
  if (first === undefined || !isSandboxCode(first.code) || first.code === 'SANDBOX_DISPOSED') return undefined;
  return errors.every((error) => error?.code === first.code && error.message === first.message) ? first : undefined;
}

function isSandboxCode(code: string): boolean {
  return Object.hasOwn(ERROR_CODES, code) && ERROR_CODES[code as ToolwrightErrorCode].area === 'sandbox';
}

/** The failing cases of a verdict (at most three), in one line; the verdict's reasons when no case failed. */
export function describeFailures(verdict: Verdict): string {
  const failed = verdict.cases.filter((result) => !result.candidate.pass).slice(0, 3);
  return (
    failed
      .map((result) =>
        result.candidate.error
          ? `${result.caseId.slice(0, 8)}: ${result.candidate.error.code} ${result.candidate.error.message}`
          : `${result.caseId.slice(0, 8)}: ${result.candidate.failures.join(', ')}`,
      )
      .join('; ') || verdict.reasons.join('; ')
  );
}
