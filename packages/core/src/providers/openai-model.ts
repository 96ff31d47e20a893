import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import { z } from 'zod';
import { ModelError } from '../errors.js';
import { abortableSleep, abortedError, throwIfAborted } from '../internal/abort.js';
import type { JsonValue } from '../json.js';
import type { FinishReason, GenerateRequest, GenerateResult, LanguageModel, Message, TokenUsage, ToolCall, ToolChoice } from '../model.js';
import { parseOrThrow } from '../validation.js';

const optionsSchema = z
  .object({
    model: z.string().min(1, 'name the model, e.g. "gpt-4o-mini" or "llama3.1"'),
    baseURL: z.url().optional(),
    apiKey: z.string().min(1).optional(),
    organization: z.string().optional(),
    defaultHeaders: z.record(z.string(), z.string()).optional(),
    maxRetries: z.number().int().min(0).max(20).default(3),
    initialRetryDelayMs: z.number().int().min(0).default(500),
    maxRetryDelayMs: z.number().int().min(0).default(30_000),
    timeoutMs: z.number().int().positive().default(60_000),
    structuredOutput: z.enum(['json_schema', 'json_object']).default('json_schema'),
    providerName: z.string().min(1).optional(),
  })
  .strict();

/** Options of {@link openaiModel}. */
export interface OpenAIModelOptions {
  /** The model's name at the server, e.g. `gpt-4o-mini`, `llama3.1`, `qwen2.5-coder`. */
  readonly model: string;
  /**
   * The server, for anything that speaks the OpenAI API: Azure-compatible endpoints, Ollama
   * (`http://127.0.0.1:11434/v1`), vLLM, LM Studio, llama.cpp server. Defaults to OpenAI.
   */
  readonly baseURL?: string;
  /** Defaults to `OPENAI_API_KEY`; not needed with a `baseURL` for a local server. */
  readonly apiKey?: string;
  readonly organization?: string;
  readonly defaultHeaders?: Readonly<Record<string, string>>;
  /** Retries after the first attempt on 408/409/429/5xx and network errors. Default 3. */
  readonly maxRetries?: number;
  /** First backoff delay; doubles each retry, with jitter. Default 500 ms. */
  readonly initialRetryDelayMs?: number;
  /** Longest wait before a retry. A `retry-after` longer than this fails at once instead of hanging. Default 30 s. */
  readonly maxRetryDelayMs?: number;
  /**
   * Deadline of one attempt, from sending the request to the last byte of the response body.
   * The `openai` client's own timeout stops at the headers; this one also ends a body that
   * stalls after them (`MODEL_TIMEOUT` once the retries are spent). Default 60 s.
   */
  readonly timeoutMs?: number;
  /**
   * How `responseSchema` is sent: `json_schema` (OpenAI structured outputs; default) or
   * `json_object` (JSON mode plus the schema in the instructions, for servers without json_schema).
   */
  readonly structuredOutput?: 'json_schema' | 'json_object';
  /** Reported as `provider`; defaults to `openai`, or `openai-compatible` with a `baseURL`. */
  readonly providerName?: string;
  /** Use this client instead of constructing one (its own retries are bypassed). */
  readonly client?: OpenAI;
}

const RETRYABLE_STATUS = new Set([408, 409, 429]);

/**
 * A {@link LanguageModel} over the OpenAI Chat Completions API, through the `openai` package.
 *
 * Function calling, structured output (`responseSchema`), token usage from every response,
 * abort signals, and retries with exponential backoff and jitter on 408/409/429/5xx and network
 * errors, honouring `retry-after-ms` / `retry-after`. Retries are Toolwright's own (the client's
 * are turned off) so that every wait is abortable and bounded by `maxRetryDelayMs`.
 *
 * @example
 * ```ts
 * const model = openaiModel({ model: 'gpt-4o-mini' });                       // OPENAI_API_KEY
 * const local = openaiModel({ model: 'llama3.1', baseURL: 'http://127.0.0.1:11434/v1' }); // Ollama
 * const result = await model.generate({ messages: [{ role: 'user', content: 'Hello' }] });
 * console.log(result.text, result.usage);
 * ```
 */
export function openaiModel(options: OpenAIModelOptions): LanguageModel {
  const { client: givenClient, ...rest } = options;
  const config = parseOrThrow(optionsSchema, rest, 'openaiModel options');
  // An empty OPENAI_API_KEY (a .env template's) is no key at all.
  const apiKey = config.apiKey ?? (process.env['OPENAI_API_KEY'] || undefined) ?? (config.baseURL ? 'not-needed' : undefined);
  if (givenClient === undefined && apiKey === undefined) {
    throw new ModelError(
      'MODEL_REQUEST_FAILED',
      'openaiModel has no API key: set OPENAI_API_KEY, pass apiKey, or pass baseURL for a local OpenAI-compatible server.',
    );
  }
  const client =
    givenClient ??
    new OpenAI({
      apiKey,
      baseURL: config.baseURL,
      organization: config.organization,
      defaultHeaders: config.defaultHeaders,
      maxRetries: 0,
      timeout: config.timeoutMs,
    });
  const provider = config.providerName ?? (config.baseURL ? 'openai-compatible' : 'openai');

  return {
    specificationVersion: 'toolwright.model.v1',
    provider,
    modelId: config.model,
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const body = toRequestBody(config.model, request, config.structuredOutput);
      const completion = await withRetries(config, request.signal, (signal) =>
        withAttemptDeadline(config.timeoutMs, signal, (attemptSignal) =>
          client.chat.completions.create(body, { signal: attemptSignal, maxRetries: 0, timeout: config.timeoutMs }),
        ),
      );
      return fromCompletion(completion, request, provider, config.model);
    },
  };
}

function toRequestBody(
  model: string,
  request: GenerateRequest,
  structuredOutput: 'json_schema' | 'json_object',
): ChatCompletionCreateParamsNonStreaming {
  const messages = request.messages.map(toMessageParam);
  const body: ChatCompletionCreateParamsNonStreaming = { model, messages };
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map(
      (tool): ChatCompletionTool => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
      }),
    );
    if (request.toolChoice !== undefined) body.tool_choice = toToolChoice(request.toolChoice);
  }
  if (request.responseSchema) {
    const { $schema: _ignored, ...schema } = request.responseSchema.schema;
    if (structuredOutput === 'json_schema') {
      body.response_format = {
        type: 'json_schema',
        json_schema: {
          name: request.responseSchema.name,
          schema,
          ...(request.responseSchema.description === undefined ? {} : { description: request.responseSchema.description }),
        },
      };
    } else {
      body.response_format = { type: 'json_object' };
      messages.push({
        role: 'system',
        content: `Answer with one JSON value only, matching this JSON Schema:\n${JSON.stringify(schema)}`,
      });
    }
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.maxOutputTokens !== undefined) body.max_tokens = request.maxOutputTokens;
  return body;
}

function toMessageParam(message: Message): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      return message.toolCalls && message.toolCalls.length > 0
        ? {
            role: 'assistant',
            content: message.content.length > 0 ? message.content : null,
            tool_calls: message.toolCalls.map((call) => ({
              id: call.id,
              type: 'function' as const,
              function: { name: call.name, arguments: call.inputError ? call.inputError.raw : JSON.stringify(call.input) },
            })),
          }
        : { role: 'assistant', content: message.content };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

function toToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  stop: 'stop',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  length: 'length',
  content_filter: 'content-filter',
};

function fromCompletion(completion: ChatCompletion, request: GenerateRequest, provider: string, model: string): GenerateResult {
  const choice = completion.choices?.[0];
  if (!choice) {
    throw new ModelError('MODEL_INVALID_RESPONSE', `${provider} model "${model}" answered with no choices.`, {
      details: { response: completion as unknown as Record<string, unknown> },
    });
  }
  const toolCalls: ToolCall[] = [];
  for (const call of choice.message.tool_calls ?? []) {
    if (call.type !== 'function') continue;
    toolCalls.push(parseToolCall(call.id, call.function.name, call.function.arguments));
  }
  const text = choice.message.content ?? '';
  let finishReason: FinishReason = FINISH_REASONS[choice.finish_reason] ?? 'other';
  // Some compatible servers say "stop" although they returned tool calls.
  if (toolCalls.length > 0 && finishReason === 'stop') finishReason = 'tool-calls';
  // A server that reports no usage (or only part of it) has not said the call was free.
  const usage: TokenUsage =
    typeof completion.usage?.prompt_tokens === 'number' && typeof completion.usage.completion_tokens === 'number'
      ? { inputTokens: completion.usage.prompt_tokens, outputTokens: completion.usage.completion_tokens }
      : { inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0, unknown: true };
  if (!request.responseSchema) return { text, toolCalls, finishReason, usage };
  let object: JsonValue;
  try {
    object = JSON.parse(stripCodeFence(text)) as JsonValue;
  } catch (error) {
    throw new ModelError(
      'MODEL_INVALID_RESPONSE',
      `${provider} model "${model}" was asked for JSON matching "${request.responseSchema.name}" but answered text that is not JSON: ${truncate(text, 200)}`,
      { cause: error, details: { text: truncate(text, 2000), usage } },
    );
  }
  return { text, toolCalls, finishReason, usage, object };
}

function parseToolCall(id: string, name: string, raw: string): ToolCall {
  if (raw.trim() === '') return { id, name, input: {} };
  try {
    return { id, name, input: JSON.parse(raw) as JsonValue };
  } catch (error) {
    return { id, name, input: null, inputError: { message: (error as Error).message, raw } };
  }
}

function stripCodeFence(text: string): string {
  const match = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  return match?.[1] ?? text;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** One attempt outlived its deadline (headers and body); retryable like a connection timeout. */
class AttemptTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no complete response within ${timeoutMs} ms`);
  }
}

/**
 * Runs one attempt under a deadline of our own that covers the whole response: the client's
 * timer is cleared once headers arrive, so a body that stalls after them would hang. The
 * attempt's signal aborts the client's fetch (body included); the race settles even if it did not.
 */
async function withAttemptDeadline<T>(timeoutMs: number, outer: AbortSignal | undefined, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const timeout = new AttemptTimeout(timeoutMs);
      controller.abort(timeout);
      reject(timeout);
    }, timeoutMs);
  });
  try {
    return await Promise.race([attempt(controller.signal), deadline]);
  } catch (error) {
    if (controller.signal.reason instanceof AttemptTimeout && !outer?.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

interface RetryConfig {
  readonly maxRetries: number;
  readonly initialRetryDelayMs: number;
  readonly maxRetryDelayMs: number;
}

async function withRetries<T>(config: RetryConfig, signal: AbortSignal | undefined, attempt: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    throwIfAborted(signal);
    try {
      return await attempt(signal);
    } catch (error) {
      if (signal?.aborted || error instanceof OpenAI.APIUserAbortError) throw abortedError(signal);
      const retryable = isRetryable(error);
      if (!retryable || retry >= config.maxRetries) throw toModelError(error, retry);
      const requested = retryAfterMs(error);
      if (requested !== undefined && requested > config.maxRetryDelayMs) {
        throw toModelError(error, retry, `the server asked to retry after ${requested} ms, more than maxRetryDelayMs (${config.maxRetryDelayMs} ms)`);
      }
      const backoff = Math.min(config.maxRetryDelayMs, config.initialRetryDelayMs * 2 ** retry);
      const delay = requested ?? backoff * (0.75 + Math.random() * 0.5);
      await abortableSleep(delay, signal);
    }
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof AttemptTimeout) return true;
  if (error instanceof OpenAI.APIConnectionError) return true;
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    return RETRYABLE_STATUS.has(error.status) || error.status >= 500;
  }
  return false;
}

function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof OpenAI.APIError) || !error.headers) return undefined;
  const milliseconds = Number.parseFloat(error.headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const header = error.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number.parseFloat(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function toModelError(error: unknown, retries: number, why?: string): ModelError {
  const attempts = `${retries + 1} attempt${retries === 0 ? '' : 's'}`;
  if (error instanceof AttemptTimeout || error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ModelError('MODEL_TIMEOUT', `The model server sent no complete response within timeoutMs (${error instanceof AttemptTimeout ? `${error.timeoutMs} ms` : 'the client timeout'}) after ${attempts}: the body stalled or the server is slow. Raise timeoutMs, or check the server.`, {
      cause: error,
      details: { attempts: retries + 1, ...(error instanceof AttemptTimeout ? { timeoutMs: error.timeoutMs } : {}) },
    });
  }
  if (error instanceof OpenAI.APIError && error.status === 429) {
    return new ModelError('MODEL_RATE_LIMITED', `The model server kept answering 429 (rate limited) after ${attempts}${why ? `: ${why}` : ''}. Wait, lower the request rate, or raise maxRetries.`, {
      cause: error,
      details: { status: 429, attempts: retries + 1 },
    });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new ModelError('MODEL_REQUEST_FAILED', `Could not reach the model server after ${attempts}: ${error.message}. Check baseURL and that the server is running.`, {
      cause: error,
      details: { attempts: retries + 1 },
    });
  }
  if (error instanceof OpenAI.APIError) {
    const hint = error.status === 401 || error.status === 403 ? ' Check the API key.' : error.status === 404 ? ' Check the model name and baseURL.' : '';
    return new ModelError('MODEL_REQUEST_FAILED', `The model server answered ${error.status ?? 'an error'} after ${attempts}: ${error.message}.${hint}`, {
      cause: error,
      details: { status: error.status, attempts: retries + 1 },
    });
  }
  return new ModelError('MODEL_REQUEST_FAILED', `The model request failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
