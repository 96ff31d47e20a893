import type { ToolExample } from './artifact.js';
import type { JsonSchema, JsonValue } from './json.js';
import type { RepairContext } from './repair.js';

/**
 * Tokens one model call consumed (or several, summed with {@link addUsage}).
 *
 * A provider that answered without a usage report sets `unknown: true` and counts 0 for that
 * call: the counts are then a lower bound, not the truth. A sum is unknown as soon as one of
 * its parts is. The flag is absent (never `false`) when every count was reported.
 *
 * @example
 * ```ts
 * const { usage } = await model.generate({ messages });
 * console.log(usage.unknown ? `at least ${usage.inputTokens} prompt tokens` : `${usage.inputTokens} prompt tokens`);
 * ```
 */
export interface TokenUsage {
  /** Prompt tokens. */
  readonly inputTokens: number;
  /** Completion tokens. */
  readonly outputTokens: number;
  /** The provider did not report the usage of (at least one of) the calls: the counts are a lower bound. */
  readonly unknown?: true;
}

/** A call the model asks for: which tool, with what argument. */
export interface ToolCall {
  /** Provider-assigned id; answers refer to it. */
  readonly id: string;
  /** The tool's name, as offered in {@link GenerateRequest.tools}. */
  readonly name: string;
  /** The argument, parsed from the provider's JSON; `null` when `inputError` is set. */
  readonly input: JsonValue;
  /** Set when the model's arguments were not valid JSON: what was wrong, and the raw text. */
  readonly inputError?: { readonly message: string; readonly raw: string };
}

/** The instructions for the model. */
export interface SystemMessage {
  readonly role: 'system';
  readonly content: string;
}
/** What a person (or the task) says. */
export interface UserMessage {
  readonly role: 'user';
  readonly content: string;
}
/** What the model said earlier, including the tool calls it made. */
export interface AssistantMessage {
  readonly role: 'assistant';
  readonly content: string;
  readonly toolCalls?: readonly ToolCall[];
}
/** The result of one tool call, sent back to the model. */
export interface ToolResultMessage {
  readonly role: 'tool';
  readonly toolCallId: string;
  readonly toolName: string;
  /** The result as text (usually JSON). */
  readonly content: string;
  /** True when the tool failed; `content` then says why. */
  readonly isError?: boolean;
}
/** One message of a conversation. */
export type Message = SystemMessage | UserMessage | AssistantMessage | ToolResultMessage;

/** A tool the model may call. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the single object argument. */
  readonly inputSchema: JsonSchema;
}

/** Ask for an answer that matches a JSON Schema (structured output). */
export interface ResponseSchema {
  /** A short identifier, e.g. `answer`. */
  readonly name: string;
  readonly schema: JsonSchema;
  readonly description?: string;
}

/** Whether and which tool the model must call. */
export type ToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

/** One request to a model. */
export interface GenerateRequest {
  readonly messages: readonly Message[];
  readonly tools?: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
  /** When set, the answer's `text` is JSON matching this schema and `object` holds it parsed. */
  readonly responseSchema?: ResponseSchema;
  readonly temperature?: number;
  readonly maxOutputTokens?: number;
  /** Aborts the request; the model rejects with `MODEL_ABORTED`. */
  readonly signal?: AbortSignal;
  /**
   * A structured copy of the task the conversation is about, for models that cannot read
   * prose (the offline model). Every model also gets the same facts in `messages`;
   * providers for language models ignore this field.
   */
  readonly task?: TaskContext;
  /**
   * A structured copy of a rewrite request (the tool, its diagnosis, its recent errors and
   * the transforms that apply), sent by a rewriter beside the same facts in `messages`, for
   * models that cannot write source (the offline model). Providers for language models ignore it.
   */
  readonly repair?: RepairContext;
}

/** The task behind a request, as data. */
export interface TaskContext {
  readonly text: string;
  readonly input?: JsonValue;
  /** Input → expected output pairs the answer (or a tool written for it) must reproduce. */
  readonly examples?: readonly ToolExample[];
  /**
   * How closely numbers must match the examples' outputs (absolute, relative), when the task
   * sets it; a model that checks its own tools against the examples uses it (core's `numbersMatch`).
   */
  readonly tolerance?: { readonly absolute?: number; readonly relative?: number };
}

/** Why the model stopped. */
export type FinishReason = 'stop' | 'tool-calls' | 'length' | 'content-filter' | 'other';

/** What the model answered. */
export interface GenerateResult {
  /** The text answer; empty when the model only called tools. */
  readonly text: string;
  /** The tool calls the model asks for, in order. */
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  /** Tokens used by this call; `unknown: true` (and 0 counted) when the server sent no usage. */
  readonly usage: TokenUsage;
  /** With `responseSchema`: the answer parsed from `text`. */
  readonly object?: JsonValue;
}

/**
 * A model, whatever serves it. Providers implement this; the agent, the rewriter and the
 * reflection step consume it. Errors are {@link ModelError}s with `MODEL_*` codes.
 *
 * @example
 * ```ts
 * const result = await model.generate({
 *   messages: [{ role: 'user', content: 'Total these fares: 229.92, 360.67' }],
 *   tools: [{ name: 'sum', description: 'Adds numbers', inputSchema: { type: 'object' } }],
 * });
 * for (const call of result.toolCalls) console.log(call.name, call.input);
 * console.log(result.usage.inputTokens, result.usage.outputTokens);
 * ```
 */
export interface LanguageModel {
  /** The version of this interface the model implements. */
  readonly specificationVersion: 'toolwright.model.v1';
  /** Who serves it, e.g. `openai`, `ollama`, `scripted`, `offline`. */
  readonly provider: string;
  /** The model's name at the provider, e.g. `gpt-4o-mini`. */
  readonly modelId: string;
  generate(request: GenerateRequest): Promise<GenerateResult>;
}

/** Adds two usages; the sum is `unknown` when either part is. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const sum = { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
  return a.unknown === true || b.unknown === true ? { ...sum, unknown: true } : sum;
}

/** The usage of a call whose server reported none: 0 counted, marked unknown. */
export const UNKNOWN_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0, unknown: true });

/** No tokens. */
export const ZERO_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0 });
