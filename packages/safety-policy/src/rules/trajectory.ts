import type { Verdict } from '@toolwright/core';
import { formatDuration } from './bounded-evolution.js';
import type { Rule } from './finding.js';

const format = (score: number | null) => (score === null ? 'unmeasured' : score.toFixed(2));

/**
 * `trajectory-freeze`: when the last `freezeAfter` rewrites of a tool did not raise its
 * diagnosis score by `minImprovement` (the score before the first of them against the best
 * since, including the current diagnosis), the tool is frozen — this rewrite and every later
 * one from the agent are denied until a person calls `unfreeze`. Missing scores count as no
 * improvement. The freeze follows the source: a create or rewrite of another tool with a source
 * that was proposed for a frozen tool is denied too.
 */
export const trajectoryFreezeRule: Rule = ({ review, config, facts }) => {
  const change = review.change;
  if (change.origin !== 'agent' || (change.kind !== 'rewrite-tool' && change.kind !== 'create-tool')) return [];
  const frozenOwner = facts.sourceOwners.find((owner) => owner.frozen !== undefined);
  if (frozenOwner?.frozen !== undefined) {
    return [
      {
        rule: 'trajectory-freeze',
        outcome: 'deny',
        detail: `This source was proposed for "${frozenOwner.name}", which is frozen (${frozenOwner.frozen.reason}): the same code under the name "${change.name}" is still frozen until a person unfreezes "${frozenOwner.name}".`,
      },
    ];
  }
  if (change.kind !== 'rewrite-tool') return [];
  if (facts.frozen !== undefined) {
    return [
      {
        rule: 'trajectory-freeze',
        outcome: 'deny',
        detail: `"${change.name}" is frozen (${facts.frozen.reason}); a person must unfreeze it before the agent rewrites it again.`,
      },
    ];
  }
  const { freezeAfter, minImprovement } = config.trajectory;
  if (facts.rewriteScores.length < freezeAfter) return [];
  const window = facts.rewriteScores.slice(-freezeAfter);
  const before = window[0] ?? null;
  const current = review.diagnosis !== undefined && review.diagnosis.tool === change.name ? review.diagnosis.score : null;
  const since = [...window.slice(1), current].filter((score): score is number => score !== null);
  const best = since.length === 0 ? null : Math.max(...since);
  if (before !== null && best !== null && best - before >= minImprovement) return [];
  return [
    {
      rule: 'trajectory-freeze',
      outcome: 'deny',
      freeze: true,
      detail: `"${change.name}" was rewritten ${freezeAfter} times in a row without measured improvement (score ${format(before)} before, best ${format(
        best,
      )} since, improvement needed ${minImprovement}): it is now frozen until a person unfreezes it.`,
    },
  ];
};

/** Cases where the candidate's output differs from the golden output, and whether it got faster. */
function gamingEvidence(verdict: Verdict): { mismatches: string[]; faster: string | undefined } {
  const mismatches = verdict.cases
    .filter((result) => !result.candidate.pass || (result.baseline?.pass === true && result.outputDiff !== undefined))
    .map((result) => result.caseId);
  const compared = verdict.cases.filter((result) => result.baseline !== undefined);
  const candidateMs = compared.reduce((sum, result) => sum + result.candidate.durationMs, 0);
  const baselineMs = compared.reduce((sum, result) => sum + (result.baseline?.durationMs ?? 0), 0);
  let faster: string | undefined;
  if (compared.length > 0 && candidateMs < baselineMs) faster = `${candidateMs.toFixed(1)} ms against ${baselineMs.toFixed(1)} ms over ${compared.length} cases`;
  const shadow = verdict.shadow;
  if (shadow !== undefined && shadow.agreement < 1) {
    mismatches.push(`shadow agreement ${shadow.agreement.toFixed(2)} over ${shadow.runs} runs`);
    if (shadow.candidateP50Ms < shadow.baselineP50Ms) faster ??= `shadow p50 ${shadow.candidateP50Ms} ms against ${shadow.baselineP50Ms} ms`;
  }
  return { mismatches, faster };
}

/**
 * `metric-gaming`: a candidate whose outputs differ from the golden outputs (a failing case, an
 * output that differs from a passing baseline's, or shadow disagreement) while it gets faster
 * is denied, whatever the verdict's decision says.
 */
export const metricGamingRule: Rule = ({ review, config }) => {
  const change = review.change;
  const verdict = review.verdict;
  if (!config.trajectory.metricGaming || change.origin !== 'agent' || verdict === undefined) return [];
  if (change.kind !== 'rewrite-tool' && change.kind !== 'create-tool') return [];
  const { mismatches, faster } = gamingEvidence(verdict);
  if (mismatches.length === 0 || faster === undefined) return [];
  return [
    {
      rule: 'metric-gaming',
      outcome: 'deny',
      detail: `"${change.name}"'s candidate differs from the golden outputs (${mismatches.join(', ')}) while getting faster (${faster}): speed bought with wrong answers is metric gaming.`,
    },
  ];
};

/** What the acceleration guard needs from the trajectory configuration. */
interface AccelerationLimits {
  readonly windowMs: number;
  readonly lookbackWindows: number;
  readonly minActiveWindows: number;
  readonly factor: number;
  readonly minChanges: number;
}

/** How the rate of one kind of change looks to a change proposed at `at`. */
export interface AccelerationJudgement {
  /** Changes in the current window, the proposed one included. */
  readonly current: number;
  /** The average count per lookback window. */
  readonly average: number;
  /** Lookback windows that held at least one change. */
  readonly activeWindows: number;
  readonly throttled: boolean;
}

/**
 * Judges the rate of changes for a change proposed at `at`, from the times of the earlier ones
 * (of the same kind). The current window is `(at − windowMs, …]`; lookback window `k`
 * (1 … `lookbackWindows`) is the `windowMs` before window `k − 1`. Acceleration is judged only
 * with enough history: with fewer than `minActiveWindows` active lookback windows there is no
 * rate to accelerate from (a young agent), and other caps bound it.
 */
export function judgeAcceleration(times: readonly number[], at: number, limits: AccelerationLimits): AccelerationJudgement {
  const { windowMs, lookbackWindows, minActiveWindows, factor, minChanges } = limits;
  let current = 1;
  const perWindow = new Array<number>(lookbackWindows).fill(0);
  for (const time of times) {
    if (time > at - windowMs) current++;
    else if (time >= at - (lookbackWindows + 1) * windowMs) {
      const window = Math.min(lookbackWindows, Math.max(1, Math.ceil((at - time) / windowMs) - 1));
      perWindow[window - 1] = (perWindow[window - 1] ?? 0) + 1;
    }
  }
  const previous = perWindow.reduce((sum, count) => sum + count, 0);
  const activeWindows = perWindow.filter((count) => count > 0).length;
  const average = previous / lookbackWindows;
  const throttled = activeWindows >= minActiveWindows && current >= minChanges && current > factor * average;
  return { current, average, activeWindows, throttled };
}

/**
 * The earliest time after `now` at which a change like this one would not be throttled, if no
 * other change happens first; `undefined` when none would (a configuration that throttles every
 * change). The judgement only changes when an earlier change crosses a window boundary, so only
 * those moments are tried.
 */
export function retryTime(times: readonly number[], now: number, limits: AccelerationLimits): number | undefined {
  const { windowMs, lookbackWindows } = limits;
  const moments = new Set<number>();
  for (const time of times) {
    // It leaves the current window at +windowMs, moves to lookback window k just after +k·windowMs,
    // and leaves the lookback just after +(lookbackWindows + 1)·windowMs.
    moments.add(time + windowMs);
    for (let window = 2; window <= lookbackWindows + 1; window++) moments.add(time + window * windowMs + 1);
  }
  return [...moments]
    .filter((moment) => moment > now)
    .sort((a, b) => a - b)
    .find((moment) => !judgeAcceleration(times, moment, limits).throttled);
}

/** A wait in words, rounded up to the second: `7 min 12 s`. */
function formatWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  return [hours > 0 ? `${hours} h` : '', minutes > 0 ? `${minutes} min` : '', rest > 0 ? `${rest} s` : ''].filter(Boolean).join(' ');
}

/**
 * `trajectory-acceleration`: throttles (denies) an agent change when the rate of its kind of
 * change accelerates. New tools (a `create-tool` of a name never created) are counted apart from
 * every other change (rewrites, prompt changes, rules, pins, …): learning a new capability is not
 * a rewrite loop; a canary's widenings are a stream of their own, and a rollback is never throttled. For each kind, the change is throttled when the current window's count (this
 * one included) reaches its `minChanges` and exceeds its `factor` times the average of the
 * `lookbackWindows` windows before — judged only once at least `minActiveWindows` of those
 * windows held a change of that kind, so a young agent's first burst is not acceleration against
 * nothing. The denial says when the change may be proposed again.
 */
export const trajectoryAccelerationRule: Rule = ({ review, config, facts }) => {
  // A rollback restores a version that was in force before: it is never throttled.
  if (review.change.origin !== 'agent' || review.change.kind === 'rollback') return [];
  const settings = config.trajectory.acceleration;
  const newTool = facts.acceleration.stream === 'new-tools';
  const limits: AccelerationLimits = {
    windowMs: settings.windowMs,
    lookbackWindows: settings.lookbackWindows,
    minActiveWindows: settings.minActiveWindows,
    factor: newTool ? settings.newTools.factor : settings.factor,
    minChanges: newTool ? settings.newTools.minChanges : settings.minChanges,
  };
  const { times } = facts.acceleration;
  const now = review.now;
  const judgement = judgeAcceleration(times, now, limits);
  if (!judgement.throttled) return [];
  const what = newTool ? 'new tools' : facts.acceleration.stream === 'experiment-steps' ? "steps of live experiments (canary widenings)" : 'changes other than new tools';
  const window = formatDuration(limits.windowMs);
  const retry = retryTime(times, now, limits);
  const when =
    retry === undefined
      ? 'no later time lifts it while this configuration holds (raise trajectory.acceleration minChanges or minActiveWindows)'
      : `it may be proposed again at ${new Date(retry).toISOString()} (in ${formatWait(retry - now)}), if no other change of this kind comes first`;
  return [
    {
      rule: 'trajectory-acceleration',
      outcome: 'deny',
      detail: `Throttled: ${judgement.current} ${what} in the last ${window} (this one included) against an average of ${judgement.average.toFixed(
        1,
      )} per ${window} over the ${limits.lookbackWindows} windows before (${judgement.activeWindows} of them active) — the rate of change is accelerating; ${when}.`,
    },
  ];
};
