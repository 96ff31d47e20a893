import {
  contentHash,
  numbersMatch,
  createToolOutcomeSchema,
  type CreateToolOutcome,
  toolSpecSchema,
  type GenerateRequest,
  type GenerateResult,
  type JsonSchema,
  type JsonValue,
  type LanguageModel,
  type Message,
  type TaskContext,
  type ToolDefinition,
  type ToolExample,
  type ToolSpec,
} from '@toolwright/core';
import { z } from 'zod';
import { loadTypeScriptTool } from './run-typescript.js';

/**
 * Test support: the agent's side of the model protocol, played by hand the way core's agent
 * plays it — the same messages, the same `create_tool` answers (a `CreateToolOutcome` as JSON:
 * created, reused, queued, refused), the same tool-result texts — with tools run in-process
 * instead of through the sandbox, registry and gate.
 */

const { $schema: _ignored, ...createToolSchema } = z.toJSONSchema(toolSpecSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** The `create_tool` definition, as the agent offers it. */
export const createToolDefinition: ToolDefinition = {
  name: 'create_tool',
  description: 'Write a new tool when no existing tool fits.',
  inputSchema: createToolSchema,
};

/** An active tool on the agent's side. */
export interface PlayedTool {
  readonly definition: ToolDefinition;
  /** Runs the tool; throwing is a tool failure. */
  readonly run: (input: JsonValue) => JsonValue;
  readonly spec?: ToolSpec;
}

/** What one played run produced. */
export interface PlayedRun {
  readonly output: JsonValue;
  readonly text: string;
  readonly steps: number;
  readonly requests: readonly GenerateRequest[];
  readonly results: readonly GenerateResult[];
  readonly created: readonly string[];
  readonly reused: readonly string[];
  readonly toolCalls: readonly { readonly name: string; readonly input: JsonValue; readonly ok: boolean }[];
  readonly refusals: readonly string[];
}

/** How the played agent behaves. */
export interface AgentSideOptions {
  readonly maxSteps?: number;
  readonly maxToolAttempts?: number;
  /** Return a reason to make every new tool wait for approval (it is then not active). */
  readonly needsApproval?: (spec: ToolSpec) => string | undefined;
}

type Tolerance = { readonly absolute?: number; readonly relative?: number };

function equalWithin(actual: JsonValue | undefined, expected: JsonValue | undefined, tolerance: Tolerance): boolean {
  if (typeof actual === 'number' && typeof expected === 'number') return numbersMatch(expected, actual, tolerance);
  if (Array.isArray(actual) && Array.isArray(expected)) return actual.length === expected.length && actual.every((item, index) => equalWithin(item, expected[index], tolerance));
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object' && !Array.isArray(actual) && !Array.isArray(expected)) {
    const keys = Object.keys(actual);
    return keys.length === Object.keys(expected).length && keys.every((key) => key in expected && equalWithin(actual[key], expected[key], tolerance));
  }
  return actual === expected;
}

/** The agent's side of the protocol, with a registry of active tools that lives across runs. */
export class AgentSide {
  readonly tools = new Map<string, PlayedTool>();
  readonly #options: Required<Omit<AgentSideOptions, 'needsApproval'>> & Pick<AgentSideOptions, 'needsApproval'>;

  constructor(options: AgentSideOptions = {}) {
    this.#options = { maxSteps: options.maxSteps ?? 12, maxToolAttempts: options.maxToolAttempts ?? 3, needsApproval: options.needsApproval };
  }

  /** Adds a hand-written tool. */
  addTool(definition: ToolDefinition, run: (input: JsonValue) => JsonValue): void {
    this.tools.set(definition.name, { definition, run });
  }

  async run(model: LanguageModel, text: string, options: { input?: JsonValue; examples?: readonly ToolExample[]; tolerance?: Tolerance } = {}): Promise<PlayedRun> {
    const task: TaskContext = {
      text,
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.examples === undefined ? {} : { examples: options.examples }),
      ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance }),
    };
    const messages: Message[] = [
      { role: 'system', content: 'You solve tasks with tools.' },
      { role: 'user', content: `${text}\n\nInput (JSON):\n${JSON.stringify(options.input)}` },
    ];
    const requests: GenerateRequest[] = [];
    const results: GenerateResult[] = [];
    const created: string[] = [];
    const reused: string[] = [];
    const refusals: string[] = [];
    const toolCalls: { name: string; input: JsonValue; ok: boolean }[] = [];
    const before = new Set(this.tools.keys());
    let refused = 0;
    for (let step = 1; step <= this.#options.maxSteps; step++) {
      const offered = [...[...this.tools.values()].map((tool) => tool.definition), ...(refused < this.#options.maxToolAttempts ? [createToolDefinition] : [])];
      const request: GenerateRequest = { messages: structuredClone(messages), tools: offered, task };
      requests.push(request);
      const answer = await model.generate(request);
      results.push(answer);
      messages.push({ role: 'assistant', content: answer.text, toolCalls: answer.toolCalls });
      if (answer.toolCalls.length === 0) {
        for (const call of toolCalls) if (call.ok && before.has(call.name) && !reused.includes(call.name)) reused.push(call.name);
        let output: JsonValue;
        try {
          output = JSON.parse(answer.text) as JsonValue;
        } catch {
          output = answer.text;
        }
        return { output, text: answer.text, steps: step, requests, results, created, reused, toolCalls, refusals };
      }
      for (const call of answer.toolCalls) {
        let content: string;
        let isError = false;
        if (call.name === 'create_tool') {
          const outcome = createToolOutcomeSchema.parse(this.#create(call.input, options.examples ?? [], options.tolerance ?? {}, reused, created, this.#options.maxToolAttempts - refused - 1));
          content = JSON.stringify(outcome);
          isError = outcome.status === 'refused';
          if (outcome.status === 'refused') {
            refused++;
            refusals.push(outcome.reason);
          }
        } else {
          const tool = this.tools.get(call.name);
          if (!tool) {
            content = `There is no tool named "${call.name}". Available: ${[...this.tools.keys()].join(', ') || 'none'}; or write one with create_tool.`;
            isError = true;
          } else {
            try {
              const output = tool.run(call.input);
              content = JSON.stringify(output);
              toolCalls.push({ name: call.name, input: call.input, ok: true });
            } catch (error) {
              content = `The tool failed with THROWN: ${error instanceof Error ? error.message : String(error)}`;
              isError = true;
              toolCalls.push({ name: call.name, input: call.input, ok: false });
            }
          }
        }
        messages.push({ role: 'tool', toolCallId: call.id, toolName: call.name, content, ...(isError ? { isError: true } : {}) });
      }
    }
    throw new Error(`the played agent reached its step limit (${this.#options.maxSteps})`);
  }

  #create(raw: JsonValue, taskExamples: readonly ToolExample[], tolerance: Tolerance, reused: string[], created: string[], attemptsLeftIfRefused: number): CreateToolOutcome {
    const parsed = toolSpecSchema.safeParse(raw);
    const refuse = (reason: string): CreateToolOutcome => ({
      status: 'refused',
      tool: parsed.success ? parsed.data.name : '(unnamed)',
      reason,
      attemptsLeft: Math.max(0, attemptsLeftIfRefused),
      message: `create_tool refused: ${reason}`,
    });
    if (!parsed.success) return refuse(`the tool spec is invalid:\n${z.prettifyError(parsed.error)}`);
    const spec = parsed.data;
    const examples = spec.examples.length > 0 ? spec.examples : taskExamples;
    if (examples.length === 0) return refuse('give at least one example (input and expected output) so the tool can be tested before use');
    for (const tool of this.tools.values()) {
      try {
        if (examples.every((example) => contentHash(tool.run(example.input)) === contentHash(example.output))) {
          const name = tool.definition.name;
          if (!reused.includes(name)) reused.push(name);
          return { status: 'reused', tool: name, message: `The active tool "${name}" already does this (it passes every example). Call "${name}" instead; nothing new was written.` };
        }
      } catch {
        // A tool that fails on the examples is not the capability.
      }
    }
    if (this.tools.has(spec.name)) return refuse(`a different tool named "${spec.name}" is already active; choose another name`);
    let run: (input: JsonValue) => JsonValue;
    try {
      run = loadTypeScriptTool(spec.source);
    } catch (error) {
      return refuse(`the sandbox refused the source — ${String(error)}`);
    }
    for (const example of examples) {
      let output: JsonValue;
      try {
        output = run(example.input);
      } catch (error) {
        return refuse(`it failed its examples — THROWN ${String(error)}`);
      }
      if (!equalWithin(output, example.output, tolerance)) return refuse(`it failed its examples — expected ${JSON.stringify(example.output)}, got ${JSON.stringify(output)}`);
    }
    const approval = this.#options.needsApproval?.(spec);
    if (approval !== undefined) {
      return { status: 'queued', tool: spec.name, version: 1, approvalId: 'req-1', reasons: [approval], message: `Tool "${spec.name}" v1 waits for a person's approval (request req-1): ${approval}. It cannot be used in this run.` };
    }
    this.tools.set(spec.name, { definition: { name: spec.name, description: spec.description, inputSchema: spec.inputSchema }, run, spec });
    created.push(spec.name);
    return { status: 'created', tool: spec.name, version: 1, passed: examples.length, message: `Tool "${spec.name}" v1 passed ${examples.length} case(s) and is active. Call it now.` };
  }
}
