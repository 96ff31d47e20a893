import type { Diagnosis } from '@toolwright/core';

/** An error from the evidence: a sandbox code (`TIMEOUT`, `THROWN`, ...) and its message. */
export interface EvidenceError {
  readonly code: string;
  readonly message: string;
}

const TRANSIENT_MESSAGE =
  /\b(?:429|5\d\d)\b|too many requests|rate.?limit|timed? ?out|timeout|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|EPIPE|socket hang up|network|fetch failed|service unavailable|bad gateway|overloaded/i;
const TIMEOUT_MESSAGE = /timed? ?out|timeout|ETIMEDOUT/i;

/** A failure another attempt may not meet: a timeout, a 429, a 5xx, a network error. */
export function isTransient(error: EvidenceError): boolean {
  return error.code === 'TIMEOUT' || TRANSIENT_MESSAGE.test(error.message);
}

/** A failure caused by waiting too long. */
export function isTimeout(error: EvidenceError): boolean {
  return error.code === 'TIMEOUT' || TIMEOUT_MESSAGE.test(error.message);
}

/** Which kinds of problem a diagnosis names. */
export function diagnosedKinds(diagnosis: Diagnosis): { failures: boolean; latency: boolean } {
  let failures = false;
  let latency = false;
  for (const reason of diagnosis.reasons) {
    if (reason.kind === 'failure-rate' || reason.kind === 'wrong-output') failures = true;
    if (reason.kind === 'latency' || reason.kind === 'inconsistency') latency = true;
    if (reason.kind === 'regression-vs-baseline') {
      if (/latency|duration/i.test(reason.metric ?? reason.message)) latency = true;
      else failures = true;
    }
  }
  return { failures, latency };
}

/** "3 × TIMEOUT, 2 × THROWN (HTTP 429 …)": the errors grouped for a reason sentence. */
export function describeErrors(errors: readonly EvidenceError[], limit = 4): string {
  const groups = new Map<string, { count: number; example: string }>();
  for (const error of errors) {
    const key = error.code === 'TIMEOUT' ? 'TIMEOUT' : `${error.code}: ${error.message.slice(0, 60)}`;
    const group = groups.get(key) ?? { count: 0, example: key };
    group.count += 1;
    groups.set(key, group);
  }
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count);
  const shown = sorted.slice(0, limit).map((group) => `${group.count} × ${group.example}`);
  return sorted.length > limit ? `${shown.join('; ')}; …` : shown.join('; ');
}
