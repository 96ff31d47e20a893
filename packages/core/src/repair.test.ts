import { describe, expect, it } from 'vitest';
import type { DiagnosisReason } from './evaluator.js';
import { diagnosedProblems, isTimeoutError, isTransientError } from './repair.js';

const reason = (kind: DiagnosisReason['kind'], extra: Partial<DiagnosisReason> = {}): DiagnosisReason => ({ kind, message: kind, observed: 1, ...extra });

describe('isTransientError', () => {
  it.each([
    [{ code: 'TIMEOUT', message: 'the tool ran past 1000 ms' }],
    [{ code: 'THROWN', message: 'HTTP 429 Too Many Requests' }],
    [{ code: 'THROWN', message: 'exchange service answered 503' }],
    [{ code: 'THROWN', message: 'TypeError: fetch failed' }],
    [{ code: 'THROWN', message: 'read ECONNRESET' }],
    [{ code: 'THROWN', message: 'rate limit exceeded' }],
    // The sandbox's fetch capability, when a request outlives its deadline or the run's.
    [{ code: 'THROWN', message: 'TypeError: fetch to "http://127.0.0.1:8080/rate" failed: no response within 500 ms.' }],
    [{ code: 'THROWN', message: 'TypeError: fetch to "http://127.0.0.1:8080/rate" failed: the run ended before the response arrived.' }],
  ])('%j is transient', (error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    [{ code: 'THROWN', message: "TypeError: Cannot read properties of undefined (reading 'rate')" }],
    [{ code: 'THROWN', message: 'HTTP 404 Not Found' }],
    [{ code: 'OUTPUT_INVALID', message: 'expected number, got string' }],
    [{ code: 'THROWN', message: 'value 4290 out of range' }],
  ])('%j is not transient', (error) => {
    expect(isTransientError(error)).toBe(false);
  });
});

describe('isTimeoutError', () => {
  it('knows the sandbox code and the usual messages, and nothing else', () => {
    expect(isTimeoutError({ code: 'TIMEOUT', message: '' })).toBe(true);
    expect(isTimeoutError({ code: 'THROWN', message: 'The operation timed out' })).toBe(true);
    expect(isTimeoutError({ code: 'THROWN', message: 'connect ETIMEDOUT 127.0.0.1:80' })).toBe(true);
    expect(isTimeoutError({ code: 'THROWN', message: 'fetch to "http://127.0.0.1:8080/rate" failed: no response within 500 ms.' })).toBe(true);
    expect(isTimeoutError({ code: 'THROWN', message: 'HTTP 429 Too Many Requests' })).toBe(false);
  });
});

describe('diagnosedProblems', () => {
  it('sorts reasons into failures and latency', () => {
    expect(diagnosedProblems({ reasons: [] })).toEqual({ failures: false, latency: false });
    expect(diagnosedProblems({ reasons: [reason('failure-rate')] })).toEqual({ failures: true, latency: false });
    expect(diagnosedProblems({ reasons: [reason('wrong-output')] })).toEqual({ failures: true, latency: false });
    expect(diagnosedProblems({ reasons: [reason('latency')] })).toEqual({ failures: false, latency: true });
    expect(diagnosedProblems({ reasons: [reason('inconsistency')] })).toEqual({ failures: false, latency: true });
  });

  it('reads a regression against the baseline by its metric', () => {
    expect(diagnosedProblems({ reasons: [reason('regression-vs-baseline', { metric: 'latency-mean' })] })).toEqual({ failures: false, latency: true });
    expect(diagnosedProblems({ reasons: [reason('regression-vs-baseline', { metric: 'success-rate' })] })).toEqual({ failures: true, latency: false });
    expect(diagnosedProblems({ reasons: [reason('regression-vs-baseline', { message: 'p95 duration rose from 40 ms to 900 ms' })] })).toEqual({ failures: false, latency: true });
  });
});
