import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AgentError, ModelError, ToolwrightError } from '../errors.js';
import { jsonValueSchema, type JsonValue } from '../json.js';
import { addUsage, UNKNOWN_USAGE, ZERO_USAGE, type GenerateResult, type LanguageModel, type Message, type TaskContext, type TokenUsage } from '../model.js';
import { abortedError } from '../internal/abort.js';
import { generateObject } from '../structured-output.js';
import { parseOrThrow } from '../validation.js';
import { saysItCannot, verifyAnswer } from './answer.js';
import { createToolDefinition } from './create-tool.js';
import { startDeadline, type Deadline } from './deadline.js';
import type { AssembledPrompt, PromptFor } from './instructions.js';
import { taskSucceeded } from './prompt-options.js';
import { runOptionsSchema, type ParsedRunOptions } from './run-options.js';
import type { Reflection } from './reflection.js';
import { newRunState, type ActiveTool, type RunState } from './run-state.js';
import { withPartial } from './run-partial.js';
import { describeTask } from './task-input.js';
import type { ToolCallDispatcher } from './tool-call-dispatcher.js';
import type { AgentTracing } from './tracing.js';
import type { AgentRunOptions, AgentRunPartial, AgentRunResult, AgentStep, RunTokens } from './types.js';

/** Default deadline of a whole run: 10 minutes. */
export const DEFAULT_RUN_TIMEOUT_MS = 600_000;
/** Default deadline of one model turn (the provider's retries included): 2 minutes. */
export const DEFAULT_TURN_TIMEOUT_MS = 120_000;

/** What {@link createRunLoop} needs. */
export interface RunLoopDependencies {
  readonly model: LanguageModel;
  readonly tracing: AgentTracing;
  /** The system prompt for a task (and the user it runs for). */
  readonly instructions: (task: string, forRun: PromptFor) => Promise<AssembledPrompt>;
  /** The tools active at the start of a run. */
  readonly activeTools: () => Promise<Map<string, ActiveTool>>;
  readonly dispatch: ToolCallDispatcher;
  readonly reflection: Pick<Reflection, 'reflect'>;
  /** Model turns per run before `AGENT_STEP_LIMIT`. */
  readonly maxSteps: number;
  /** Refused `create_tool` attempts per run before it is no longer offered. */
  readonly maxToolAttempts: number;
  /** Deadline of a run (`AGENT_TIMEOUT`). Default {@link DEFAULT_RUN_TIMEOUT_MS}. */
  readonly runTimeoutMs?: number;
  /** Deadline of one model turn (`MODEL_TIMEOUT`). Default {@link DEFAULT_TURN_TIMEOUT_MS}. */
  readonly turnTimeoutMs?: number;
  /** Task input (and examples) longer than this many characters of JSON go by reference. Default 400 (`INLINE_INPUT_LIMIT`). */
  readonly inlineInputLimit?: number;
}

/** Runs tasks: model turn, tool calls, repeat, until the model answers. */
export interface RunLoop {
  run<S extends z.ZodType>(task: string, options?: AgentRunOptions<S>): Promise<AgentRunResult>;
}


/** Where a run stands, for the error it throws if it fails. */
interface Progress {
  readonly steps: AgentStep[];
  total: TokenUsage;
  /** True while a model request is in flight: its usage is lost if it fails. */
  inModelTurn: boolean;
  state: RunState | undefined;
  step: number;
}

const runTokens = (usage: TokenUsage): RunTokens => ({ input: usage.inputTokens, output: usage.outputTokens, ...(usage.unknown ? { unknown: true as const } : {}) });

/** A {@link RunLoop}. */
export function createRunLoop(dependencies: RunLoopDependencies): RunLoop {
  const { model, tracing, instructions, activeTools, dispatch, reflection, maxSteps, maxToolAttempts } = dependencies;
  const runTimeoutMs = dependencies.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const turnTimeoutMs = dependencies.turnTimeoutMs ?? DEFAULT_TURN_TIMEOUT_MS;

  /**
   * One model request under the turn deadline (inside the run's): it settles by the deadline
   * even when the model ignores its signal. The deadlines' expiry becomes `MODEL_TIMEOUT` /
   * `AGENT_TIMEOUT`; a caller's abort stays `MODEL_ABORTED`.
   */
  const modelTurn = async <T>(run: Deadline, progress: Progress, request: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const turn = startDeadline(turnTimeoutMs, run.signal);
    progress.inModelTurn = true;
    try {
      const result = await turn.race(request(turn.signal));
      progress.inModelTurn = false;
      return result;
    } catch (error) {
      if (run.expired()) throw runTimeout(run, progress);
      if (turn.expired()) {
        throw new ModelError('MODEL_TIMEOUT', `Model turn ${progress.step} of ${model.provider} "${model.modelId}" gave no answer within turnTimeoutMs (${turnTimeoutMs} ms). Raise turnTimeoutMs, or check the model server.`, {
          cause: error,
          details: { step: progress.step, turnTimeoutMs },
        });
      }
      // The caller's abort settles the race with the signal's reason before the model's own error.
      if (turn.signal.aborted && !ToolwrightError.isInstance(error)) throw abortedError(turn.signal);
      throw error;
    } finally {
      turn.dispose();
    }
  };

  const runTimeout = (run: Deadline, progress: Progress): AgentError =>
    new AgentError('AGENT_TIMEOUT', `The run${progress.state ? ` of task ${progress.state.taskId}` : ''} gave no final answer within its deadline (${run.timeoutMs} ms, at model turn ${progress.step}). Raise runTimeoutMs (or the run's timeoutMs), or simplify the task.`, {
      details: { runTimeoutMs: run.timeoutMs, step: progress.step },
    });

  /** The static baseline: one structured answer, no tools. */
  const answerWithoutTools = async (parsed: ParsedRunOptions & { taskId: string }, userContent: string, schema: z.ZodType | undefined, run: Deadline, progress: Progress, started: number): Promise<AgentRunResult> => {
    progress.step = 1;
    const { object, text, usage } = await modelTurn(run, progress, (signal) =>
      generateObject(model, {
        messages: [
          { role: 'system', content: 'Answer the task directly with JSON matching the schema. You have no tools.' },
          { role: 'user', content: userContent },
        ],
        schema: schema ?? z.object({ answer: jsonValueSchema }),
        signal,
      }),
    );
    return {
      taskId: parsed.taskId,
      output: object as JsonValue,
      text,
      verification: { status: 'unverified', reason: 'the static baseline answers without tools' },
      steps: [{ step: 1, text, toolCalls: [], usage }],
      toolCalls: [],
      createdTools: [],
      reusedTools: [],
      tokens: runTokens(usage),
      durationMs: performance.now() - started,
    };
  };

  const loop = async (state: RunState, taskContext: TaskContext, userContent: string, run: Deadline, progress: Progress, started: number, who: { readonly userId?: string | undefined; readonly taskType?: string | undefined }): Promise<AgentRunResult> => {
    const prompt = await instructions(state.task, { taskId: state.taskId, ...(who.userId === undefined ? {} : { userId: who.userId }), ...(who.taskType === undefined ? {} : { taskType: who.taskType }) });
    const result = await converse(state, taskContext, userContent, run, progress, started, prompt).catch((error: unknown) => {
      prompt.settle(false);
      throw error;
    });
    prompt.settle(taskSucceeded(result));
    return result;
  };
  const converse = async (state: RunState, taskContext: TaskContext, userContent: string, run: Deadline, progress: Progress, started: number, prompt: AssembledPrompt): Promise<AgentRunResult> => {
    const messages: Message[] = [
      { role: 'system', content: prompt.text },
      { role: 'user', content: userContent },
    ];
    const { steps } = progress;
    const toolsFromBefore = new Set(state.tools.keys());
    const reflect = async (what: string): Promise<void> => {
      progress.total = addUsage(progress.total, await reflection.reflect({ taskId: state.taskId, task: state.task, what, toolCalls: state.toolCalls }));
    };

    while (state.step < maxSteps) {
      if (run.expired()) throw runTimeout(run, progress);
      state.step++;
      progress.step = state.step;
      const offered = [...[...state.tools.values()].map((tool) => tool.definition), ...(state.refusedAttempts < maxToolAttempts ? [createToolDefinition] : [])];
      const answer: GenerateResult = await modelTurn(run, progress, (signal) =>
        tracing.chat(model, () => model.generate({ messages, tools: offered, task: taskContext, signal })),
      );
      progress.total = addUsage(progress.total, answer.usage);
      steps.push({ step: state.step, text: answer.text, toolCalls: answer.toolCalls.map((call) => call.name), usage: answer.usage });
      messages.push({ role: 'assistant', content: answer.text, toolCalls: answer.toolCalls });

      if (answer.toolCalls.length === 0) {
        const failedCalls = state.toolCalls.filter((call) => !call.ok);
        if (failedCalls.length > 0) await reflect(`${failedCalls.length} tool call(s) failed`);
        else if (saysItCannot(answer.text)) await reflect('the model said it could not finish');
        for (const call of state.toolCalls) {
          if (call.ok && toolsFromBefore.has(call.name) && !state.reusedTools.includes(call.name)) state.reusedTools.push(call.name);
        }
        const { output, verification } = verifyAnswer(answer.text, state.toolCalls);
        return {
          taskId: state.taskId,
          output,
          text: answer.text,
          verification,
          steps,
          toolCalls: state.toolCalls,
          createdTools: state.createdTools,
          reusedTools: state.reusedTools,
          tokens: runTokens(progress.total),
          durationMs: performance.now() - started,
          prompt: { tokens: prompt.tokens, sections: prompt.sections, preferences: prompt.preferences, ...(prompt.strategy === undefined ? {} : { strategy: prompt.strategy }) },
        };
      }

      // The turn's tokens are attributed to its first invocation only; unknown ones to none.
      let turnUsage: TokenUsage | undefined = answer.usage.unknown ? undefined : answer.usage;
      for (const call of answer.toolCalls) {
        const reply = await dispatch(state, call, turnUsage);
        turnUsage = undefined;
        messages.push({ role: 'tool', toolCallId: call.id, toolName: call.name, content: reply.content, ...(reply.isError ? { isError: true } : {}) });
      }
    }

    await reflect(`the step limit (${maxSteps}) was reached without a final answer`);
    throw new AgentError('AGENT_STEP_LIMIT', `The agent reached its step limit (${maxSteps} model turns) without a final answer for task ${state.taskId}. Raise maxSteps, or simplify the task; details.trace holds every step.`, {
      details: { taskId: state.taskId, trace: steps, toolCalls: state.toolCalls, tokens: progress.total, createdTools: state.createdTools },
    });
  };

  const run = async <S extends z.ZodType>(task: string, options: AgentRunOptions<S> = {}): Promise<AgentRunResult> => {
    if (typeof task !== 'string' || task.trim() === '') {
      throw new ToolwrightError('INVALID_ARGUMENT', 'agent.run needs a task: a non-empty string saying what to do.');
    }
    const { schema, signal, ...plain } = options;
    const parsed = parseOrThrow(runOptionsSchema, plain, 'agent.run options');
    const started = performance.now();
    const taskId = parsed.taskId ?? randomUUID();
    const deadline = startDeadline(parsed.timeoutMs ?? runTimeoutMs, signal);
    const progress: Progress = { steps: [], total: ZERO_USAGE, inModelTurn: false, state: undefined, step: 0 };
    try {
      if (parsed.tools === 'none') {
        return await answerWithoutTools({ ...parsed, taskId }, describeTask(task, parsed.input, parsed.examples, 'no-tools'), schema, deadline, progress, started);
      }
      const state = newRunState({ taskId, task, examples: parsed.examples ?? [], signal: deadline.signal, tools: await activeTools(), ...(parsed.input === undefined ? {} : { input: parsed.input }), ...(parsed.tolerance === undefined ? {} : { tolerance: parsed.tolerance }) });
      progress.state = state;
      const taskContext: TaskContext = {
        text: task,
        ...(parsed.input === undefined ? {} : { input: parsed.input }),
        ...(parsed.examples === undefined ? {} : { examples: parsed.examples }), ...(parsed.tolerance === undefined ? {} : { tolerance: parsed.tolerance }),
      };
      return await loop(state, taskContext, describeTask(task, parsed.input, parsed.examples, 'tools', dependencies.inlineInputLimit), deadline, progress, started, { userId: parsed.userId, taskType: parsed.taskType });
    } catch (error) {
      // A deadline that expired during a tool run or a gate proposal surfaces as their abort.
      const thrown = deadline.expired() && !(ToolwrightError.isInstance(error) && (error.code === 'AGENT_TIMEOUT' || error.code === 'MODEL_TIMEOUT')) ? runTimeout(deadline, progress) : error;
      throw withPartial(thrown, partialOf(taskId, progress, started));
    } finally {
      deadline.dispose();
    }
  };

  return { run: (task, options) => tracing.invokeAgent(model, () => run(task, options)) };
}

function partialOf(taskId: string, progress: Progress, started: number): AgentRunPartial {
  const state = progress.state;
  return {
    taskId,
    steps: [...progress.steps],
    toolCalls: state ? [...state.toolCalls] : [],
    createdTools: state ? [...state.createdTools] : [],
    reusedTools: state ? [...state.reusedTools] : [],
    tokens: runTokens(progress.inModelTurn ? addUsage(progress.total, UNKNOWN_USAGE) : progress.total),
    durationMs: performance.now() - started,
    failedAtStep: progress.step,
  };
}
