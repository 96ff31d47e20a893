import type { Invocation } from '@toolwright/core';

const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const HASH = /^[0-9a-f]{64}$/;

/**
 * The largest `version`, `modelTurn`, `tokens.inputTokens` and `tokens.outputTokens` memory
 * stores: their columns are 32-bit integers (PostgreSQL `int4`). A larger value is refused at
 * `record()` with `INVALID_ARGUMENT`, on both databases alike.
 */
export const MAX_INVOCATION_INTEGER = 2_147_483_647;

/**
 * The longest `durationMs` memory stores: 24 hours. A longer one (or 1e308, which overflows
 * PostgreSQL's sums and is Infinity in SQLite's) is a clock or unit bug, refused at `record()`
 * with `INVALID_ARGUMENT`.
 */
export const MAX_DURATION_MS = 86_400_000;

/** What stands in for a NUL character in the strings of an invocation (PostgreSQL text cannot hold NUL). */
export const NUL_REPLACEMENT = '\uFFFD';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInt(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function hasOnlyKeys(value: Record<string, unknown>, allowed: (key: string) => boolean): boolean {
  // Like zod's strict objects, inherited enumerable keys count too.
  for (const key in value) {
    if (!allowed(key)) return false;
  }
  return true;
}

function isInvocationKey(key: string): boolean {
  switch (key) {
    case 'tool':
    case 'version':
    case 'startedAt':
    case 'durationMs':
    case 'outcome':
    case 'inputHash':
    case 'outputHash':
    case 'taskId':
    case 'modelTurn':
    case 'tokens':
      return true;
    default:
      return false;
  }
}

function isOutcome(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (value['ok'] === true) return hasOnlyKeys(value, (key) => key === 'ok');
  if (value['ok'] !== false || !hasOnlyKeys(value, (key) => key === 'ok' || key === 'error')) return false;
  const error = value['error'];
  if (!isObject(error) || !hasOnlyKeys(error, (key) => key === 'code' || key === 'message')) return false;
  const { code, message } = error;
  return typeof code === 'string' && code.length >= 1 && code.length <= 100 && typeof message === 'string' && message.length <= 4000;
}

function isTokens(value: unknown): boolean {
  return (
    isObject(value) &&
    hasOnlyKeys(value, (key) => key === 'inputTokens' || key === 'outputTokens') &&
    isInt(value['inputTokens'], 0, MAX_INVOCATION_INTEGER) &&
    isInt(value['outputTokens'], 0, MAX_INVOCATION_INTEGER)
  );
}

/**
 * Why memory refuses an invocation core's `invocationSchema` accepts — a value beyond what
 * its columns hold — or `undefined`. Called only for invocations {@link isValidInvocation} refused.
 */
export function invocationLimitProblem(invocation: Invocation): string | undefined {
  const integers: [string, number | undefined][] = [
    ['version', invocation.version],
    ['modelTurn', invocation.modelTurn],
    ['tokens.inputTokens', invocation.tokens?.inputTokens],
    ['tokens.outputTokens', invocation.tokens?.outputTokens],
  ];
  for (const [field, value] of integers) {
    if (value !== undefined && value > MAX_INVOCATION_INTEGER) {
      return `${field} is ${value}, beyond the ${MAX_INVOCATION_INTEGER} memory stores (a 32-bit column); record the real value`;
    }
  }
  if (invocation.durationMs > MAX_DURATION_MS) {
    return `durationMs is ${invocation.durationMs}, beyond the ${MAX_DURATION_MS} ms (24 hours) memory stores; measure it in milliseconds with a monotonic clock (performance.now())`;
  }
  return undefined;
}

/**
 * A fast, allocation-free check that accepts only invocations `invocationSchema` accepts and
 * memory can store (32-bit integers, `durationMs` at most {@link MAX_DURATION_MS}).
 * It is the hot path of `record`; anything it refuses goes to the zod schema, which is the
 * authority (and writes the error message). Tested against the schema in invocation-check.test.ts.
 */
export function isValidInvocation(value: unknown): value is Invocation {
  if (!isObject(value) || !hasOnlyKeys(value, isInvocationKey)) return false;
  const { tool, version, startedAt, durationMs, outcome, inputHash, outputHash, taskId, modelTurn, tokens } = value;
  return (
    typeof tool === 'string' &&
    TOOL_NAME.test(tool) &&
    isInt(version, 1, MAX_INVOCATION_INTEGER) &&
    isInt(startedAt, 0) &&
    typeof durationMs === 'number' &&
    Number.isFinite(durationMs) &&
    durationMs >= 0 &&
    durationMs <= MAX_DURATION_MS &&
    isOutcome(outcome) &&
    typeof inputHash === 'string' &&
    HASH.test(inputHash) &&
    (outputHash === undefined || (typeof outputHash === 'string' && HASH.test(outputHash))) &&
    (taskId === undefined || (typeof taskId === 'string' && taskId.length <= 200)) &&
    (modelTurn === undefined || isInt(modelTurn, 0, MAX_INVOCATION_INTEGER)) &&
    (tokens === undefined || isTokens(tokens))
  );
}
