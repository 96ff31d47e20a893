import { canonicalJson } from '../hash.js';
import type { JsonValue } from '../json.js';
import type { AgentToolCall, AnswerVerification } from './types.js';

/** The final text as JSON when it is JSON (a ```json fence removed), else the trimmed text. */
export function parseAnswer(text: string): { readonly value: JsonValue; readonly json: boolean } {
  const trimmed = text.trim();
  const fenced = /^```(?:json)?\s*\n?([\s\S]*?)\n?\s*```$/.exec(trimmed);
  const candidate = fenced?.[1]?.trim() ?? trimmed;
  try {
    return { value: JSON.parse(candidate) as JsonValue, json: true };
  } catch {
    return { value: trimmed, json: false };
  }
}

/**
 * Reconciles the final answer with the run's successful tool calls, newest first: a JSON answer
 * equal to a tool's output (or a one-key object around it), or prose that quotes it, is `verified` (and prose is replaced by
 * the tool's exact output); anything else is `unverified`, with the reason.
 */
export function verifyAnswer(text: string, toolCalls: readonly AgentToolCall[]): { readonly output: JsonValue; readonly verification: AnswerVerification } {
  const { value, json } = parseAnswer(text);
  const succeeded = toolCalls.filter((call) => call.ok && call.output !== undefined).reverse();
  if (succeeded.length === 0) {
    const reason = toolCalls.length === 0 ? "no tool ran in this run: the answer is the model's own" : "every tool call of this run failed: the answer is the model's own";
    return { output: value, verification: { status: 'unverified', reason } };
  }
  const verified = (call: AgentToolCall, from: 'json' | 'prose'): AnswerVerification => ({ status: 'verified', tool: call.name, version: call.version, step: call.step, from });
  if (json) {
    // A small model often wraps the number it was given: {"total": 690.09}.
    const wrapped = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 ? Object.values(value)[0] : undefined;
    const match = succeeded.find((call) => sameValue(call.output as JsonValue, value) || (wrapped !== undefined && sameValue(call.output as JsonValue, wrapped)));
    return match
      ? { output: value, verification: verified(match, 'json') }
      : { output: value, verification: { status: 'unverified', reason: 'the answer equals no tool output of this run' } };
  }
  // Prose that says it could not finish is not an answer, whatever numbers it mentions.
  if (saysItCannot(value as string)) return { output: value, verification: { status: 'unverified', reason: 'the answer says it could not finish' } };
  const match = succeeded.find((call) => quotes(value as string, call.output as JsonValue));
  return match
    ? { output: match.output as JsonValue, verification: verified(match, 'prose') }
    : { output: value, verification: { status: 'unverified', reason: 'the answer is prose that quotes no tool output of this run' } };
}

function sameValue(a: JsonValue, b: JsonValue): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * Whether prose quotes a tool output: a number as written to the decimals the prose shows
 * ("3,228.87" quotes 3228.8700000000003) — for a non-integer output at least min(2, its
 * decimals) of them, so "12" in "I called the tool 12 times" does not quote 12.4 — a string of
 * 3+ characters verbatim, anything else as its JSON.
 */
function quotes(prose: string, output: JsonValue): boolean {
  if (typeof output === 'number') {
    const outputDecimals = Number.isInteger(output) ? 0 : (String(output).split('.')[1]?.length ?? 20);
    const needed = Math.min(2, outputDecimals);
    for (const written of prose.match(/-?\d[\d,]*(?:\.\d+)?/g) ?? []) {
      const plain = written.replace(/,+$/, '').replace(/,(?=\d{3}\b)/g, '');
      const number = Number(plain);
      if (!Number.isFinite(number)) continue;
      const decimals = plain.includes('.') ? (plain.split('.')[1]?.length ?? 0) : 0;
      if (decimals < needed) continue;
      if (Number(output.toFixed(Math.min(decimals, 20))) === number) return true;
    }
    return false;
  }
  if (typeof output === 'string') return output.length >= 3 && prose.includes(output);
  return prose.includes(JSON.stringify(output));
}

/**
 * Whether a final answer admits it could not finish, to decide whether to reflect. This reads
 * the model's own prose (there is no structured way for a model to say so); it never decides
 * anything about tools or changes.
 */
export function saysItCannot(text: string): boolean {
  return /\b(cannot|can't|can not|unable to|could not|couldn't)\b/i.test(text);
}
