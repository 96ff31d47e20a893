import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonValue } from '../json.js';

/** What the server answers to one request. */
export interface ChatServerReply {
  /** HTTP status; default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** The JSON body. */
  readonly body?: JsonValue;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** Destroy the socket instead of answering (a network error for the client). */
  readonly hangUp?: boolean;
  /**
   * Send the status, the headers and the first half of the body, then stall: the rest never
   * comes (until the client gives up or the server closes). A slow model server's habit that
   * the `openai` client's own timeout, cleared once headers arrive, does not catch.
   */
  readonly stallBody?: boolean;
}

/** A request the server received: method, path, headers and parsed JSON body. */
export interface ChatServerRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: JsonValue;
}

/** Answers request number `index` (0-based, over all requests). */
export type ChatServerHandler = (request: ChatServerRequest, index: number) => ChatServerReply | Promise<ChatServerReply>;

/** A running server; `baseURL` ends in `/v1`, as OpenAI clients expect. */
export interface ChatServer {
  readonly url: string;
  readonly baseURL: string;
  /** Every request received, in order. */
  readonly requests: readonly ChatServerRequest[];
  close(): Promise<void>;
}

/** Options of {@link chatCompletion}. */
export interface ChatCompletionReplyOptions {
  readonly content?: string | null;
  readonly toolCalls?: readonly { readonly id?: string; readonly name: string; readonly arguments: string }[];
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  readonly finishReason?: string;
  /** Omit to leave `usage` out of the response, as some servers do. */
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number };
  readonly model?: string;
}

/**
 * A Chat Completions response body, as OpenAI-compatible servers send it.
 *
 * @example
 * ```ts
 * chatCompletion({ toolCalls: [{ name: 'total_fares', arguments: '{"fares":[1,2]}' }], usage: { promptTokens: 40, completionTokens: 9 } });
 * ```
 */
export function chatCompletion(options: ChatCompletionReplyOptions): ChatServerReply {
  const toolCalls = (options.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_${index + 1}`,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  const message: Record<string, JsonValue> = { role: 'assistant', content: options.content ?? null };
  if (toolCalls.length > 0) message['tool_calls'] = toolCalls;
  const body: Record<string, JsonValue> = {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 0,
    model: options.model ?? 'test-model',
    choices: [
      { index: 0, message, finish_reason: options.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'), logprobs: null },
    ],
  };
  if (options.usage) {
    body['usage'] = {
      prompt_tokens: options.usage.promptTokens,
      completion_tokens: options.usage.completionTokens,
      total_tokens: options.usage.promptTokens + options.usage.completionTokens,
    };
  }
  return { status: 200, body };
}

/** An error response in OpenAI's shape. */
export function chatError(status: number, message: string, headers: Record<string, string> = {}): ChatServerReply {
  return { status, headers, body: { error: { message, type: 'test_error', code: null, param: null } } };
}

/**
 * Starts an OpenAI-compatible HTTP server on 127.0.0.1 (a free port) for tests. Real HTTP, so
 * the real `openai` client, its headers and its errors are exercised — nothing is mocked.
 *
 * @example
 * ```ts
 * import { openaiModel } from '@toolwright/core/openai';
 *
 * const server = await startChatServer(() => chatCompletion({ content: 'hi', usage: { promptTokens: 3, completionTokens: 1 } }));
 * const model = openaiModel({ model: 'test-model', baseURL: server.baseURL, apiKey: 'test' });
 * await model.generate({ messages: [{ role: 'user', content: 'hello' }] });
 * await server.close();
 * ```
 */
export async function startChatServer(handler: ChatServerHandler): Promise<ChatServer> {
  const requests: ChatServerRequest[] = [];
  const server: Server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: JsonValue = null;
        try {
          body = text.length > 0 ? (JSON.parse(text) as JsonValue) : null;
        } catch {
          body = text;
        }
        const request: ChatServerRequest = {
          method: incoming.method ?? 'GET',
          path: incoming.url ?? '/',
          headers: incoming.headers,
          body,
        };
        const index = requests.length;
        requests.push(request);
        let reply: ChatServerReply;
        try {
          reply = await handler(request, index);
        } catch (error) {
          reply = chatError(500, `test handler threw: ${String(error)}`);
        }
        if (reply.delayMs !== undefined && reply.delayMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        }
        if (reply.hangUp) {
          incoming.socket.destroy();
          return;
        }
        if (response.destroyed) return;
        const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
        response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        if (reply.stallBody) {
          response.write(payload.slice(0, Math.floor(payload.length / 2)));
          return;
        }
        response.end(payload);
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
