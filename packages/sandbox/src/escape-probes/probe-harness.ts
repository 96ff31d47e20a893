import type { CompiledTool, JsonValue, RunOptions, RunResult } from '@toolwright/core';
import { expect } from 'vitest';
import type { IsolatedSandbox } from '../index.js';

/**
 * Helpers for the escape and abuse probes. A probe is attacker code run as a tool; each test
 * asserts the exact safe outcome, then {@link expectHostUnaffected} checks that the host's
 * intrinsics are untouched and that the sandbox still serves an ordinary tool.
 */

const HOST_INTRINSICS = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Promise.prototype, Error.prototype, JSON, Math, globalThis];

function intrinsicShape(): string[] {
  return HOST_INTRINSICS.map((value) => Reflect.ownKeys(value).map(String).sort().join(','));
}

const shapeAtStart = intrinsicShape();
let probeCount = 0;

/** Compiles `source` as a fresh tool (a name of its own) and runs it once. */
export async function runProbe(sandbox: IsolatedSandbox, source: string, input: JsonValue = null, options?: RunOptions): Promise<RunResult> {
  probeCount += 1;
  const tool = await sandbox.compile({ name: `probe_${probeCount}`, source });
  return sandbox.run(tool, input, options);
}

/** The canary: an ordinary tool whose answer proves the sandbox still works after a probe. */
export async function compileCanary(sandbox: IsolatedSandbox): Promise<CompiledTool> {
  return sandbox.compile({ name: 'canary', source: 'export default ({ a, b }: { a: number; b: number }) => ({ sum: a + b, proto: Object.getPrototypeOf({}) === Object.prototype });' });
}

/** The host realm is as it was, nothing polluted, and a later run of the canary answers correctly. */
export async function expectHostUnaffected(sandbox: IsolatedSandbox, canary: CompiledTool): Promise<void> {
  expect(intrinsicShape()).toEqual(shapeAtStart);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(typeof process.exit).toBe('function');
  expect(await sandbox.run(canary, { a: 2, b: 3 })).toMatchObject({ ok: true, value: { sum: 5, proto: true } });
}

/** The fault code of a result, or `ok`. */
export function outcome(result: RunResult): string {
  return result.ok ? 'ok' : result.error.code;
}

/** ECMAScript globals of V8 (Node 20 and Node 24) plus what the sandbox installs; nothing else may be on the guest global. */
export const ALLOWED_GUEST_GLOBALS = new Set([
  'AggregateError', 'Array', 'ArrayBuffer', 'AsyncDisposableStack', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean',
  'DataView', 'Date', 'DisposableStack', 'Error', 'EvalError', 'Float16Array', 'Float32Array', 'Float64Array', 'Function',
  'Infinity', 'Int16Array', 'Int32Array', 'Int8Array', 'Intl', 'Iterator', 'JSON', 'Map', 'Math', 'NaN', 'Number', 'Object',
  'Promise', 'Proxy', 'RangeError', 'ReferenceError', 'Reflect', 'RegExp', 'Set', 'String', 'SuppressedError', 'Symbol',
  'Symbol(Symbol.toStringTag)', 'SyntaxError', 'TypeError', 'URIError', 'Uint16Array', 'Uint32Array', 'Uint8Array',
  'Uint8ClampedArray', 'WeakMap', 'WeakSet', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape',
  'globalThis', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'undefined', 'unescape',
  'console', 'fetch', 'setTimeout', 'clearTimeout',
]);
