import type { Invocation } from '@toolwright/core';

const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const HASH = /^[0-9a-f]{64}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInt(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
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
    isInt(value['inputTokens'], 0) &&
    isInt(value['outputTokens'], 0)
  );
}

/**
 * A fast, allocation-free check that accepts only invocations `invocationSchema` accepts.
 * It is the hot path of `record`; anything it refuses goes to the zod schema, which is the
 * authority (and writes the error message). Tested against the schema in invocation-check.test.ts.
 */
export function isValidInvocation(value: unknown): value is Invocation {
  if (!isObject(value) || !hasOnlyKeys(value, isInvocationKey)) return false;
  const { tool, version, startedAt, durationMs, outcome, inputHash, outputHash, taskId, modelTurn, tokens } = value;
  return (
    typeof tool === 'string' &&
    TOOL_NAME.test(tool) &&
    isInt(version, 1) &&
    isInt(startedAt, 0) &&
    typeof durationMs === 'number' &&
    Number.isFinite(durationMs) &&
    durationMs >= 0 &&
    isOutcome(outcome) &&
    typeof inputHash === 'string' &&
    HASH.test(inputHash) &&
    (outputHash === undefined || (typeof outputHash === 'string' && HASH.test(outputHash))) &&
    (taskId === undefined || (typeof taskId === 'string' && taskId.length <= 200)) &&
    (modelTurn === undefined || isInt(modelTurn, 0)) &&
    (tokens === undefined || isTokens(tokens))
  );
}
