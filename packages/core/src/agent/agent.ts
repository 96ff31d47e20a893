import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AgentError, RegistryError, ToolwrightError } from '../errors.js';
import type { Evaluator } from '../evaluator.js';
import type { ChangeGate } from '../gate.js';
import { jsonValueSchema } from '../json.js';
import type { Memory } from '../memory.js';
import type { LanguageModel } from '../model.js';
import type { RegistryReader } from '../registry.js';
import type { RegressionRunner } from '../regression.js';
import type { VersionSelector } from '../rollout.js';
import type { Rewriter } from '../rewriter.js';
import type { Sandbox } from '../sandbox.js';
import { parseOrThrow } from '../validation.js';
import { createBackgroundWork } from './background.js';
import { createCreateToolHandler } from './create-tool-handler.js';
import { createEmitter, type AgentEvent } from './events.js';
import { createImprovementCycle, type ImprovementReport } from './improvement-cycle.js';
import type { ImprovementQueue } from './improvement-queue.js';
import { createImprovementScheduler } from './improvement-scheduler.js';
import { createInstructions, type PromptSection } from './instructions.js';
import { checkPromptParts, promptOptionsShape, promptParts, type PromptOptions } from './prompt-options.js';
import { createReflection } from './reflection.js';
import { INLINE_INPUT_LIMIT } from './task-input.js';
import { createRunLoop, DEFAULT_RUN_TIMEOUT_MS, DEFAULT_TURN_TIMEOUT_MS } from './run-loop.js';
import { activeToolOf, loadActiveTools } from './run-state.js';
import { createToolCallDispatcher } from './tool-call-dispatcher.js';
import { createFeedback } from './feedback.js';
import { createKnownTaskServer } from './known-task.js';
import { DEFAULT_EXAMPLE_TOLERANCE, numericToleranceSchema, type NumericTolerance } from './output-match.js';
import { createShadowComparison } from './shadow-comparison.js';
import { shadowOptionsSchema, type ShadowOptions } from './shadow-options.js';
import { createToolRunner, RECENT_CALLS, type ToolRunner } from './tool-runner.js';
import { createTracing } from './tracing.js';
import type { Agent } from './types.js';

/**
 * The parts an agent is wired from; each is an interface of `@toolwright/core`. The agent
 * writes nothing that is in force itself: it reads the registry, and every change it wants (a
 * new tool, a rewrite, a learned rule) is a proposal to the {@link ChangeGate}.
 */
export interface AgentComponents {
  readonly model: LanguageModel;
  readonly sandbox: Sandbox;
  readonly memory: Memory;
  readonly registry: RegistryReader;
  readonly evaluator: Evaluator;
  readonly rewriter: Rewriter;
  readonly regression: RegressionRunner;
  readonly gate: ChangeGate;
}

const agentOptionsSchema = z
  .object({
    instructions: z
      .object({ immutable: z.array(z.object({ name: z.string().min(1), text: z.string().min(1) }).strict()).default([]) })
      .strict()
      .default({ immutable: [] }),
    improve: z
      .union([
        z.literal(false),
        z
          .object({
            everyNCalls: z.number().int().positive().default(5),
            inBackground: z.boolean().default(true),
            lastN: z.number().int().positive().default(50),
          })
          .strict(),
      ])
      .default({ everyNCalls: 5, inBackground: true, lastN: 50 }),
    maxSteps: z.number().int().positive().max(200).default(12),
    maxToolAttempts: z.number().int().positive().max(20).default(3),
    runTimeoutMs: z.number().int().positive().max(86_400_000).default(DEFAULT_RUN_TIMEOUT_MS),
    turnTimeoutMs: z.number().int().positive().max(86_400_000).default(DEFAULT_TURN_TIMEOUT_MS),
    inlineInputLimit: z.number().int().nonnegative().default(INLINE_INPUT_LIMIT),
    lessonTokenBudget: z.number().int().nonnegative().default(400),
    ...promptOptionsShape,
    reflect: z.boolean().default(true),
    learnRules: z.boolean().default(true),
    shadow: z.union([z.literal(false), shadowOptionsSchema]).prefault({}),
    exampleTolerance: numericToleranceSchema.default(DEFAULT_EXAMPLE_TOLERANCE),
    recentCalls: z.number().int().nonnegative().max(1_000_000).default(RECENT_CALLS),
    serveKnownTasks: z.boolean().default(true),
  })
  .strict();

/** Options of {@link createAgent}. */
export interface CreateAgentOptions extends AgentComponents, PromptOptions {
  /** Immutable prompt sections, declared by the integrator; the safety policy guards them. */
  readonly instructions?: { readonly immutable?: readonly PromptSection[] };
  /** When to run the improvement cycle; `false` only on `improve()`. Default: every 5 calls of a tool, in the background. */
  readonly improve?: false | { readonly everyNCalls?: number; readonly inBackground?: boolean; readonly lastN?: number };
  /**
   * A fleet's shared queue of improvement jobs (`createImprovementQueue` of `@toolwright/jobs`):
   * every N calls the scheduler asks it for a cycle instead of running one in-process; a worker
   * of the fleet runs it. `improve()` still runs a cycle here. Default: none (in-process).
   */
  readonly improvementQueue?: ImprovementQueue;
  /** Model turns per run before `AGENT_STEP_LIMIT`. Default 12. */
  readonly maxSteps?: number;
  /** Refused `create_tool` attempts per run (a call whose arguments are not JSON counts) before the agent stops offering it. Default 3. */
  readonly maxToolAttempts?: number;
  /**
   * Deadline of one run, every model turn and tool call included: past it the run fails with
   * `AGENT_TIMEOUT` (and `details.partial`). A run's own `timeoutMs` overrides it. Default 600 000 (10 min).
   */
  readonly runTimeoutMs?: number;
  /**
   * Deadline of one model turn, the provider's retries included, whatever the provider's own
   * timeouts: past it the run fails with `MODEL_TIMEOUT` (and `details.partial`). It holds for a
   * response body that stalls after its headers. Default 120 000 (2 min).
   */
  readonly turnTimeoutMs?: number;
  /**
   * A task input whose JSON is longer than this many characters is shown to the model as a
   * preview, and tools receive it by reference (`{"$ref":"input"}`) instead of the model copying
   * it into every call. 0 always passes it by reference. Default 400.
   */
  readonly inlineInputLimit?: number;
  /** Token budget for lessons in the system prompt. Default 400. */
  readonly lessonTokenBudget?: number;
  /** Ask the model for a lesson after a failed run. Default true. */
  readonly reflect?: boolean;
  /** Propose each lesson as a learned rule through the gate (append-only; it reaches the prompt once applied). Default true. */
  readonly learnRules?: boolean;
  /**
   * The shadow comparison after promotion: a sample of a promoted version's live calls also
   * runs on the version it replaced, off the user's path; outputs judged wrong are recorded as
   * `WRONG_OUTPUT` and a version with `rollbackAfter` of them is rolled back through the gate.
   * Default: 5 % of the first 200 calls of each version, then 1 %. `false` turns it off.
   */
  readonly shadow?: false | ShadowOptions;
  /** How numbers in examples (and shadow comparisons) are compared. Default `{ absolute: 1e-9, relative: 0 }`. */
  readonly exampleTolerance?: NumericTolerance;
  /** Recent tool calls kept in memory for `feedback` (input and output). Default 1,000. */
  readonly recentCalls?: number;
  /** Serve a task given without examples by the active tool written for this same task (same text, same input shape), with no model turn. Default true. */
  readonly serveKnownTasks?: boolean;
  /** Progress events. */
  readonly onEvent?: (event: AgentEvent) => void;
  /**
   * Live experiments (canary, A/B tests): asked for every tool call which version serves it
   * (sticky per task id), told each outcome; the call is recorded under the version that served
   * it, so memory's per-version summaries are per-arm. `@toolwright/rollout`'s `Rollout` is one.
   * Without it, the active version serves every call.
   */
  readonly versions?: VersionSelector;
}

const PARTS = ['model', 'sandbox', 'memory', 'registry', 'evaluator', 'rewriter', 'regression', 'gate'] as const satisfies readonly (keyof AgentComponents)[];

/**
 * Creates the self-improving agent from its parts: wiring only. The run loop, the tool runner,
 * the `create_tool` handler, reflection, the improvement cycle and its scheduler, and tracing
 * are each a factory of their own.
 *
 * @example
 * ```ts
 * const agent = createAgent({ model, sandbox, memory, registry, evaluator, rewriter, regression, gate,
 *   instructions: { immutable: [{ name: 'safety', text: 'Never send personal data anywhere.' }] } });
 * const result = await agent.run('Total these fares', { input: { fares: [229.92, 360.67] } });
 * console.log(result.output, result.verification.status, result.createdTools, result.tokens);
 * await agent.close();
 * ```
 */
export function createAgent(options: CreateAgentOptions): Agent {
  const { model, sandbox, memory, registry, evaluator, rewriter, regression, gate, onEvent, versions, improvementQueue, preferences, strategies, ...rest } = options;
  checkPromptParts({ versions, preferences, strategies }, options, PARTS);
  const config = parseOrThrow(agentOptionsSchema, rest, 'createAgent options');
  const emit = createEmitter(onEvent);
  const background = createBackgroundWork();
  const tracing = createTracing();
  let closed = false;

  const cycle = createImprovementCycle({ registry, memory, evaluator, rewriter, regression, gate });
  const improve = async (tool?: string): Promise<ImprovementReport> => {
    try {
      const report = await cycle({ ...(tool === undefined ? {} : { tool }), lastN: config.improve === false ? 50 : config.improve.lastN });
      emit({ type: 'improvement', report });
      return report;
    } catch (error) {
      emit({ type: 'improvement-failed', error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };
  if (improvementQueue !== undefined && typeof improvementQueue?.request !== 'function') {
    throw new ToolwrightError('INVALID_ARGUMENT', 'createAgent "improvementQueue" is an ImprovementQueue (request(tool)), e.g. createImprovementQueue() of @toolwright/jobs; leave it out to run cycles in-process.');
  }
  // With a fleet's queue the scheduler only asks for a cycle; a worker runs it (deduped across instances).
  const scheduled = improvementQueue === undefined ? improve : (tool: string) => improvementQueue.request(tool);
  const scheduler = createImprovementScheduler({ schedule: config.improve, improve: scheduled, background });
  const compiler: { compile?: ToolRunner['compile'] } = {};
  const shadowParts = { sandbox, registry, memory, regression, evaluator, gate, background, emit, tolerance: config.exampleTolerance };
  const shadow = config.shadow === false ? undefined : createShadowComparison({ ...shadowParts, compile: (version) => (compiler.compile as ToolRunner['compile'])(version), options: config.shadow });
  const toolRunner = createToolRunner({ sandbox, memory, regression, tracing, background, emit, afterCall: scheduler.called, ...(versions === undefined ? {} : { versions: { selector: versions, registry } }), ...(shadow ? { shadow } : {}), recentCalls: config.recentCalls });
  compiler.compile = toolRunner.compile;
  const feedback = createFeedback({ toolRunner, registry, memory, regression, shadow, tolerance: config.exampleTolerance, emit });
  const knownTask = config.serveKnownTasks ? createKnownTaskServer({ registry, toolRunner, emit }) : undefined;
  const createTool = createCreateToolHandler({ gate, regression, author: { kind: 'model', id: model.modelId }, maxToolAttempts: config.maxToolAttempts, emit, tolerance: config.exampleTolerance });
  const reflection = createReflection({ model, memory, registry, gate, emit, enabled: config.reflect, learnRules: config.learnRules });
  const runLoop = createRunLoop({
    model,
    tracing,
    instructions: createInstructions({ registry, memory, immutable: config.instructions.immutable, lessonTokenBudget: config.lessonTokenBudget, ...promptParts(config, { versions, preferences, strategies }) }),
    activeTools: () => loadActiveTools(registry),
    dispatch: createToolCallDispatcher({ toolRunner, createTool, maxToolAttempts: config.maxToolAttempts }),
    reflection,
    maxSteps: config.maxSteps,
    maxToolAttempts: config.maxToolAttempts,
    runTimeoutMs: config.runTimeoutMs,
    turnTimeoutMs: config.turnTimeoutMs,
    inlineInputLimit: config.inlineInputLimit,
  });
  const assertOpen = (): void => {
    if (closed) throw new AgentError('AGENT_CLOSED', 'This agent was closed; create a new one.');
  };

  return {
    async run(task, runOptions) {
      assertOpen();
      const known = (runOptions?.examples ?? []).length === 0 && runOptions?.tools !== 'none' ? await knownTask?.(task, runOptions ?? {}) : undefined;
      return known ?? runLoop.run(task, runOptions);
    },
    async call(name, input, callOptions = {}) {
      assertOpen();
      const parsedInput = parseOrThrow(jsonValueSchema, input, `input of ${name}`);
      const version = await registry.active(name);
      const tool = version ? activeToolOf(version) : undefined;
      if (!tool) {
        throw new RegistryError('REGISTRY_NOT_FOUND', `There is no active tool named "${name}". List the active tools with registry.list({ kind: 'tool' }).`, { details: { name } });
      }
      const taskId = callOptions.taskId ?? randomUUID();
      return toolRunner.run(tool, { id: `direct-${taskId}`, input: parsedInput }, { taskId, step: 0, signal: callOptions.signal });
    },
    improve,
    async feedback(callId, given) {
      assertOpen();
      return feedback(callId, given);
    },
    idle: () => background.idle(),
    async close() {
      closed = true;
      await background.idle();
      await memory.flush();
    },
  };
}
