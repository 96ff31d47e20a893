import {
  type Candidate,
  type FetchCapability,
  type Rewriter,
  RewriterError,
  ZERO_USAGE,
  diagnosedProblems,
  isTimeoutError,
  isTransientError,
  parseOrThrow,
} from '@toolwright/core';
import { z } from 'zod';
import { type CheckedRewriteRequest, checkRewriteRequest } from './rewrite-request.js';
import { describeErrors } from './transforms/evidence.js';
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
/** The transform settings, defaults applied. */
export type TransformSettings = z.output<typeof transformRewriterOptionsSchema>;
type Settings = TransformSettings;

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
      const source = applyTransforms(facts, chosen.map((choice) => choice.name), settings, artifact.name, artifact.spec.capabilities);
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

/** Whether a transform can be applied to a source, whatever the diagnosis says. */
export type TransformAvailability = { readonly available: true } | { readonly available: false; readonly why: string };

/**
 * Which transforms the source allows, from facts about the source and the spec alone: the
 * fetch transforms need `fetch(...)` calls the tool makes directly, `fallback` needs declared
 * secondary origins, `memoise` needs a pure tool whose default export it can wrap, and none
 * applies twice.
 */
export function transformAvailability(artifact: CheckedRewriteRequest['artifact'], facts: SourceFacts, settings: Settings): Map<TransformName, TransformAvailability> {
  const result = new Map<TransformName, TransformAvailability>();
  const enabled = new Set(settings.transforms);
  const taken = (names: readonly string[]): string | undefined => names.find((name) => facts.names.has(name));
  const fetchProblem =
    facts.fetchBlockers.length > 0 ? facts.fetchBlockers.join('; ') : facts.fetchCalls.length === 0 ? 'the source makes no fetch(...) call' : undefined;
  const fetchTransform = (names: readonly string[]): TransformAvailability => {
    if (fetchProblem !== undefined) return { available: false, why: fetchProblem };
    const clash = taken(names);
    return clash === undefined ? { available: true } : { available: false, why: `the source already declares "${clash}" (applied before?)` };
  };
  for (const name of TRANSFORM_NAMES) {
    if (!enabled.has(name)) {
      result.set(name, { available: false, why: 'not enabled in the rewriter options' });
      continue;
    }
    switch (name) {
      case 'timeout':
        result.set(name, fetchTransform([...FETCH_HELPER_NAMES.timeout, ...FETCH_HELPER_NAMES.shared]));
        break;
      case 'retry':
        result.set(name, fetchTransform([...FETCH_HELPER_NAMES.retry, ...FETCH_HELPER_NAMES.shared]));
        break;
      case 'fallback':
        result.set(
          name,
          fetchProblem === undefined && Object.keys(fallbackOrigins(artifact.spec.capabilities)).length === 0
            ? { available: false, why: 'the fetch capability declares no `fallbacks` (secondary origins)' }
            : fetchTransform([...FETCH_HELPER_NAMES.fallback]),
        );
        break;
      case 'memoise': {
        if (artifact.spec.capabilities.length > 0 || facts.fetchCalls.length > 0) result.set(name, { available: false, why: 'the tool uses capabilities, so its calls are not pure' });
        else if (facts.impureUses.length > 0) result.set(name, { available: false, why: `the tool is not pure (${facts.impureUses.slice(0, 3).join(', ')})` });
        else {
          const memoised = memoiseDefaultExport(facts, artifact.name, settings.memoise);
          result.set(name, 'refused' in memoised ? { available: false, why: memoised.refused } : { available: true });
        }
        break;
      }
    }
  }
  return result;
}

/** What each transform does to the source, in one sentence (the first half of a candidate's reason). */
export function describeTransform(name: TransformName, settings: Settings, fallbacks: Readonly<Record<string, string>>): string {
  switch (name) {
    case 'timeout':
      return `Timeout: each fetch is abandoned after ${settings.timeout.callTimeoutMs} ms (fetchWithTimeout), so one slow answer no longer uses up the whole run`;
    case 'retry': {
      const { attempts, baseDelayMs, maxDelayMs } = settings.retry;
      return `Retry: transient failures (network errors, timeouts, 429, 5xx) are retried up to ${attempts} attempts in all, with exponential backoff and full jitter (${baseDelayMs} ms doubling, at most ${maxDelayMs} ms) (fetchWithRetry)`;
    }
    case 'fallback': {
      const pairs = Object.entries(fallbacks).map(([primary, secondary]) => `${primary} → ${secondary}`).join(', ');
      return `Fallback: when the primary origin keeps failing, the same path is fetched from the secondary origin the fetch capability declares (${pairs === '' ? 'none declared' : pairs}) (fetchWithFallback)`;
    }
    case 'memoise':
      return `Memoise: the tool is pure (no capabilities, no clock, no randomness), so each input's result is remembered for ${settings.memoise.ttlMs} ms (at most ${settings.memoise.maxEntries} results)`;
  }
}

function plan(request: CheckedRewriteRequest, facts: SourceFacts, settings: Settings): { chosen: Choice[]; skipped: string[] } {
  const { artifact, diagnosis, evidence } = request;
  const available = transformAvailability(artifact, facts, settings);
  const problems = diagnosedProblems(diagnosis);
  const errors = evidence.recentErrors;
  const transient = errors.filter(isTransientError);
  const timeouts = errors.filter(isTimeoutError);
  const fallbacks = fallbackOrigins(artifact.spec.capabilities);
  const chosen: Choice[] = [];
  const skipped: string[] = [];
  const choose = (name: TransformName, why: string): void => {
    chosen.push({ name, reason: `${describeTransform(name, settings, fallbacks)} — ${why}.` });
  };
  // Each transform: is it available, and does the diagnosis call for it?
  const consider = (name: TransformName, called: () => string | { readonly skip: string }): void => {
    const availability = available.get(name);
    if (availability?.available !== true) {
      if (settings.transforms.includes(name)) skipped.push(`${name}: ${availability?.why ?? 'unavailable'}`);
      return;
    }
    const verdict = called();
    if (typeof verdict === 'string') choose(name, verdict);
    else skipped.push(`${name}: ${verdict.skip}`);
  };

  consider('timeout', () => {
    if (timeouts.length > 0) return `${timeouts.length} of the ${errors.length} recent errors are timeouts`;
    if (problems.latency) return 'the diagnosis names latency';
    return { skip: 'no timeouts in the recent errors and the diagnosis does not name latency' };
  });
  const timeoutChosen = chosen.some((choice) => choice.name === 'timeout');
  consider('retry', () => {
    if (transient.length > 0) return `${transient.length} of the ${errors.length} recent errors are transient (${describeErrors(transient)})`;
    if (timeoutChosen) return 'a call that timed out deserves another try';
    return { skip: 'none of the recent errors is transient (timeout, 429, 5xx, network)' };
  });
  consider('fallback', () => {
    if (transient.length > 0 || problems.failures) return transient.length > 0 ? `${transient.length} recent errors are transient` : 'the diagnosis names failures';
    return { skip: 'no transient errors and the diagnosis does not name failures' };
  });
  consider('memoise', () => (problems.latency ? 'the diagnosis names latency' : { skip: 'the diagnosis does not name latency' }));
  return { chosen, skipped };
}

/**
 * Applies the named transforms to the source and returns the new source. Used by the
 * transform rewriter for its own plan, and by the model rewriter for a model's choice.
 */
export function applyTransforms(facts: SourceFacts, chosen: readonly TransformName[], settings: Settings, toolName: string, capabilities: readonly { readonly kind: string }[]): string {
  const names = new Set(chosen);
  const fallbacks = fallbackOrigins(capabilities);
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

/** The secondary origins the fetch capabilities declare, primary → secondary. */
export function fallbackOrigins(capabilities: readonly { readonly kind: string }[]): Readonly<Record<string, string>> {
  const origins: Record<string, string> = {};
  for (const capability of capabilities) {
    if (capability.kind === 'fetch') Object.assign(origins, (capability as FetchCapability).fallbacks ?? {});
  }
  return origins;
}
