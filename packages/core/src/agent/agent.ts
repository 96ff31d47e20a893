import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { splitToolSpec, toolExampleSchema, toolSpecSchema, type ArtifactVersion, type ToolExample, type ToolSpec } from '../artifact.js';
import { AgentError, RegistryError, ToolwrightError } from '../errors.js';
import type { Evaluator } from '../evaluator.js';
import { contentHash } from '../hash.js';
import { jsonValueSchema, type JsonObject, type JsonValue } from '../json.js';
import { asJson } from './as-json.js';
import type { Memory } from '../memory.js';
import { addUsage, ZERO_USAGE, type LanguageModel, type Message, type TaskContext, type TokenUsage, type ToolCall, type ToolDefinition } from '../model.js';
import type { Change, Decision, Policy } from '../policy.js';
import type { Registry } from '../registry.js';
import type { RegressionCase, RegressionRunner, Verdict } from '../regression.js';
import type { Rewriter } from '../rewriter.js';
import type { CompiledTool, Sandbox } from '../sandbox.js';
import { generateObject } from '../structured-output.js';
import { parseOrThrow } from '../validation.js';
import { CREATE_TOOL, createToolDefinition } from './create-tool.js';
import { assembleInstructions, rankLessons, type PromptSection } from './instructions.js';
import { runImprovementCycle, type ImprovementReport } from './improvement-cycle.js';
import { inSpan, SpanKind } from './tracing.js';

/** Something the agent did, for progress output and tests. */
export type AgentEvent =
  | { readonly type: 'tool-created'; readonly name: string; readonly version: number }
  | { readonly type: 'tool-refused'; readonly name: string; readonly reason: string }
  | { readonly type: 'tool-reused'; readonly name: string }
  | { readonly type: 'tool-queued'; readonly name: string; readonly version: number; readonly approvalId: string }
  | { readonly type: 'tool-called'; readonly name: string; readonly version: number; readonly ok: boolean; readonly durationMs: number }
  | { readonly type: 'improvement'; readonly report: ImprovementReport }
  | { readonly type: 'improvement-failed'; readonly error: string }
  | { readonly type: 'lesson'; readonly text: string }
  | { readonly type: 'rule-learned'; readonly name: string; readonly text: string };

/** The parts an agent is wired from; each is an interface of `@toolwright/core`. */
export interface AgentComponents {
  readonly model: LanguageModel;
  readonly sandbox: Sandbox;
  readonly memory: Memory;
  readonly registry: Registry;
  readonly evaluator: Evaluator;
  readonly rewriter: Rewriter;
  readonly regression: RegressionRunner;
  readonly policy: Policy;
}

const agentOptionsSchema = z
  .object({
    instructions: z
      .object({
        immutable: z.array(z.object({ name: z.string().min(1), text: z.string().min(1) }).strict()).default([]),
      })
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
    lessonTokenBudget: z.number().int().nonnegative().default(400),
    reflect: z.boolean().default(true),
    learnRules: z.boolean().default(true),
  })
  .strict();

/** Options of {@link createAgent}. */
export interface CreateAgentOptions extends AgentComponents {
  /** Immutable prompt sections, declared by the integrator; the safety policy guards them. */
  readonly instructions?: { readonly immutable?: readonly PromptSection[] };
  /** When to run the improvement cycle; `false` only on `improve()`. Default: every 5 calls of a tool, in the background. */
  readonly improve?: false | { readonly everyNCalls?: number; readonly inBackground?: boolean; readonly lastN?: number };
  /** Model turns per run before `AGENT_STEP_LIMIT`. Default 12. */
  readonly maxSteps?: number;
  /** Refused `create_tool` attempts per run before the agent stops offering it. Default 3. */
  readonly maxToolAttempts?: number;
  /** Token budget for lessons in the system prompt. Default 400. */
  readonly lessonTokenBudget?: number;
  /** Ask the model for a lesson after a failed run. Default true. */
  readonly reflect?: boolean;
  /** Propose each lesson as a learned rule through the policy (append-only; it reaches the prompt if allowed). Default true. */
  readonly learnRules?: boolean;
  /** Progress events. */
  readonly onEvent?: (event: AgentEvent) => void;
}

const runOptionsSchema = z
  .object({
    input: jsonValueSchema.optional(),
    examples: z.array(toolExampleSchema).optional(),
    tools: z.enum(['auto', 'none']).default('auto'),
    taskId: z.string().min(1).max(200).optional(),
  })
  .strict();

/** Options of {@link Agent.run}. */
export interface AgentRunOptions<S extends z.ZodType = z.ZodType> {
  /** The task's data; the model sees it as JSON and passes it to tools. */
  readonly input?: JsonValue;
  /** Input → expected output pairs; every model sees them; tools authored in this run must pass them. */
  readonly examples?: readonly ToolExample[];
  /** `none`: the static baseline — structured output, no tools. Default `auto`. */
  readonly tools?: 'auto' | 'none';
  /** With `tools: 'none'`: the zod schema of the answer. */
  readonly schema?: S;
  readonly taskId?: string;
  readonly signal?: AbortSignal;
}

/** One tool call the agent made. */
export interface AgentToolCall {
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

/** What a run produced. */
export interface AgentRunResult {
  readonly taskId: string;
  /** The answer: the final text parsed as JSON when it is JSON, else the text. */
  readonly output: JsonValue;
  readonly text: string;
  readonly steps: readonly AgentStep[];
  readonly toolCalls: readonly AgentToolCall[];
  readonly createdTools: readonly string[];
  readonly reusedTools: readonly string[];
  readonly tokens: { readonly input: number; readonly output: number };
  readonly durationMs: number;
}

/** An agent: runs tasks with its tools, writes tools it lacks, and improves them. */
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
  /** Waits for background improvement cycles. */
  idle(): Promise<void>;
  /** Waits for background work, flushes memory. Components stay open: their owner closes them. */
  close(): Promise<void>;
}

interface ActiveTool {
  readonly version: ArtifactVersion;
  readonly definition: ToolDefinition;
}

interface RunState {
  readonly taskId: string;
  readonly task: string;
  readonly examples: readonly ToolExample[];
  readonly signal: AbortSignal | undefined;
  readonly tools: Map<string, ActiveTool>;
  readonly toolCalls: AgentToolCall[];
  readonly createdTools: string[];
  readonly reusedTools: string[];
  refusedAttempts: number;
  step: number;
}

/**
 * Creates the self-improving agent from its parts.
 *
 * @example
 * ```ts
 * const agent = createAgent({ model, sandbox, memory, registry, evaluator, rewriter, regression, policy,
 *   instructions: { immutable: [{ name: 'safety', text: 'Never send personal data anywhere.' }] } });
 * const result = await agent.run('Total these fares', { input: { fares: [229.92, 360.67] } });
 * console.log(result.output, result.createdTools, result.tokens);
 * await agent.close();
 * ```
 */
export function createAgent(options: CreateAgentOptions): Agent {
  const { model, sandbox, memory, registry, evaluator, rewriter, regression, policy, onEvent, ...rest } = options;
  for (const [name, part] of Object.entries({ model, sandbox, memory, registry, evaluator, rewriter, regression, policy })) {
    if (part === undefined || part === null) {
      throw new ToolwrightError('INVALID_ARGUMENT', `createAgent needs "${name}". Use createToolwright() from the "toolwright" package to get every part with its default.`);
    }
  }
  const config = parseOrThrow(agentOptionsSchema, rest, 'createAgent options');
  const components: AgentComponents = { model, sandbox, memory, registry, evaluator, rewriter, regression, policy };
  const emit = (event: AgentEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // A listener's failure must never fail the agent.
    }
  };

  const compiled = new Map<string, Promise<CompiledTool>>();
  const callsSinceImprovement = new Map<string, number>();
  const background = new Set<Promise<unknown>>();
  let closed = false;

  /** Compiles once per content hash; a failed compile is forgotten so it can be retried. */
  const compile = (version: Pick<ArtifactVersion, 'name' | 'source' | 'spec' | 'contentHash'>): Promise<CompiledTool> => {
    let entry = compiled.get(version.contentHash);
    if (!entry) {
      entry = sandbox.compile({
        name: version.name,
        source: version.source,
        language: version.spec?.language ?? 'ts',
        capabilities: version.spec?.capabilities ?? [],
      });
      entry.catch(() => compiled.delete(version.contentHash));
      compiled.set(version.contentHash, entry);
    }
    return entry;
  };

  const activeTools = async (): Promise<Map<string, ActiveTool>> => {
    const versions = await registry.list({ kind: 'tool', status: 'active' });
    const tools = new Map<string, ActiveTool>();
    for (const version of versions) {
      if (!version.spec) continue;
      tools.set(version.name, {
        version,
        definition: { name: version.name, description: version.spec.description, inputSchema: version.spec.inputSchema },
      });
    }
    return tools;
  };

  const instructions = async (task: string): Promise<string> => {
    const rules = await registry.list({ kind: 'prompt-section', status: 'active' });
    const immutableNames = new Set(config.instructions.immutable.map((section) => section.name));
    const lessons = config.lessonTokenBudget > 0 ? rankLessons(await memory.lessons({ limit: 100 }), task) : [];
    return assembleInstructions({
      immutable: config.instructions.immutable,
      learnedRules: rules.filter((rule) => !immutableNames.has(rule.name)).map((rule) => ({ name: rule.name, text: rule.source })),
      lessons,
      lessonTokenBudget: config.lessonTokenBudget,
    }).text;
  };

  const audit = async (action: string, artifact: string | undefined, reason: string, evidence: JsonObject, versions: { from?: number; to?: number } = {}): Promise<void> => {
    await memory.audit({
      actor: { kind: 'model', id: model.modelId },
      action,
      ...(artifact === undefined ? {} : { artifact }),
      ...(versions.from === undefined ? {} : { fromVersion: versions.from }),
      ...(versions.to === undefined ? {} : { toVersion: versions.to }),
      reason,
      evidence,
    });
  };

  /** Keeps background work (captures, improvement cycles) so close() can wait for it; its failures never reach a run. */
  const track = (work: Promise<unknown>): void => {
    const tracked: Promise<unknown> = work.catch(() => undefined).finally(() => background.delete(tracked));
    background.add(tracked);
  };

  /**
   * Counts a call; every N calls of a tool starts an improvement cycle for it — in the
   * background by default, or awaited (still never failing the run) with `inBackground: false`.
   */
  const scheduleImprovement = async (tool: string): Promise<void> => {
    if (config.improve === false) return;
    const count = (callsSinceImprovement.get(tool) ?? 0) + 1;
    callsSinceImprovement.set(tool, count);
    if (count < config.improve.everyNCalls) return;
    callsSinceImprovement.set(tool, 0);
    if (config.improve.inBackground) track(improve(tool));
    else await improve(tool).catch(() => undefined);
  };

  const callTool = (state: RunState, tool: ActiveTool, call: ToolCall, turnUsage: TokenUsage | undefined): Promise<AgentToolCall> =>
    inSpan(
      `execute_tool ${tool.version.name}`,
      SpanKind.INTERNAL,
      {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': tool.version.name,
        'gen_ai.tool.call.id': call.id,
        'gen_ai.tool.type': 'function',
        'toolwright.tool.version': tool.version.version,
      },
      async (span) => {
        const result = await executeTool(state, tool, call.input, turnUsage);
        if (!result.ok) span.setAttribute('error.type', result.error?.code ?? 'unknown');
        return result;
      },
    );

  const executeTool = async (state: RunState, tool: ActiveTool, input: JsonValue, turnUsage: TokenUsage | undefined): Promise<AgentToolCall> => {
    const startedAt = Date.now();
    let call: AgentToolCall;
    try {
      const handle = await compile(tool.version);
      const result = await sandbox.run(handle, input, state.signal ? { signal: state.signal } : undefined);
      call = result.ok
        ? { name: tool.version.name, version: tool.version.version, input, ok: true, output: result.value, durationMs: result.durationMs, step: state.step }
        : { name: tool.version.name, version: tool.version.version, input, ok: false, error: result.error, durationMs: result.durationMs, step: state.step };
    } catch (error) {
      const failure = ToolwrightError.isInstance(error) ? { code: error.code, message: error.message } : { code: 'CRASHED', message: String(error) };
      call = { name: tool.version.name, version: tool.version.version, input, ok: false, error: failure, durationMs: Date.now() - startedAt, step: state.step };
    }
    memory.record({
      tool: call.name,
      version: tool.version.version,
      startedAt,
      durationMs: call.durationMs,
      outcome: call.ok ? { ok: true } : { ok: false, error: { code: call.error?.code ?? 'UNKNOWN', message: (call.error?.message ?? '').slice(0, 4000) } },
      inputHash: contentHash(input),
      ...(call.ok ? { outputHash: contentHash(call.output ?? null) } : {}),
      taskId: state.taskId,
      modelTurn: state.step,
      ...(turnUsage ? { tokens: turnUsage } : {}),
    });
    if (call.ok) {
      // Served outputs become golden cases for future rewrites; off the user's path.
      track(regression.capture({ tool: call.name, version: tool.version.version, input, result: { ok: true, value: call.output ?? null, durationMs: call.durationMs, logs: [] } }));
    }
    emit({ type: 'tool-called', name: call.name, version: tool.version.version, ok: call.ok, durationMs: call.durationMs });
    await scheduleImprovement(call.name);
    return call;
  };

  const examplesAsCases = (name: string, examples: readonly ToolExample[]): RegressionCase[] =>
    examples.map((example) => ({
      id: contentHash({ tool: name, input: example.input }),
      tool: name,
      input: example.input,
      expect: { output: example.output, tolerance: 1e-9 },
      origin: 'example',
      heldOut: false,
    }));

  /**
   * Finds an active tool that already passes every example — judged by the regression runner,
   * the same check a new tool must pass — so the capability is reused, not written again.
   */
  const existingToolFor = async (state: RunState, examples: readonly ToolExample[]): Promise<ActiveTool | undefined> => {
    if (examples.length === 0) return undefined;
    for (const tool of state.tools.values()) {
      try {
        const verdict = await regression.compare({ candidate: tool.version, baseline: undefined, cases: examplesAsCases(tool.version.name, examples) });
        if (verdict.decision === 'promote' && verdict.totals.candidatePassed === examples.length) return tool;
      } catch {
        // A tool that cannot run is not the capability we are looking for.
      }
    }
    return undefined;
  };

  const refuse = (state: RunState, name: string, reason: string): string => {
    state.refusedAttempts++;
    emit({ type: 'tool-refused', name, reason });
    const left = config.maxToolAttempts - state.refusedAttempts;
    return `create_tool refused: ${reason}${left > 0 ? ` (${left} attempt${left === 1 ? '' : 's'} left)` : ' (no attempts left in this run)'}`;
  };

  const decisionText = (decision: Decision): string => decision.reasons.map((reason) => `${reason.rule}: ${reason.detail}`).join('; ') || decision.outcome;

  const createTool = async (state: RunState, raw: JsonValue): Promise<string> => {
    const parsed = toolSpecSchema.safeParse(raw);
    const name = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && typeof raw['name'] === 'string' ? raw['name'] : '(unnamed)';
    if (!parsed.success) return refuse(state, name, `the tool spec is invalid:\n${z.prettifyError(parsed.error)}`);
    const spec: ToolSpec = parsed.data;
    const examples = spec.examples.length > 0 ? spec.examples : state.examples;
    if (examples.length === 0) return refuse(state, spec.name, 'give at least one example (input and expected output) so the tool can be tested before use');

    const existing = await existingToolFor(state, examples);
    if (existing) {
      if (!state.reusedTools.includes(existing.version.name)) state.reusedTools.push(existing.version.name);
      emit({ type: 'tool-reused', name: existing.version.name });
      return `The active tool "${existing.version.name}" already does this (it passes every example). Call "${existing.version.name}" instead; nothing new was written.`;
    }
    if (state.tools.has(spec.name)) {
      return refuse(state, spec.name, `a different tool named "${spec.name}" is already active; choose another name`);
    }

    const { manifest, source } = splitToolSpec({ ...spec, examples: [...examples] });
    const change: Change = { kind: 'create-tool', origin: 'agent', name: spec.name, spec: manifest, source };
    try {
      await compile({ name: spec.name, source, spec: manifest, contentHash: contentHash({ kind: 'tool', name: spec.name, source, spec: manifest }) });
    } catch (error) {
      const message = ToolwrightError.isInstance(error) ? `${error.code}: ${error.message}` : String(error);
      return refuse(state, spec.name, `the sandbox refused the source — ${message}`);
    }

    // Registered as a candidate first, so even a refused tool leaves an inspectable version.
    const version = await registry.register({
      kind: 'tool',
      name: spec.name,
      source,
      spec: manifest,
      author: { kind: 'model', id: model.modelId },
      reason: `written for task ${state.taskId}: ${state.task.slice(0, 300)}`,
      parent: null,
    });
    const verdict: Verdict = await regression.compare({ candidate: version, baseline: undefined, cases: examplesAsCases(spec.name, examples), ...(state.signal ? { signal: state.signal } : {}) });
    if (verdict.decision === 'reject') {
      await registry.reject(spec.name, version.version, verdict.reasons.join('; ').slice(0, 4000));
      await audit('tool.reject', spec.name, verdict.reasons.join('; '), { verdict: asJson(verdict) }, { to: version.version });
      return refuse(state, spec.name, `it failed its examples — ${describeFailures(verdict)}`);
    }
    // One review, with the evidence: the policy records it and queues it when a person must decide.
    const decision = await policy.review(change, { verdict });
    if (decision.outcome === 'deny') {
      await registry.reject(spec.name, version.version, decisionText(decision).slice(0, 4000));
      await audit('policy.deny', spec.name, decisionText(decision), { decision: asJson(decision) }, { to: version.version });
      return refuse(state, spec.name, `the safety policy denied it — ${decisionText(decision)}`);
    }
    if (decision.outcome === 'needs-approval') {
      const queued = decision.approvalId === undefined ? 'the policy keeps no approval queue, so it stays a candidate' : `approval request ${decision.approvalId}`;
      await audit('approval.queue', spec.name, decisionText(decision), { ...(decision.approvalId === undefined ? {} : { approvalId: decision.approvalId }) }, { to: version.version });
      emit({ type: 'tool-queued', name: spec.name, version: version.version, approvalId: decision.approvalId ?? '' });
      return `Tool "${spec.name}" v${version.version} passed its examples but needs a person's approval (${queued}): ${decisionText(decision)}. It cannot be used in this run.`;
    }
    const active = await registry.promote(spec.name, version.version, { reason: 'passed its examples; allowed by policy' });
    await regression.addExamples(manifest);
    await audit('tool.create', spec.name, 'passed its examples; allowed by policy', { cases: verdict.totals.cases }, { to: active.version });
    state.tools.set(spec.name, { version: active, definition: { name: spec.name, description: manifest.description, inputSchema: manifest.inputSchema } });
    state.createdTools.push(spec.name);
    emit({ type: 'tool-created', name: spec.name, version: active.version });
    return `Tool "${spec.name}" v${active.version} passed ${verdict.totals.candidatePassed} example(s) and is active. Call it now.`;
  };

  const reflect = async (state: RunState, what: string, usage: { total: TokenUsage }): Promise<void> => {
    if (!config.reflect) return;
    try {
      const { object, usage: spent } = await generateObject(model, {
        messages: [
          { role: 'system', content: 'You review a failed task and write one short, general lesson (one sentence) that would help next time.' },
          { role: 'user', content: `Task: ${state.task}\nWhat went wrong: ${what}\nTool calls: ${JSON.stringify(state.toolCalls.slice(-5).map((call) => ({ name: call.name, ok: call.ok, error: call.error?.message })))}` },
        ],
        schema: z.object({ lesson: z.string().min(1).max(500) }),
        name: 'lesson',
      });
      usage.total = addUsage(usage.total, spent);
      await memory.addLesson({ text: object.lesson, source: 'failure', tags: ['reflection'], provenance: { taskId: state.taskId } });
      emit({ type: 'lesson', text: object.lesson });
      if (config.learnRules) await proposeLearnedRule(state, object.lesson);
    } catch {
      // Reflection is best effort: a model that cannot reflect must not fail the run.
    }
  };

  /** A lesson becomes a learned rule only through the policy: append-only, capped, checked against the immutable sections. */
  const proposeLearnedRule = async (state: RunState, text: string): Promise<void> => {
    const name = `learned.${contentHash(text).slice(0, 12)}`;
    if ((await registry.history(name)).length > 0) return;
    const decision = await policy.review({ kind: 'add-learned-rule', origin: 'agent', name, text }, {});
    if (decision.outcome !== 'allow') {
      await audit(`policy.${decision.outcome}`, name, decisionText(decision), { lesson: text });
      return;
    }
    const version = await registry.register({
      kind: 'prompt-section',
      name,
      source: text,
      author: { kind: 'model', id: model.modelId },
      reason: `learned from a failed run (task ${state.taskId})`,
      parent: null,
    });
    await registry.promote(name, version.version, { reason: 'learned rule allowed by policy' });
    await audit('rule.learn', name, 'learned rule allowed by policy', { text }, { to: version.version });
    emit({ type: 'rule-learned', name, text });
  };

  const run = <S extends z.ZodType>(task: string, options: AgentRunOptions<S> = {}): Promise<AgentRunResult> =>
    inSpan('invoke_agent toolwright', SpanKind.INTERNAL, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'toolwright', 'gen_ai.request.model': model.modelId }, async (span) => {
      const result = await runTask(task, options);
      span.setAttributes({
        'gen_ai.conversation.id': result.taskId,
        'gen_ai.usage.input_tokens': result.tokens.input,
        'gen_ai.usage.output_tokens': result.tokens.output,
        'toolwright.tools.created': result.createdTools.length,
        'toolwright.tools.reused': result.reusedTools.length,
      });
      return result;
    });

  const runTask = async <S extends z.ZodType>(task: string, options: AgentRunOptions<S> = {}): Promise<AgentRunResult> => {
    if (closed) throw new AgentError('AGENT_CLOSED', 'This agent was closed; create a new one.');
    if (typeof task !== 'string' || task.trim() === '') {
      throw new ToolwrightError('INVALID_ARGUMENT', 'agent.run needs a task: a non-empty string saying what to do.');
    }
    const { schema, signal, ...plain } = options;
    const parsed = parseOrThrow(runOptionsSchema, plain, 'agent.run options');
    const started = performance.now();
    const taskId = parsed.taskId ?? randomUUID();
    const userContent = [
      task,
      ...(parsed.input === undefined ? [] : [`Input (JSON):\n${JSON.stringify(parsed.input)}`]),
      ...(parsed.examples && parsed.examples.length > 0 ? [`Examples (input → expected output):\n${parsed.examples.map((example) => `${JSON.stringify(example.input)} → ${JSON.stringify(example.output)}`).join('\n')}`] : []),
    ].join('\n\n');

    if (parsed.tools === 'none') {
      const answerSchema = schema ?? z.object({ answer: jsonValueSchema });
      const { object, text, usage } = await generateObject(model, {
        messages: [
          { role: 'system', content: 'Answer the task directly with JSON matching the schema. You have no tools.' },
          { role: 'user', content: userContent },
        ],
        schema: answerSchema,
        ...(signal ? { signal } : {}),
      });
      return {
        taskId,
        output: object as JsonValue,
        text,
        steps: [{ step: 1, text, toolCalls: [], usage }],
        toolCalls: [],
        createdTools: [],
        reusedTools: [],
        tokens: { input: usage.inputTokens, output: usage.outputTokens },
        durationMs: performance.now() - started,
      };
    }

    const state: RunState = {
      taskId,
      task,
      examples: parsed.examples ?? [],
      signal,
      tools: await activeTools(),
      toolCalls: [],
      createdTools: [],
      reusedTools: [],
      refusedAttempts: 0,
      step: 0,
    };
    const taskContext: TaskContext = {
      text: task,
      ...(parsed.input === undefined ? {} : { input: parsed.input }),
      ...(parsed.examples === undefined ? {} : { examples: parsed.examples }),
    };
    const messages: Message[] = [
      { role: 'system', content: await instructions(task) },
      { role: 'user', content: userContent },
    ];
    const steps: AgentStep[] = [];
    const usage = { total: ZERO_USAGE };
    const toolsUsedFromBefore = new Set(state.tools.keys());

    while (state.step < config.maxSteps) {
      state.step++;
      const offered = [...[...state.tools.values()].map((tool) => tool.definition), ...(state.refusedAttempts < config.maxToolAttempts ? [createToolDefinition] : [])];
      const answer = await inSpan(
        `chat ${model.modelId}`,
        SpanKind.CLIENT,
        { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': model.provider, 'gen_ai.request.model': model.modelId },
        async (span) => {
          const generated = await model.generate({ messages, tools: offered, task: taskContext, ...(signal ? { signal } : {}) });
          span.setAttributes({
            'gen_ai.usage.input_tokens': generated.usage.inputTokens,
            'gen_ai.usage.output_tokens': generated.usage.outputTokens,
            'gen_ai.response.finish_reasons': [generated.finishReason],
          });
          return generated;
        },
      );
      usage.total = addUsage(usage.total, answer.usage);
      steps.push({ step: state.step, text: answer.text, toolCalls: answer.toolCalls.map((call) => call.name), usage: answer.usage });
      messages.push({ role: 'assistant', content: answer.text, toolCalls: answer.toolCalls });

      if (answer.toolCalls.length === 0) {
        const output = parseAnswer(answer.text);
        const failedCalls = state.toolCalls.filter((call) => !call.ok);
        if (failedCalls.length > 0 || saysItCannot(answer.text)) {
          await reflect(state, failedCalls.length > 0 ? `${failedCalls.length} tool call(s) failed` : 'the model said it could not finish', usage);
        }
        for (const call of state.toolCalls) {
          if (call.ok && toolsUsedFromBefore.has(call.name) && !state.reusedTools.includes(call.name)) state.reusedTools.push(call.name);
        }
        return {
          taskId,
          output,
          text: answer.text,
          steps,
          toolCalls: state.toolCalls,
          createdTools: state.createdTools,
          reusedTools: state.reusedTools,
          tokens: { input: usage.total.inputTokens, output: usage.total.outputTokens },
          durationMs: performance.now() - started,
        };
      }

      let turnUsage: TokenUsage | undefined = answer.usage;
      for (const call of answer.toolCalls) {
        const content = await handleCall(state, call, turnUsage);
        turnUsage = undefined; // the turn's tokens are attributed to its first invocation only
        messages.push({ role: 'tool', toolCallId: call.id, toolName: call.name, content: content.text, ...(content.isError ? { isError: true } : {}) });
      }
    }

    await reflect(state, `the step limit (${config.maxSteps}) was reached without a final answer`, usage);
    throw new AgentError('AGENT_STEP_LIMIT', `The agent reached its step limit (${config.maxSteps} model turns) without a final answer for task ${taskId}. Raise maxSteps, or simplify the task; details.trace holds every step.`, {
      details: { taskId, trace: steps, toolCalls: state.toolCalls, tokens: usage.total, createdTools: state.createdTools },
    });
  };

  const handleCall = async (state: RunState, call: ToolCall, turnUsage: TokenUsage | undefined): Promise<{ text: string; isError: boolean }> => {
    if (call.inputError) {
      return { text: `The arguments of ${call.name} were not valid JSON (${call.inputError.message}). Call it again with a JSON object.`, isError: true };
    }
    if (call.name === CREATE_TOOL) {
      if (state.refusedAttempts >= config.maxToolAttempts) {
        return { text: 'create_tool is no longer available in this run: too many refused attempts.', isError: true };
      }
      try {
        const text = await createTool(state, call.input);
        return { text, isError: text.startsWith('create_tool refused') };
      } catch (error) {
        if (ToolwrightError.isInstance(error) && error.code === 'MODEL_ABORTED') throw error;
        return { text: refuse(state, '(create_tool)', ToolwrightError.isInstance(error) ? `${error.code}: ${error.message}` : String(error)), isError: true };
      }
    }
    const tool = state.tools.get(call.name);
    if (!tool) {
      const names = [...state.tools.keys()];
      return { text: `There is no tool named "${call.name}". Available: ${names.length > 0 ? names.join(', ') : 'none'}; or write one with create_tool.`, isError: true };
    }
    const result = await callTool(state, tool, call, turnUsage);
    state.toolCalls.push(result);
    return result.ok
      ? { text: JSON.stringify(result.output ?? null), isError: false }
      : { text: `The tool failed with ${result.error?.code}: ${result.error?.message}`, isError: true };
  };

  const improve = async (tool?: string): Promise<ImprovementReport> => {
    try {
      const report = await runImprovementCycle(components, { ...(tool === undefined ? {} : { tool }), lastN: config.improve === false ? 50 : config.improve.lastN, compile });
      emit({ type: 'improvement', report });
      return report;
    } catch (error) {
      emit({ type: 'improvement-failed', error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };

  const idle = async (): Promise<void> => {
    while (background.size > 0) await Promise.allSettled([...background]);
  };

  const call = async (name: string, input: JsonValue, options: { readonly taskId?: string; readonly signal?: AbortSignal } = {}): Promise<AgentToolCall> => {
    if (closed) throw new AgentError('AGENT_CLOSED', 'This agent was closed; create a new one.');
    const parsedInput = parseOrThrow(jsonValueSchema, input, `input of ${name}`);
    const version = await registry.active(name);
    if (!version?.spec || version.kind !== 'tool') {
      throw new RegistryError('REGISTRY_NOT_FOUND', `There is no active tool named "${name}". List the active tools with registry.list({ kind: 'tool' }).`, { details: { name } });
    }
    const tool: ActiveTool = { version, definition: { name, description: version.spec.description, inputSchema: version.spec.inputSchema } };
    const state: RunState = {
      taskId: options.taskId ?? randomUUID(),
      task: `direct call of ${name}`,
      examples: [],
      signal: options.signal,
      tools: new Map([[name, tool]]),
      toolCalls: [],
      createdTools: [],
      reusedTools: [],
      refusedAttempts: 0,
      step: 0,
    };
    return callTool(state, tool, { id: `direct-${state.taskId}`, name, input: parsedInput }, undefined);
  };

  return {
    run,
    call,
    improve,
    idle,
    async close() {
      closed = true;
      await idle();
      await memory.flush();
    },
  };
}

function describeFailures(verdict: Verdict): string {
  const failed = verdict.cases.filter((result) => !result.candidate.pass).slice(0, 3);
  return failed
    .map((result) => result.candidate.error ? `${result.caseId.slice(0, 8)}: ${result.candidate.error.code} ${result.candidate.error.message}` : `${result.caseId.slice(0, 8)}: ${result.candidate.failures.join(', ')}`)
    .join('; ') || verdict.reasons.join('; ');
}

function parseAnswer(text: string): JsonValue {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed) as JsonValue;
  } catch {
    return trimmed;
  }
}

function saysItCannot(text: string): boolean {
  return /\b(cannot|can't|can not|unable to|could not|couldn't)\b/i.test(text);
}
