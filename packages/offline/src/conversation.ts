import { createToolOutcomeSchema, type CreateToolOutcome, type JsonValue, type Message, type ToolCall, type ToolResultMessage } from '@toolwright/core';

/**
 * The offline model keeps no per-conversation state: what it did earlier is in the
 * conversation itself. Each tool call it makes carries its purpose in the call id
 * (`offline-answer-2-0`, `offline-create-1-0`, `offline-probe-1-3-e2`), and the agent sends
 * every result back under that id.
 */

/** Why the offline model made a call. */
export type CallPurpose =
  /** The call whose result is the answer. */
  | { readonly kind: 'answer' }
  /** A `create_tool` call. */
  | { readonly kind: 'create' }
  /** An existing tool tried on example `example`. */
  | { readonly kind: 'probe'; readonly example: number };

const CALL_ID = /^offline-(answer|create|probe)-(\d+)-(\d+)(?:-e(\d+))?$/;

/** The id of the `index`-th call of turn `turn`. */
export function callId(purpose: CallPurpose, turn: number, index: number): string {
  return `offline-${purpose.kind}-${turn}-${index}${purpose.kind === 'probe' ? `-e${purpose.example}` : ''}`;
}

/** The purpose an id of {@link callId} carries; `undefined` for ids the offline model did not make. */
export function purposeOf(id: string): CallPurpose | undefined {
  const match = CALL_ID.exec(id);
  if (!match) return undefined;
  const kind = match[1] as CallPurpose['kind'];
  if (kind === 'probe') return match[4] === undefined ? undefined : { kind, example: Number(match[4]) };
  return { kind };
}

/** One call of the last assistant turn, with its purpose and its result (when it came back). */
export interface AnsweredCall {
  readonly call: ToolCall;
  readonly purpose: CallPurpose | undefined;
  readonly result: ToolResultMessage | undefined;
}

/** Where the conversation stands. */
export interface ConversationState {
  /** Assistant turns since the last user message. */
  readonly turns: number;
  /** The calls of the last assistant turn, when it made any. */
  readonly lastCalls: readonly AnsweredCall[];
}

/** Reads the conversation since the last user message. */
export function readConversation(messages: readonly Message[]): ConversationState {
  let start = 0;
  messages.forEach((message, index) => {
    if (message.role === 'user') start = index + 1;
  });
  const recent = messages.slice(start);
  let turns = 0;
  let lastAssistant = -1;
  recent.forEach((message, index) => {
    if (message.role === 'assistant') {
      turns++;
      lastAssistant = index;
    }
  });
  const last = recent[lastAssistant];
  if (last?.role !== 'assistant' || !last.toolCalls || last.toolCalls.length === 0) return { turns, lastCalls: [] };
  const results = new Map<string, ToolResultMessage>();
  for (const message of recent.slice(lastAssistant + 1)) {
    if (message.role === 'tool' && !results.has(message.toolCallId)) results.set(message.toolCallId, message);
  }
  return {
    turns,
    lastCalls: last.toolCalls.map((call) => ({ call, purpose: purposeOf(call.id), result: results.get(call.id) })),
  };
}

/** A tool result's text as JSON, or `undefined` when it is not JSON. */
export function resultValue(result: ToolResultMessage): JsonValue | undefined {
  try {
    return JSON.parse(result.content) as JsonValue;
  } catch {
    return undefined;
  }
}

/** A `create_tool` result as the agent sends it: a {@link CreateToolOutcome} as JSON; `undefined` when it is not one. */
export function createToolOutcomeOf(result: ToolResultMessage): CreateToolOutcome | undefined {
  const parsed = createToolOutcomeSchema.safeParse(resultValue(result));
  return parsed.success ? parsed.data : undefined;
}
