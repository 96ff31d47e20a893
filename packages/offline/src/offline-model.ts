import {
  CREATE_TOOL,
  jsonObjectSchema,
  jsonValueSchema,
  ModelError,
  numericToleranceSchema,
  parseOrThrow,
  PROMPT_REFINEMENT_REQUEST,
  toolExampleSchema,
  ZERO_USAGE,
  type GenerateRequest,
  type GenerateResult,
  type JsonObject,
  type JsonValue,
  type LanguageModel,
  type NumericTolerance,
  type RepairContext,
  type TaskContext,
  type ToolCall,
  type ToolDefinition,
} from '@toolwright/core';
import { z } from 'zod';
import { callId, createToolOutcomeOf, readConversation, resultValue, type AnsweredCall, type CallPurpose } from './conversation.js';
import { roughlyMatches } from './json-schema.js';
import { synthesisLimitsSchema, type SynthesisLimits } from './options.js';
import { programInDescription, roundsLikeThisVersion } from './synthesis/describe.js';
import { inputShape, wrapInput } from './synthesis/input-shape.js';
import { parseProgram, printProgram, programOperations, type Program } from './synthesis/program.js';
import { evaluateProgram, EvaluationError, jsonEqual } from './synthesis/semantics.js';
import { synthesizeTool } from './synthesize-tool.js';
import { chooseRepair } from './repair.js';
import { refinePrompt } from './prompt-refinement.js';

/** Assistant turns per task before the model gives up; its own plans take at most three. */
const MAX_TURNS = 8;

/** What the offline model did, for progress output and tests. */
export type OfflineModelEvent =
  | { readonly type: 'reused'; readonly tool: string; readonly program: string }
  | {
      readonly type: 'synthesised';
      readonly tool: string;
      readonly program: string;
      readonly size: number;
      readonly programsTried: number;
      readonly durationMs: number;
    }
  | { readonly type: 'probing'; readonly tools: readonly string[] }
  /** `create_tool` was refused; the answer was computed by the program in-process, with nothing registered. */
  | { readonly type: 'answered-without-tool'; readonly program: string; readonly refusal: string }
  | { readonly type: 'repair'; readonly tool: string; readonly version: number; readonly transforms: readonly string[]; readonly reason: string }
  | { readonly type: 'cannot'; readonly reason: string };

/** Options of {@link offlineModel}. */
export interface OfflineModelOptions extends SynthesisLimits {
  /** The model id reported to the agent (and recorded as the author of its tools). Default `offline-synthesis`. */
  readonly modelId?: string;
  /**
   * When no program is found, how many existing tools (not written by this model, whose input
   * schema accepts the examples) it calls on the examples to find one that reproduces them.
   * 0 turns this off. Default 3.
   */
  readonly maxProbeTools?: number;
  /** Called for each decision; a listener's failure is ignored. */
  readonly onEvent?: (event: OfflineModelEvent) => void;
}

const optionsSchema = synthesisLimitsSchema
  .extend({
    modelId: z.string().min(1).max(200).default('offline-synthesis'),
    maxProbeTools: z.number().int().min(0).max(20).default(3),
    onEvent: z.custom<(event: OfflineModelEvent) => void>((value) => typeof value === 'function', 'onEvent must be a function').optional(),
  })
  .strict();

const toolCallSchema = z.object({
  id: z.string(),
  name: z.string(),
  input: jsonValueSchema,
  inputError: z.object({ message: z.string(), raw: z.string() }).optional(),
});
const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), content: z.string(), toolCalls: z.array(toolCallSchema).optional() }),
  z.object({ role: z.literal('tool'), toolCallId: z.string(), toolName: z.string(), content: z.string(), isError: z.boolean().optional() }),
]);
const requestSchema = z.object({
  messages: z.array(messageSchema),
  tools: z.array(z.object({ name: z.string(), description: z.string(), inputSchema: jsonObjectSchema })).optional(),
  toolChoice: z.union([z.enum(['auto', 'none', 'required']), z.object({ name: z.string() })]).optional(),
  responseSchema: z.object({ name: z.string(), schema: jsonObjectSchema, description: z.string().optional() }).optional(),
  task: z
    .object({ text: z.string(), input: jsonValueSchema.optional(), examples: z.array(toolExampleSchema).optional(), tolerance: numericToleranceSchema.optional() })
    .optional(),
  repair: z
    .object({
      tool: z.object({ name: z.string(), version: z.number(), language: z.enum(['js', 'ts']), capabilities: z.array(z.looseObject({ kind: z.string() })) }),
      diagnosis: z.looseObject({ reasons: z.array(z.looseObject({ kind: z.string(), message: z.string(), metric: z.string().optional() })) }),
      recentErrors: z.array(z.object({ code: z.string(), message: z.string() })),
      transforms: z.array(z.object({ name: z.string(), description: z.string() })),
    })
    .optional(),
});

type Reply = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'calls'; readonly calls: readonly ToolCall[] };

/** What every decision needs about the task, computed once per request. */
interface Prepared {
  readonly task: TaskContext;
  readonly examples: readonly { readonly input: JsonObject; readonly output: JsonValue }[];
  readonly toolInput: JsonObject;
  /** How closely numbers must match the examples: the task's own tolerance, else the model's. */
  readonly tolerance: NumericTolerance;
}

/**
 * The offline model: a {@link LanguageModel} that is not a language model. It needs no
 * network and spends no tokens (usage is always zero). Given a task with examples
 * (`GenerateRequest.task`), it calls an active tool that reproduces them, or writes one —
 * a search for the smallest composition of typed primitives consistent with every
 * example, emitted as readable TypeScript through `create_tool` — and answers with the
 * tool's result. When it cannot, it says so ("I cannot solve this task: …"); it never
 * guesses. It answers a rewriter's repair request (`GenerateRequest.repair`, sent by
 * `createModelRewriter` from `@toolwright/rewriter`) by naming the offered transforms the
 * diagnosis calls for — retry for transient errors, timeout for timeouts or latency,
 * fallback when a secondary origin is declared, memoise for a pure slow tool — or, when none
 * fits, by failing with `MODEL_UNSUPPORTED_REQUEST` saying why. It reads no prose: requests
 * without `task` or `repair`, and other structured-output requests, are beyond it.
 *
 * @example
 * ```ts
 * import { offlineModel } from '@toolwright/offline';
 *
 * const model = offlineModel({ timeBudgetMs: 1000 });
 * const agent = createAgent({ model, sandbox, memory, registry, evaluator, rewriter, regression, gate });
 * const result = await agent.run('Total the fares', {
 *   input: { fares: [{ price: 229.92 }, { price: 360.67 }] },
 *   examples: [
 *     { input: { fares: [{ price: 1 }, { price: 2 }] }, output: 3 },
 *     { input: { fares: [{ price: 10 }] }, output: 10 },
 *   ],
 * });
 * result.output; // 590.59 (to floating point), computed by the tool `sum_fares_price`
 * result.tokens; // { input: 0, output: 0 }
 * ```
 */
export function offlineModel(options: OfflineModelOptions = {}): LanguageModel {
  return new OfflineModel(options);
}

class OfflineModel implements LanguageModel {
  readonly specificationVersion = 'toolwright.model.v1' as const;
  readonly provider = 'offline';
  readonly modelId: string;
  readonly #limits: Required<SynthesisLimits>;
  readonly #maxProbeTools: number;
  readonly #onEvent: ((event: OfflineModelEvent) => void) | undefined;

  constructor(options: OfflineModelOptions) {
    const { modelId, maxProbeTools, onEvent, ...limits } = parseOrThrow(optionsSchema, options, 'offlineModel options');
    this.modelId = modelId;
    this.#limits = limits;
    this.#maxProbeTools = maxProbeTools;
    this.#onEvent = onEvent;
  }

  async generate(raw: GenerateRequest): Promise<GenerateResult> {
    const signal = raw?.signal;
    this.#throwIfAborted(signal);
    const { signal: _signal, ...rest } = raw ?? ({} as GenerateRequest);
    const request = parseOrThrow(requestSchema, rest, 'offline model request');
    if (request.repair && request.responseSchema) return this.#repair(rest.repair as RepairContext, request.messages);
    if (request.responseSchema?.name === PROMPT_REFINEMENT_REQUEST) return refinePrompt(this.modelId, request.messages);
    if (request.responseSchema) {
      throw new ModelError(
        'MODEL_UNSUPPORTED_REQUEST',
        `The offline model "${this.modelId}" cannot answer a structured-output request ("${request.responseSchema.name}"): ` +
          'it writes tools from examples and calls them, and reads no prose. Use a language model for this request.',
        { details: { responseSchema: request.responseSchema.name } },
      );
    }
    const reply = this.#decide(request as GenerateRequest);
    this.#throwIfAborted(signal);
    return reply.kind === 'text'
      ? { text: reply.text, toolCalls: [], finishReason: 'stop', usage: ZERO_USAGE }
      : { text: '', toolCalls: reply.calls, finishReason: 'tool-calls', usage: ZERO_USAGE };
  }

  /** A rewriter's request: choose transforms from the diagnosis, or say plainly why none fits. */
  #repair(context: RepairContext, messages: readonly { readonly role: string; readonly content: string }[]): GenerateResult {
    // An earlier answer in this conversation was refused. The choice is deterministic, so
    // answering again would repeat it: say so instead, with the refusal.
    if (messages.some((message) => message.role === 'assistant')) {
      const refusal = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
      const reason = `its choice of transforms was refused, and it would choose the same again (${refusal.slice(0, 500).replace(/\s+/g, ' ').trim()})`;
      this.#emit({ type: 'cannot', reason });
      throw new ModelError('MODEL_UNSUPPORTED_REQUEST', `The offline model "${this.modelId}" cannot repair this tool: ${reason}.`, {
        details: { tool: context.tool.name, version: context.tool.version, refused: true },
      });
    }
    const decision = chooseRepair(context);
    if (!decision.ok) {
      this.#emit({ type: 'cannot', reason: decision.reason });
      throw new ModelError('MODEL_UNSUPPORTED_REQUEST', `The offline model "${this.modelId}" cannot repair this tool: ${decision.reason}.`, {
        details: { tool: context.tool.name, version: context.tool.version, offered: context.transforms.map((transform) => transform.name) },
      });
    }
    const { answer } = decision;
    this.#emit({ type: 'repair', tool: context.tool.name, version: context.tool.version, transforms: answer.transforms, reason: answer.reason });
    const object = { transforms: [...answer.transforms], reason: answer.reason };
    return { text: JSON.stringify(object), toolCalls: [], finishReason: 'stop', usage: ZERO_USAGE, object };
  }

  #throwIfAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new ModelError('MODEL_ABORTED', 'The model request was aborted by its AbortSignal.', { cause: signal.reason });
  }

  #emit(event: OfflineModelEvent): void {
    try {
      this.#onEvent?.(event);
    } catch {
      // A listener's failure must never change the model's answer.
    }
  }

  #cannot(reason: string): Reply {
    this.#emit({ type: 'cannot', reason });
    return { kind: 'text', text: `I cannot solve this task: ${reason.replace(/[.\s]+$/, '')}.` };
  }

  #decide(request: GenerateRequest): Reply {
    const conversation = readConversation(request.messages);
    if (conversation.turns >= MAX_TURNS) return this.#cannot(`${conversation.turns} turns passed without an answer`);
    const task = request.task;
    if (!task) {
      return this.#cannot('the request carries no task as data (GenerateRequest.task with input and examples), and the offline model reads no prose');
    }
    const examples = task.examples ?? [];
    if (examples.length === 0) {
      return this.#cannot('there are no examples (input → expected output) to learn from; give the task at least one, preferably three or more');
    }
    if (task.input === undefined) return this.#cannot('the task has no input to apply a tool to');
    const shape = inputShape([...examples.map((example) => example.input), task.input]);
    if (!shape.ok) return this.#cannot(shape.reason);
    const prepared: Prepared = {
      task,
      examples: examples.map((example) => ({ input: wrapInput(example.input, shape.wrapKey), output: example.output })),
      toolInput: wrapInput(task.input, shape.wrapKey),
      tolerance: { absolute: task.tolerance?.absolute ?? this.#limits.tolerance, relative: task.tolerance?.relative ?? this.#limits.relativeTolerance },
    };
    const tools = (request.tools ?? []).filter((tool) => tool.name !== CREATE_TOOL);
    const turn = conversation.turns + 1;
    const noTools = 'this request allows no tool calls, and the offline model answers only through tools';
    if (request.toolChoice === 'none' && conversation.lastCalls.length === 0) return this.#cannot(noTools);
    const reply = conversation.lastCalls.length > 0
      ? this.#continue(conversation.lastCalls, prepared, tools, turn)
      : this.#start(prepared, tools, (request.tools ?? []).some((tool) => tool.name === CREATE_TOOL), turn);
    if (reply.kind === 'calls' && request.toolChoice === 'none') return this.#cannot(noTools);
    return reply;
  }

  /** The first turn: reuse a tool that reproduces the examples, else write one, else try existing tools. */
  #start(prepared: Prepared, tools: readonly ToolDefinition[], canCreate: boolean, turn: number): Reply {
    const reusable = this.#reusableTool(prepared, tools);
    if (reusable) {
      this.#emit({ type: 'reused', tool: reusable.tool.name, program: printProgram(reusable.program) });
      return this.#answerCall(reusable.tool.name, prepared, turn);
    }

    // synthesizeTool reads the task's own tolerance from the task.
    const synthesis = synthesizeTool(prepared.task, { ...this.#limits, takenNames: tools.map((tool) => tool.name) });
    if (synthesis.ok && canCreate) {
      this.#emit({
        type: 'synthesised',
        tool: synthesis.spec.name,
        program: synthesis.program,
        size: synthesis.size,
        programsTried: synthesis.programsTried,
        durationMs: synthesis.durationMs,
      });
      return { kind: 'calls', calls: [{ id: callId({ kind: 'create' }, turn, 0), name: CREATE_TOOL, input: synthesis.spec as unknown as JsonObject }] };
    }

    const probes = this.#probeCandidates(prepared, tools);
    if (probes.length > 0) {
      this.#emit({ type: 'probing', tools: probes.map((tool) => tool.name) });
      const calls: ToolCall[] = [];
      for (const tool of probes) {
        prepared.examples.forEach((example, index) => {
          calls.push({ id: callId({ kind: 'probe', example: index }, turn, calls.length), name: tool.name, input: example.input });
        });
      }
      return { kind: 'calls', calls };
    }
    if (synthesis.ok) {
      return this.#cannot(`the program ${synthesis.program} reproduces the examples, but create_tool is not offered, so it cannot become a tool`);
    }
    return this.#cannot(synthesis.message);
  }

  /** An active tool this model wrote (its description records the program) whose program reproduces every example. */
  #reusableTool(prepared: Prepared, tools: readonly ToolDefinition[]): { tool: ToolDefinition; program: Program } | undefined {
    let best: { tool: ToolDefinition; program: Program; operations: number } | undefined;
    for (const tool of tools) {
      const text = programInDescription(tool.description);
      if (text === undefined) continue;
      let program: Program;
      try {
        program = parseProgram(text);
      } catch {
        continue;
      }
      // A tool written with the earlier rounding computes something this interpreter cannot check.
      if (!roundsLikeThisVersion(program, tool.description) || !this.#reproduces(program, prepared)) continue;
      const operations = programOperations(program);
      if (!best || operations < best.operations || (operations === best.operations && tool.name < best.tool.name)) best = { tool, program, operations };
    }
    return best;
  }

  #reproduces(program: Program, prepared: Prepared): boolean {
    try {
      return prepared.examples.every((example) => jsonEqual(evaluateProgram(program, example.input), example.output, prepared.tolerance));
    } catch (error) {
      if (error instanceof EvaluationError) return false;
      throw error;
    }
  }

  /** Tools not written by this model whose input schema accepts every example and the task input. */
  #probeCandidates(prepared: Prepared, tools: readonly ToolDefinition[]): ToolDefinition[] {
    if (this.#maxProbeTools === 0) return [];
    return tools
      .filter((tool) => programInDescription(tool.description) === undefined)
      .filter((tool) => [...prepared.examples.map((example) => example.input), prepared.toolInput].every((input) => roughlyMatches(tool.inputSchema, input)))
      .slice(0, this.#maxProbeTools);
  }

  #answerCall(name: string, prepared: Prepared, turn: number): Reply {
    return { kind: 'calls', calls: [{ id: callId({ kind: 'answer' }, turn, 0), name, input: prepared.toolInput }] };
  }

  /** A later turn: read the results of the calls this model made last, and go on. */
  #continue(calls: readonly AnsweredCall[], prepared: Prepared, tools: readonly ToolDefinition[], turn: number): Reply {
    const foreign = calls.find((call) => call.purpose === undefined);
    if (foreign) return this.#cannot(`the conversation holds a call of "${foreign.call.name}" that the offline model did not make`);
    const unanswered = calls.find((call) => call.result === undefined);
    if (unanswered) return this.#cannot(`no result came back for the call of "${unanswered.call.name}"`);
    const purpose = calls[0]?.purpose as CallPurpose;
    switch (purpose.kind) {
      case 'answer':
        return this.#finish(calls[0] as AnsweredCall);
      case 'create':
        return this.#afterCreate(calls[0] as AnsweredCall, prepared, tools, turn);
      case 'probe':
        return this.#afterProbes(calls, prepared, turn);
    }
  }

  #finish(call: AnsweredCall): Reply {
    const result = call.result;
    if (!result) return this.#cannot(`no result came back for the call of "${call.call.name}"`);
    if (result.isError) return this.#cannot(`the tool "${call.call.name}" failed: ${result.content}`);
    const value = resultValue(result);
    return { kind: 'text', text: value === undefined ? JSON.stringify(result.content) : JSON.stringify(value) };
  }

  /** The agent answers `create_tool` with a `CreateToolOutcome` as JSON: read it as data, never as prose. */
  #afterCreate(call: AnsweredCall, prepared: Prepared, tools: readonly ToolDefinition[], turn: number): Reply {
    const result = call.result;
    if (!result) return this.#cannot('create_tool gave no answer');
    const outcome = createToolOutcomeOf(result);
    if (!outcome) return this.#cannot(`create_tool answered something other than a CreateToolOutcome (${result.content.slice(0, 200)})`);
    switch (outcome.status) {
      case 'refused':
        return this.#withoutTool(call, prepared, outcome.reason) ?? this.#cannot(`create_tool was refused: ${outcome.reason}`);
      case 'queued':
        return this.#cannot(
          `the tool "${outcome.tool}" waits for a person's approval (request ${outcome.approvalId}), so it cannot be called in this run`,
        );
      case 'created':
      case 'reused':
        // Created: the new tool; reused: an active tool that already reproduces the examples.
        if (!tools.some((tool) => tool.name === outcome.tool)) return this.#cannot(`create_tool reported "${outcome.tool}" ${outcome.status}, but no such tool is offered`);
        return this.#answerCall(outcome.tool, prepared, turn);
    }
  }

  /**
   * After a refused `create_tool`: the program it proposed (read back from the spec's
   * description, and checked again against every example) answers the task in-process —
   * nothing is registered, no tool runs — and the answer says so and why. `undefined` when the
   * call carries no program that reproduces the examples and applies to the task input.
   */
  #withoutTool(call: AnsweredCall, prepared: Prepared, refusal: string): Reply | undefined {
    const input = call.call.input;
    const description = typeof input === 'object' && input !== null && !Array.isArray(input) ? input['description'] : undefined;
    const text = typeof description === 'string' ? programInDescription(description) : undefined;
    if (text === undefined) return undefined;
    let program: Program;
    let value: JsonValue;
    try {
      program = parseProgram(text);
      if (!this.#reproduces(program, prepared)) return undefined;
      value = evaluateProgram(program, prepared.toolInput);
    } catch {
      return undefined;
    }
    const reason = refusal.replace(/[.\s]+$/, '');
    this.#emit({ type: 'answered-without-tool', program: text, refusal: reason });
    return {
      kind: 'text',
      text:
        `Answered without a new tool, because create_tool was refused: ${reason}. ` +
        `The program ${text} reproduces all ${prepared.examples.length} example(s); run here, outside any tool (nothing was registered), on the task input it gives: ${JSON.stringify(value)}`,
    };
  }

  #afterProbes(calls: readonly AnsweredCall[], prepared: Prepared, turn: number): Reply {
    const byTool = new Map<string, AnsweredCall[]>();
    for (const call of calls) {
      const list = byTool.get(call.call.name) ?? [];
      list.push(call);
      byTool.set(call.call.name, list);
    }
    for (const [name, probes] of byTool) {
      const reproduced = prepared.examples.every((example, index) => {
        const probe = probes.find((candidate) => candidate.purpose?.kind === 'probe' && candidate.purpose.example === index);
        if (!probe?.result || probe.result.isError) return false;
        const value = resultValue(probe.result);
        return value !== undefined && jsonEqual(value, example.output, prepared.tolerance);
      });
      if (reproduced) {
        this.#emit({ type: 'reused', tool: name, program: '(not written by the offline model; it reproduced every example)' });
        return this.#answerCall(name, prepared, turn);
      }
    }
    return this.#cannot(
      `no program within the limits reproduces the examples, and none of the tools tried (${[...byTool.keys()].join(', ')}) reproduces them either`,
    );
  }
}

