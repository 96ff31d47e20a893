import type { CaseResult, Diagnosis, Verdict } from '@toolwright/core';
import { formatMs, percentile } from './latency.js';
import type { ShadowSummary } from './shadow-summary.js';

/** A case the candidate passed in a fresh isolate but failed when run warm, after earlier calls. */
export interface StatefulCase {
  readonly caseId: string;
  /** How many calls the warm isolate had served before this one. */
  readonly earlierCalls: number;
  readonly failure: string;
}

/** Everything the decision rests on. */
export interface DecisionInput {
  readonly candidateLabel: string;
  readonly hasBaseline: boolean;
  readonly results: readonly CaseResult[];
  /** Cases whose outcome changed once the candidate had served earlier calls (from the warm replay). */
  readonly stateful?: readonly StatefulCase[];
  /** Set when the candidate did not compile: every case then fails. */
  readonly candidateCompileError: { readonly code: string; readonly message: string } | undefined;
  /** Set when the baseline did not compile (e.g. a stricter sandbox): every baseline run counts as failed. */
  readonly baselineCompileError?: { readonly code: string; readonly message: string } | undefined;
  readonly diagnosis: Diagnosis | undefined;
  readonly shadow: ShadowSummary | undefined;
  /** The share by which p95 latency must drop to count as a latency fix (0.1 = 10 %). */
  readonly minLatencyImprovement: number;
  /** The least shadow agreement accepted, in 0..1. */
  readonly minShadowAgreement: number;
  /** `none` when both versions ran without capabilities (default `declared`). */
  readonly capabilities?: 'declared' | 'none';
}

/** Which problems a diagnosis asks a candidate to fix. */
export interface DiagnosedProblems {
  readonly failures: boolean;
  readonly latency: boolean;
  readonly wrongOutput: boolean;
}

/** Reads the problems out of a diagnosis's reasons (only when it asks for a rewrite). */
export function diagnosedProblems(diagnosis: Diagnosis | undefined): DiagnosedProblems {
  const problems = { failures: false, latency: false, wrongOutput: false };
  if (diagnosis === undefined || !diagnosis.needsRewrite) return problems;
  for (const reason of diagnosis.reasons) {
    switch (reason.kind) {
      case 'failure-rate':
        problems.failures = true;
        break;
      case 'wrong-output':
        problems.failures = true;
        problems.wrongOutput = true;
        break;
      case 'latency':
      case 'inconsistency':
        problems.latency = true;
        break;
      case 'regression-vs-baseline':
        if (/latency|duration/i.test(reason.metric ?? reason.message)) problems.latency = true;
        else problems.failures = true;
        break;
    }
  }
  return problems;
}

/**
 * The verdict's decision and its reasons. Promote only when the candidate compiles, passes
 * every case the baseline passes (held-out ones included), changes no output the baseline got
 * right (unless the diagnosis is wrong output), fixes what the diagnosis names (fewer failing
 * cases or fewer failures in shadow runs; or p95 latency on the cases, or p50 in shadow runs,
 * lower by `minLatencyImprovement`), and agrees with the active version in shadow runs. For a brand-new tool (no baseline) the candidate must pass every case.
 * Every refusal names its cause.
 */
export function decide(input: DecisionInput): { decision: Verdict['decision']; reasons: string[] } {
  const refusals: string[] = [];
  const notes: string[] = [];
  const { results } = input;
  const total = results.length;
  const candidatePassed = results.filter((result) => result.candidate.pass).length;
  const baselinePassed = results.filter((result) => result.baseline?.pass === true).length;
  const problems = diagnosedProblems(input.diagnosis);

  if (input.baselineCompileError !== undefined) {
    notes.push(`The baseline does not compile in this sandbox (${input.baselineCompileError.code}): ${input.baselineCompileError.message}; every baseline run counts as failed.`);
  }
  if (input.candidateCompileError !== undefined) {
    refusals.push(
      `${capitalise(input.candidateLabel)} does not compile in the sandbox (${input.candidateCompileError.code}): ${input.candidateCompileError.message}`,
    );
  }

  const candidateP95 = percentile(results.map((result) => result.candidate.durationMs), 0.95);
  const baselineP95 = percentile(results.flatMap((result) => (result.baseline === undefined ? [] : [result.baseline.durationMs])), 0.95);
  const faster = input.hasBaseline && candidateP95 < baselineP95;

  if (input.candidateCompileError === undefined) {
    const regressions = results.filter((result) => result.regressed);
    const heldOut = regressions.filter((result) => result.heldOut);
    const visible = regressions.filter((result) => !result.heldOut);
    if (heldOut.length > 0) {
      refusals.push(
        `Regresses on ${count(heldOut.length, 'held-out case')} the baseline passes (${describeCases(heldOut)}); ` +
          'held-out cases are never shown to a rewriter, so a candidate that passes the visible cases but not these fits the tests rather than fixing the tool.',
      );
    }
    if (visible.length > 0) {
      refusals.push(`Regresses on ${count(visible.length, 'case')} the baseline passes (${describeCases(visible)}).`);
    }
    const stateful = input.stateful ?? [];
    if (stateful.length > 0) {
      const shown = stateful
        .slice(0, 3)
        .map((entry) => `${entry.caseId} after ${count(entry.earlierCalls, 'earlier call')}: ${entry.failure}`)
        .join('; ');
      refusals.push(
        `Its answers depend on state kept between calls: ${count(stateful.length, 'case')} it passes in a fresh isolate ${stateful.length === 1 ? 'fails' : 'fail'} once it has served earlier calls (${shown}${stateful.length > 3 ? `; and ${stateful.length - 3} more` : ''}). ` +
          'A tool must give the same answers however many calls it has served; production keeps it warm.',
      );
    }
    const changedOutputs = regressions.filter((result) => result.outputDiff !== undefined);
    if (faster && changedOutputs.length > 0) {
      refusals.push(
        `The candidate is faster (p95 ${formatMs(candidateP95)} against ${formatMs(baselineP95)}) but returns different outputs on ${count(changedOutputs.length, 'case')} the baseline gets right: speed bought by changing results is refused.`,
      );
    }

    // Outputs that changed where no golden output pins them: a behaviour change nobody asked for.
    const unpinnedChanges = results.filter((result) => result.candidate.pass && result.baseline?.pass === true && result.outputDiff !== undefined);
    if (unpinnedChanges.length > 0 && !problems.wrongOutput) {
      refusals.push(
        `Changes the output on ${count(unpinnedChanges.length, 'case')} where the baseline passes (${describeDiffs(unpinnedChanges)}), and the diagnosis does not name wrong output: a rewrite must keep what already works.`,
      );
    }

    if (!input.hasBaseline) {
      if (candidatePassed < total) {
        refusals.push(`Fails ${total - candidatePassed} of ${count(total, 'case')} (${describeCases(results.filter((result) => !result.candidate.pass))}); a new tool must pass every case.`);
      } else {
        notes.push(`Passes all ${count(total, 'case')}.`);
      }
    } else if (refusals.length === 0) {
      notes.push(`Passes every case the baseline passes: ${candidatePassed} of ${total} against the baseline's ${baselinePassed} of ${total}; regresses on nothing.`);
    }
  }

  if (input.hasBaseline && (problems.failures || problems.latency)) {
    const fixes: string[] = [];
    const misses: string[] = [];
    const candidateFailed = total - candidatePassed;
    const baselineFailed = total - baselinePassed;
    const { shadow } = input;
    if (problems.failures) {
      const line = `failing cases ${baselineFailed} → ${candidateFailed} of ${total}`;
      (candidateFailed < baselineFailed ? fixes : misses).push(line);
      // Live traffic is evidence too: the cases may not hit what fails in production.
      if (shadow !== undefined) {
        const activeFailed = shadow.runs - shadow.comparable;
        const shadowLine = `failures in shadow runs ${activeFailed} → ${shadow.candidateFailures} of ${shadow.runs}`;
        (shadow.candidateFailures < activeFailed ? fixes : misses).push(shadowLine);
      }
    }
    if (problems.latency) {
      const line = `p95 latency ${formatMs(baselineP95)} → ${formatMs(candidateP95)}`;
      const improved = candidateP95 <= baselineP95 * (1 - input.minLatencyImprovement) && candidateP95 < baselineP95;
      (improved ? fixes : misses).push(improved ? line : `${line} (needs at least ${Math.round(input.minLatencyImprovement * 100)} % lower)`);
      if (shadow !== undefined) {
        const shadowLine = `p50 latency in shadow runs ${formatMs(shadow.baselineP50Ms)} → ${formatMs(shadow.candidateP50Ms)}`;
        const faster = shadow.candidateP50Ms <= shadow.baselineP50Ms * (1 - input.minLatencyImprovement) && shadow.candidateP50Ms < shadow.baselineP50Ms;
        (faster ? fixes : misses).push(shadowLine);
      }
    }
    if (fixes.length > 0) notes.push(`Fixes the diagnosed problem: ${fixes.join('; ')}${misses.length > 0 ? ` (not improved: ${misses.join('; ')})` : ''}.`);
    else refusals.push(`Does not fix the diagnosed problem (${diagnosisSummary(input.diagnosis)}): ${misses.join('; ')}.`);
  }

  if (input.shadow !== undefined) {
    const { shadow } = input;
    const line =
      `${count(shadow.runs, 'shadow run')} on live inputs: agreement ${percent(shadow.agreement)} over ${count(shadow.comparable, 'call')} the active version answered` +
      `${shadow.candidateFailures > 0 ? `, candidate failed ${shadow.candidateFailures}` : ''}; p50 ${formatMs(shadow.candidateP50Ms)} against ${formatMs(shadow.baselineP50Ms)}`;
    if (shadow.comparable > 0 && shadow.agreement < input.minShadowAgreement && !problems.wrongOutput) {
      refusals.push(`Disagrees with the active version in shadow runs: ${line} (at least ${percent(input.minShadowAgreement)} agreement is required).`);
    } else {
      notes.push(`${capitalise(line)}.`);
    }
  }

  if (input.capabilities === 'none') {
    const withheld = results.filter((result) => result.candidate.error?.code === 'CAPABILITY_DENIED').length;
    const line =
      withheld > 0
        ? `Ran without capabilities (capabilities: 'none'), so nothing reached the network: ${withheld} of ${count(total, 'case')} needed a capability and failed with CAPABILITY_DENIED. That is evidence of the candidate without the network, not a test of it; compare again with capabilities 'declared' once a person has approved it.`
        : `Ran without capabilities (capabilities: 'none'), so nothing reached the network; no case needed one.`;
    (refusals.length > 0 ? refusals : notes).push(line);
  }

  return refusals.length > 0 ? { decision: 'reject', reasons: refusals } : { decision: 'promote', reasons: notes };
}

function describeCases(results: readonly CaseResult[], limit = 5): string {
  const shown = results.slice(0, limit).map((result) => `${result.caseId}: ${result.candidate.failures[0] ?? 'failed'}`);
  return results.length > limit ? `${shown.join('; ')}; and ${results.length - limit} more` : shown.join('; ');
}

function describeDiffs(results: readonly CaseResult[], limit = 3): string {
  const shown = results.slice(0, limit).map((result) => `${result.caseId}: ${(result.outputDiff ?? '').split('\n')[0]}`);
  return results.length > limit ? `${shown.join('; ')}; and ${results.length - limit} more` : shown.join('; ');
}

function diagnosisSummary(diagnosis: Diagnosis | undefined): string {
  if (diagnosis === undefined) return 'no diagnosis';
  const kinds = [...new Set(diagnosis.reasons.map((reason) => reason.kind))];
  return kinds.length === 0 ? `score ${diagnosis.score.toFixed(2)}` : kinds.join(', ');
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}

function capitalise(text: string): string {
  return text.length === 0 ? text : `${text[0]?.toUpperCase() ?? ''}${text.slice(1)}`;
}
