import type { Verdict } from '@toolwright/core';
import { formatDuration } from './bounded-evolution.js';
import type { Rule } from './finding.js';

const format = (score: number | null) => (score === null ? 'unmeasured' : score.toFixed(2));

/**
 * `trajectory-freeze`: when the last `freezeAfter` rewrites of a tool did not raise its
 * diagnosis score by `minImprovement` (the score before the first of them against the best
 * since, including the current diagnosis), the tool is frozen — this rewrite and every later
 * one from the agent are denied until a person calls `unfreeze`. Missing scores count as no
 * improvement.
 */
export const trajectoryFreezeRule: Rule = ({ review, config, facts }) => {
  const change = review.change;
  if (change.origin !== 'agent' || change.kind !== 'rewrite-tool') return [];
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

/**
 * `trajectory-acceleration`: when the agent's changes in the current window (this one included)
 * reach `minChanges` and exceed `factor` times the average of the `lookbackWindows` windows
 * before, the change is throttled (denied; it may be proposed again once the rate falls).
 */
export const trajectoryAccelerationRule: Rule = ({ review, config, facts }) => {
  if (review.change.origin !== 'agent') return [];
  const { windowMs, lookbackWindows, factor, minChanges } = config.trajectory.acceleration;
  const current = facts.acceleration.current + 1;
  const average = facts.acceleration.previous / lookbackWindows;
  if (current < minChanges || current <= factor * average) return [];
  return [
    {
      rule: 'trajectory-acceleration',
      outcome: 'deny',
      detail: `Throttled: ${current} changes in the last ${formatDuration(windowMs)} (this one included) against an average of ${average.toFixed(
        1,
      )} per ${formatDuration(windowMs)} over the ${lookbackWindows} windows before — the rate of change is accelerating; propose it again once it falls.`,
    },
  ];
};
