import type { JsonValue, LanguageModel } from '@toolwright/core';
import { openaiModel } from '@toolwright/core/openai';
import { chatCompletion, chatError, ScriptedModel, startChatServer, type ChatServer, type ChatServerReply } from '@toolwright/core/testing';

/** One scripted model turn, replayable through ScriptedModel or a real OpenAI-compatible HTTP server. */
export type Turn =
  | { readonly text: string; readonly usage?: readonly [number, number] }
  | { readonly calls: readonly { readonly name: string; readonly input?: JsonValue; readonly rawArguments?: string }[]; readonly usage?: readonly [number, number] }
  | { readonly status: number; readonly retryAfterMs?: number };

/** A model that replays turns; `requests` tells how many times it was asked. */
export interface ReplayModel {
  readonly model: LanguageModel;
  readonly requests: () => number;
  close(): Promise<void>;
}

export type ModelKind = 'scripted' | 'openai-http';

/**
 * The same turns through the in-process ScriptedModel, or through the real `openai` client
 * against a real HTTP server on 127.0.0.1 — so the agent is tested over both.
 */
export async function replay(kind: ModelKind, turns: readonly Turn[]): Promise<ReplayModel> {
  if (kind === 'scripted') {
    const model = new ScriptedModel({
      script: turns.map((turn) => {
        if ('status' in turn) return { error: new Error(`scripted HTTP ${turn.status}`) };
        const usage = turn.usage ? { inputTokens: turn.usage[0], outputTokens: turn.usage[1] } : undefined;
        if ('text' in turn) return { text: turn.text, ...(usage ? { usage } : {}) };
        return {
          toolCalls: turn.calls.map((call) =>
            call.rawArguments === undefined
              ? { name: call.name, input: call.input ?? {} }
              : { name: call.name, input: null, inputError: { message: 'Unexpected end of JSON input', raw: call.rawArguments } },
          ),
          ...(usage ? { usage } : {}),
        };
      }),
    });
    return { model, requests: () => model.calls.length, close: async () => undefined };
  }
  let callId = 0;
  const server: ChatServer = await startChatServer((_request, index): ChatServerReply => {
    const turn = turns[index];
    if (!turn) return chatError(500, `the test scripted ${turns.length} turns; turn ${index + 1} was not expected`);
    if ('status' in turn) return chatError(turn.status, 'scripted failure', turn.retryAfterMs === undefined ? {} : { 'retry-after-ms': String(turn.retryAfterMs) });
    const usage = turn.usage ? { promptTokens: turn.usage[0], completionTokens: turn.usage[1] } : undefined;
    if ('text' in turn) return chatCompletion({ content: turn.text, ...(usage ? { usage } : {}) });
    return chatCompletion({
      toolCalls: turn.calls.map((call) => ({ id: `call_${++callId}`, name: call.name, arguments: call.rawArguments ?? JSON.stringify(call.input ?? {}) })),
      ...(usage ? { usage } : {}),
    });
  });
  return {
    model: openaiModel({ model: 'test-model', baseURL: server.baseURL, apiKey: 'test', initialRetryDelayMs: 1, maxRetries: 2 }),
    requests: () => server.requests.length,
    close: () => server.close(),
  };
}
