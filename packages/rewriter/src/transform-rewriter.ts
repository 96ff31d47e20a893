import { type Candidate, type FetchCapability, type Rewriter, RewriterError, ZERO_USAGE, parseOrThrow } from '@toolwright/core';
import { z } from 'zod';
import { type CheckedRewriteRequest, checkRewriteRequest } from './rewrite-request.js';
import { describeErrors, diagnosedKinds, isTimeout, isTransient } from './transforms/evidence.js';
import { FETCH_HELPER_NAMES, type FetchHelperSettings, fetchHelpers } from './transforms/fetch-helpers.js';
import { memoiseDefaultExport } from './transforms/memoise.js';
import { parseSource } from './transforms/parse-source.js';
import { type SourceEdit, applyEdits } from './transforms/source-edits.js';
import { type SourceFacts, sourceFacts } from './transforms/source-facts.js';

/** The deterministic transforms, by name. */
export const TRANSFORM_NAMES = ['timeout', 'retry', 'fallback', 'memoise'] as const;
/** One of {@link TRANSFORM_NAMES}. */
export type TransformName = (typeof TRANSFORM_NAMES)[number];

/** Options of {@link createTransformRewriter}, validated with zod. */
export const transformRewriterOptionsSchema = z
  .object({
    /** Retry with exponential backoff and full jitter. */
    retry: z
      .object({
        /** Attempts in all, the first included. Default 4. */
        attempts: z.number().int().min(2).max(10).default(4),
        /** The first backoff's ceiling; each later one doubles. Default 50 ms. */
        baseDelayMs: z.number().int().min(0).max(60_000).default(50),
        /** No backoff waits longer. Default 1,000 ms. */
        maxDelayMs: z.number().int().min(0).max(600_000).default(1_000),
      })
      .strict()
      .default({ attempts: 4, baseDelayMs: 50, maxDelayMs: 1_000 }),
    /** A timeout around each capability call. */
    timeout: z
      .object({
        /** How long one fetch may take. Default 500 ms. */
        callTimeoutMs: z.number().int().min(1).max(600_000).default(500),
      })
      .strict()
      .default({ callTimeoutMs: 500 }),
    /** Memoisation of pure tools. */
    memoise: z
      .object({
        /** How long a result is remembered. Default 60,000 ms. */
        ttlMs: z.number().int().min(1).max(86_400_000).default(60_000),
        /** How many results are remembered. Default 500. */
        maxEntries: z.number().int().min(1).max(100_000).default(500),
      })
      .strict()
      .default({ ttlMs: 60_000, maxEntries: 500 }),
    /** Which transforms may be chosen. Default: all. */
    transforms: z.array(z.enum(TRANSFORM_NAMES)).min(1).default([...TRANSFORM_NAMES]),
  })
  .strict();

/** What {@link createTransformRewriter} accepts. */
export type TransformRewriterOptions = z.input<typeof transformRewriterOptionsSchema>;
type Settings = z.output<typeof transformRewriterOptionsSchema>;

interface Choice {
  readonly name: TransformName;
  readonly reason: string;
}

/**
 * A rewriter that needs no model: deterministic code-to-code transforms chosen by the
 * diagnosis and the evidence, written into the tool's own source as readable, named helpers
 * (the original code is kept byte for byte apart from the calls it reroutes):
 *
 * - `timeout`: each `fetch` call gets a deadline (`fetchWithTimeout`), when the evidence shows
 *   timeouts or the diagnosis names latency — always paired with `retry`, so a call that
 *   timed out is tried again.
 * - `retry`: transient failures (network errors, timeouts, 429, 5xx) are retried with
 *   exponential backoff and full jitter (`fetchWithRetry`), when recent errors are transient.
 * - `fallback`: when the primary origin keeps failing, the same path is fetched from the
 *   secondary origin the tool's fetch capability declares in `fallbacks` (`fetchWithFallback`).
 * - `memoise`: a pure tool (no capabilities, no clock, no randomness) whose diagnosis names
 *   latency remembers each input's result for a TTL.
 *
 * `propose` returns one candidate with every chosen transform, or throws
 * `REWRITER_NO_CANDIDATE` saying why none applies.
 *
 * @example
 * ```ts
 * const rewriter = createTransformRewriter({ timeout: { callTimeoutMs: 200 } });
 * const [candidate] = await rewriter.propose({ artifact: active, diagnosis, evidence });
 * console.log(candidate.reason);
 * ```
 */
export function createTransformRewriter(options: TransformRewriterOptions = {}): Rewriter {
  const settings = parseOrThrow(transformRewriterOptionsSchema, options, 'transform rewriter options');
  return {
    async propose(request) {
      const checked = checkRewriteRequest(request);
      checked.signal?.throwIfAborted();
      const { artifact } = checked;
      let facts: SourceFacts;
      try {
        facts = sourceFacts(artifact.source, artifact.spec.language);
      } catch (error) {
        throw new RewriterError(
          'REWRITER_NO_CANDIDATE',
          `The source of ${artifact.name} v${artifact.version} does not parse as ${artifact.spec.language === 'ts' ? 'TypeScript' : 'JavaScript'} (${error instanceof Error ? error.message : String(error)}), so no transform applies.`,
          { cause: error },
        );
      }
      const { chosen, skipped } = plan(checked, facts, settings);
      if (chosen.length === 0) {
        throw new RewriterError(
          'REWRITER_NO_CANDIDATE',
          `No transform applies to ${artifact.name} v${artifact.version}: ${skipped.join('; ')}. Try a model rewriter, or add evidence.`,
          { details: { skipped } },
        );
      }
      const source = rewrite(facts, chosen, settings, artifact.name, fallbackOrigins(artifact.spec.capabilities));
      const candidate: Candidate = {
        name: artifact.name,
        parent: artifact.version,
        source,
        spec: artifact.spec,
        author: { kind: 'transform', id: `transform-rewriter:${chosen.map((choice) => choice.name).join('+')}` },
        reason: chosen.map((choice) => choice.reason).join(' '),
        diagnosis: checked.diagnosis,
        tokens: ZERO_USAGE,
      };
      return [candidate];
    },
  };
}

function plan(request: CheckedRewriteRequest, facts: SourceFacts, settings: Settings): { chosen: Choice[]; skipped: string[] } {
  const { artifact, diagnosis, evidence } = request;
  const enabled = new Set(settings.transforms);
  const problems = diagnosedKinds(diagnosis);
  const errors = evidence.recentErrors;
  const transient = errors.filter(isTransient);
  const timeouts = errors.filter(isTimeout);
  const fallbacks = fallbackOrigins(artifact.spec.capabilities);
  const chosen: Choice[] = [];
  const skipped: string[] = [];
  const skip = (name: TransformName, why: string): void => {
    skipped.push(`${name}: ${why}`);
  };
  const taken = (names: readonly string[]): string | undefined => names.find((name) => facts.names.has(name));

  const fetchProblem =
    facts.fetchBlockers.length > 0 ? facts.fetchBlockers.join('; ') : facts.fetchCalls.length === 0 ? 'the source makes no fetch(...) call' : undefined;

  let timeoutChosen = false;
  if (enabled.has('timeout')) {
    const clash = taken([...FETCH_HELPER_NAMES.timeout, ...FETCH_HELPER_NAMES.shared]);
    if (fetchProblem !== undefined) skip('timeout', fetchProblem);
    else if (clash !== undefined) skip('timeout', `the source already declares "${clash}" (applied before?)`);
    else if (timeouts.length === 0 && !problems.latency) skip('timeout', 'no timeouts in the recent errors and the diagnosis does not name latency');
    else {
      timeoutChosen = true;
      const why = timeouts.length > 0 ? `${timeouts.length} of the ${errors.length} recent errors are timeouts` : 'the diagnosis names latency';
      chosen.push({
        name: 'timeout',
        reason: `Timeout: each fetch is abandoned after ${settings.timeout.callTimeoutMs} ms (fetchWithTimeout), so one slow answer no longer uses up the whole run — ${why}.`,
      });
    }
  }

  if (enabled.has('retry')) {
    const clash = taken([...FETCH_HELPER_NAMES.retry, ...FETCH_HELPER_NAMES.shared]);
    if (fetchProblem !== undefined) skip('retry', fetchProblem);
    else if (clash !== undefined) skip('retry', `the source already declares "${clash}" (applied before?)`);
    else if (transient.length === 0 && !timeoutChosen) skip('retry', 'none of the recent errors is transient (timeout, 429, 5xx, network)');
    else {
      const { attempts, baseDelayMs, maxDelayMs } = settings.retry;
      const why =
        transient.length > 0
          ? `${transient.length} of the ${errors.length} recent errors are transient (${describeErrors(transient)})`
          : 'a call that timed out deserves another try';
      chosen.push({
        name: 'retry',
        reason: `Retry: transient failures (network errors, timeouts, 429, 5xx) are retried up to ${attempts} attempts in all, with exponential backoff and full jitter (${baseDelayMs} ms doubling, at most ${maxDelayMs} ms) (fetchWithRetry) — ${why}.`,
      });
    }
  }

  if (enabled.has('fallback')) {
    const clash = taken([...FETCH_HELPER_NAMES.fallback]);
    if (fetchProblem !== undefined) skip('fallback', fetchProblem);
    else if (Object.keys(fallbacks).length === 0) skip('fallback', 'the fetch capability declares no `fallbacks` (secondary origins)');
    else if (clash !== undefined) skip('fallback', `the source already declares "${clash}" (applied before?)`);
    else if (transient.length === 0 && !problems.failures) skip('fallback', 'no transient errors and the diagnosis does not name failures');
    else {
      const pairs = Object.entries(fallbacks).map(([primary, secondary]) => `${primary} → ${secondary}`).join(', ');
      chosen.push({
        name: 'fallback',
        reason: `Fallback: when the primary origin keeps failing, the same path is fetched from the secondary origin the fetch capability declares (${pairs}) (fetchWithFallback).`,
      });
    }
  }

  if (enabled.has('memoise')) {
    if (artifact.spec.capabilities.length > 0 || facts.fetchCalls.length > 0) skip('memoise', 'the tool uses capabilities, so its calls are not pure');
    else if (facts.impureUses.length > 0) skip('memoise', `the tool is not pure (${facts.impureUses.slice(0, 3).join(', ')})`);
    else if (!problems.latency) skip('memoise', 'the diagnosis does not name latency');
    else {
      chosen.push({
        name: 'memoise',
        reason: `Memoise: the tool is pure (no capabilities, no clock, no randomness) and slow, so each input's result is remembered for ${settings.memoise.ttlMs} ms (at most ${settings.memoise.maxEntries} results).`,
      });
    }
  }
  return { chosen, skipped };
}

function rewrite(facts: SourceFacts, chosen: readonly Choice[], settings: Settings, toolName: string, fallbacks: Readonly<Record<string, string>>): string {
  const names = new Set(chosen.map((choice) => choice.name));
  const edits: SourceEdit[] = [];
  if (names.has('timeout') || names.has('retry') || names.has('fallback')) {
    const helperSettings: FetchHelperSettings = {
      typescript: facts.language === 'ts',
      ...(names.has('timeout') ? { timeout: settings.timeout } : {}),
      ...(names.has('retry') ? { retry: settings.retry } : {}),
      ...(names.has('fallback') ? { fallback: { origins: fallbacks } } : {}),
    };
    const { entryPoint, text } = fetchHelpers(helperSettings);
    for (const call of facts.fetchCalls) edits.push({ start: call.start, end: call.end, text: entryPoint });
    edits.push({ start: facts.source.length, end: facts.source.length, text: `${facts.source.endsWith('\n') ? '\n' : '\n\n'}${text}\n` });
  }
  if (names.has('memoise')) {
    const memoised = memoiseDefaultExport(facts, toolName, settings.memoise);
    if ('refused' in memoised) {
      throw new RewriterError('REWRITER_NO_CANDIDATE', `Cannot memoise ${toolName}: ${memoised.refused}.`);
    }
    edits.push(...memoised.edits);
  }
  const source = applyEdits(facts.source, edits);
  // The result must parse: a transform that writes broken code is a bug, never a candidate.
  parseSource(source, facts.language);
  return source;
}

function fallbackOrigins(capabilities: readonly { readonly kind: string }[]): Readonly<Record<string, string>> {
  const origins: Record<string, string> = {};
  for (const capability of capabilities) {
    if (capability.kind === 'fetch') Object.assign(origins, (capability as FetchCapability).fallbacks ?? {});
  }
  return origins;
}
