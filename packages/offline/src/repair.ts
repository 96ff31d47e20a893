import {
  diagnosedProblems,
  isTimeoutError,
  isTransientError,
  type EvidenceError,
  type RepairContext,
  type TransformRepairAnswer,
} from '@toolwright/core';

/** What the offline model decided about a repair request. */
export type RepairDecision =
  | { readonly ok: true; readonly answer: TransformRepairAnswer }
  | { readonly ok: false; readonly reason: string };

/**
 * Chooses among the transforms a rewriter offers, from the diagnosis and the recent errors —
 * the offline model's whole judgement on a repair, deterministic and explained:
 *
 * - `timeout` when calls timed out or the diagnosis names latency;
 * - `retry` when recent errors are transient (timeouts, 429, 5xx, network errors), or a
 *   timeout was chosen (a call cut short deserves another try);
 * - `fallback` when recent errors are transient and the tool declares a secondary origin
 *   (the rewriter offers it only then);
 * - `memoise` when the diagnosis names latency, the tool is pure (offered only then) and
 *   nothing failed — remembering results does not fix failures.
 *
 * Transforms it does not know (another rewriter's) are never chosen. When none fits —
 * a wrong output from wrong logic, say — it says why; it never guesses.
 */
export function chooseRepair(context: RepairContext): RepairDecision {
  const offered = new Set(context.transforms.map((transform) => transform.name));
  const tool = `${context.tool.name} v${context.tool.version}`;
  if (offered.size === 0) {
    return { ok: false, reason: `no deterministic transform applies to the source of ${tool}, and the offline model writes no source by hand` };
  }
  const errors = context.recentErrors;
  const transient = errors.filter(isTransientError);
  const timeouts = errors.filter(isTimeoutError);
  const problems = diagnosedProblems(context.diagnosis);
  const chosen: string[] = [];
  const why: string[] = [];

  if (offered.has('timeout') && (timeouts.length > 0 || problems.latency)) {
    chosen.push('timeout');
    why.push(timeouts.length > 0 ? `${count(timeouts.length, errors.length)} timed out` : 'the diagnosis names latency');
  }
  if (offered.has('retry') && (transient.length > 0 || chosen.includes('timeout'))) {
    chosen.push('retry');
    why.push(transient.length > 0 ? `${count(transient.length, errors.length)} ${transient.length === 1 ? 'is' : 'are'} transient (${kinds(transient)}), so another attempt may succeed` : 'a call cut short by the timeout deserves another try');
  }
  if (offered.has('fallback') && transient.length > 0) {
    chosen.push('fallback');
    why.push('the tool declares a secondary origin for when the primary keeps failing');
  }
  if (offered.has('memoise') && problems.latency && !problems.failures && errors.length === 0) {
    chosen.push('memoise');
    why.push('the tool is pure and slow, and nothing failed, so remembered results answer repeated inputs at once');
  }

  if (chosen.length === 0) {
    const problem = problems.failures
      ? errors.length > 0
        ? `failures whose errors are not transient (${kinds(errors)})`
        : 'failures or wrong outputs with no transient errors behind them'
      : problems.latency
        ? 'latency, but none of the offered transforms (' + [...offered].join(', ') + ') addresses it for this tool'
        : 'no failure or latency a transform addresses';
    return {
      ok: false,
      reason: `the diagnosis of ${tool} names ${problem}; a transform cannot fix wrong logic, and the offline model writes no source by hand — a language model or a person must`,
    };
  }
  return { ok: true, answer: { transforms: chosen, reason: `${capitalise(why.join('; '))}.` } };
}

function count(part: number, whole: number): string {
  return `${part} of the ${whole} recent error${whole === 1 ? '' : 's'}`;
}

/** "HTTP 429 ×3, TIMEOUT ×1": the distinct errors, most frequent first. */
function kinds(errors: readonly EvidenceError[], limit = 3): string {
  const groups = new Map<string, number>();
  for (const error of errors) {
    const status = /\b(?:429|5\d\d)\b/.exec(error.message)?.[0];
    const key = error.code === 'TIMEOUT' ? 'TIMEOUT' : status !== undefined ? `HTTP ${status}` : `${error.code}: ${error.message.length > 80 ? `${error.message.slice(0, 79)}…` : error.message}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, n]) => `${key} ×${n}`)
    .join(', ');
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
