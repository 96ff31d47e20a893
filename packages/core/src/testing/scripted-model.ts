import { ModelError, ValidationError } from '../errors.js';
import { abortableSleep, throwIfAborted } from '../internal/abort.js';
import type { JsonValue } from '../json.js';
import type { FinishReason, GenerateRequest, GenerateResult, LanguageModel, TokenUsage, ToolCall } from '../model.js';

/** A scripted answer. Omitted fields get sensible defaults. */
export interface ScriptedResponse {
  readonly text?: string;
  /** Tool calls; an `id` is generated when omitted (`call_1`, `call_2`, ...). */
  readonly toolCalls?: readonly {
    readonly name: string;
    readonly input: JsonValue;
    readonly id?: string;
    readonly inputError?: { readonly message: string; readonly raw: string };
  }[];
  /** Defaults to `tool-calls` when there are tool calls, else `stop`. */
  readonly finishReason?: FinishReason;
  /** Defaults to `{ inputTokens: 0, outputTokens: 0 }`; `'unknown'` plays a server that reported none (`UNKNOWN_USAGE`). */
  readonly usage?: Partial<TokenUsage> | 'unknown';
  /** With a `responseSchema`: the parsed object; `text` defaults to its JSON. */
  readonly object?: JsonValue;
  /** Waits this long before answering (abortable). */
  readonly delayMs?: number;
}

/** A scripted failure: `generate` rejects with this error. */
export interface ScriptedError {
  readonly error: Error;
  readonly delayMs?: number;
}

/** One step of a script: an answer, an error, or a function of the request that returns either. */
export type ScriptStep =
  | ScriptedResponse
  | ScriptedError
  | ((request: GenerateRequest, callIndex: number) => ScriptedResponse | ScriptedError | Promise<ScriptedResponse | ScriptedError>);

/** Options of {@link ScriptedModel}. */
export interface ScriptedModelOptions {
  /** The steps, replayed in order, one per `generate` call. */
  readonly script: readonly ScriptStep[];
  /** Defaults to `scripted`. */
  readonly modelId?: string;
  /** What to do once the script is used up: throw `MODEL_SCRIPT_EXHAUSTED` (default) or repeat the last step. */
  readonly whenExhausted?: 'throw' | 'repeat-last';
}

/** A recorded call: the request as it was when made (messages copied), and what came of it. */
export interface RecordedCall {
  readonly request: Omit<GenerateRequest, 'signal'>;
  readonly result?: GenerateResult;
  readonly error?: unknown;
}

/**
 * A {@link LanguageModel} that replays a script and records every call. Use it in tests
 * instead of inventing a fake.
 *
 * @example
 * ```ts
 * import { ScriptedModel } from '@toolwright/core/testing';
 *
 * const model = new ScriptedModel({
 *   script: [
 *     { toolCalls: [{ name: 'total_fares', input: { fares: [1, 2] } }], usage: { inputTokens: 50, outputTokens: 8 } },
 *     { error: new Error('socket hang up') },
 *     { text: 'The total is 3.' },
 *   ],
 * });
 * const first = await model.generate({ messages: [{ role: 'user', content: 'Total these' }] });
 * first.toolCalls[0]?.name; // 'total_fares'
 * model.calls.length;       // 1
 * ```
 */
export class ScriptedModel implements LanguageModel {
  readonly specificationVersion = 'toolwright.model.v1' as const;
  readonly provider = 'scripted';
  readonly modelId: string;

  readonly #script: readonly ScriptStep[];
  readonly #whenExhausted: 'throw' | 'repeat-last';
  readonly #calls: RecordedCall[] = [];
  #nextCallId = 1;

  constructor(options: ScriptedModelOptions) {
    if (!Array.isArray(options.script)) {
      throw new ValidationError('INVALID_ARGUMENT', 'ScriptedModel needs `script`: an array of responses, errors or functions.');
    }
    this.#script = [...options.script];
    this.modelId = options.modelId ?? 'scripted';
    this.#whenExhausted = options.whenExhausted ?? 'throw';
  }

  /** Every call so far, in order. */
  get calls(): readonly RecordedCall[] {
    return this.#calls;
  }

  /** How many scripted steps have not been used yet. */
  get remaining(): number {
    return Math.max(0, this.#script.length - this.#calls.length);
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const callIndex = this.#calls.length;
    const { signal, ...rest } = request;
    const recorded: { request: Omit<GenerateRequest, 'signal'>; result?: GenerateResult; error?: unknown } = {
      request: structuredClone(rest),
    };
    this.#calls.push(recorded);
    try {
      throwIfAborted(signal);
      const step = this.#stepFor(callIndex);
      const outcome = typeof step === 'function' ? await step(request, callIndex) : step;
      if (outcome.delayMs !== undefined && outcome.delayMs > 0) await abortableSleep(outcome.delayMs, signal);
      throwIfAborted(signal);
      if ('error' in outcome) throw outcome.error;
      const result = this.#toResult(outcome);
      recorded.result = result;
      return result;
    } catch (error) {
      recorded.error = error;
      throw error;
    }
  }

  #stepFor(callIndex: number): ScriptStep {
    const step = this.#script[callIndex];
    if (step !== undefined) return step;
    const last = this.#script[this.#script.length - 1];
    if (this.#whenExhausted === 'repeat-last' && last !== undefined) return last;
    throw new ModelError(
      'MODEL_SCRIPT_EXHAUSTED',
      `ScriptedModel "${this.modelId}" was called ${callIndex + 1} times but its script has ${this.#script.length} steps. ` +
        'Add steps to the script, or pass whenExhausted: "repeat-last".',
      { details: { calls: callIndex + 1, steps: this.#script.length } },
    );
  }

  #toResult(response: ScriptedResponse): GenerateResult {
    const toolCalls: ToolCall[] = (response.toolCalls ?? []).map((call) => {
      const id = call.id ?? `call_${this.#nextCallId++}`;
      return call.inputError === undefined
        ? { id, name: call.name, input: structuredClone(call.input) }
        : { id, name: call.name, input: null, inputError: call.inputError };
    });
    const text = response.text ?? (response.object === undefined ? '' : JSON.stringify(response.object));
    const usage: TokenUsage =
      response.usage === 'unknown'
        ? { inputTokens: 0, outputTokens: 0, unknown: true }
        : { inputTokens: response.usage?.inputTokens ?? 0, outputTokens: response.usage?.outputTokens ?? 0, ...(response.usage?.unknown ? { unknown: true as const } : {}) };
    const finishReason = response.finishReason ?? (toolCalls.length > 0 ? 'tool-calls' : 'stop');
    return response.object === undefined
      ? { text, toolCalls, finishReason, usage }
      : { text, toolCalls, finishReason, usage, object: structuredClone(response.object) };
  }
}
