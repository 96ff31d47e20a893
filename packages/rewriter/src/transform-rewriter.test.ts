import { RewriterError, ToolwrightError } from '@toolwright/core';
import { type FlakyService, type FlakyServiceSchedule, flakyServicePrice, startFlakyService } from '@toolwright/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { diagnosisWith, toolVersion } from './test-support/fixtures.js';
import { createTransformRewriter } from './transform-rewriter.js';
import { parseSource } from './transforms/parse-source.js';

const FLAKY_JS = `/** Looks up the price of a key at the quote service. */
export default async function getQuote({ key }) {
  const response = await fetch(\`ORIGIN/quote?key=\${encodeURIComponent(key)}\`);
  if (!response.ok) throw new Error(\`quote service answered HTTP \${response.status}\`);
  const body = await response.json();
  return body.price;
}
`;

const FLAKY_TS = `interface QuoteInput {
  key: string;
}

/** Looks up the price of a key at the quote service. */
export default async function getQuote({ key }: QuoteInput): Promise<number> {
  const response = await fetch(\`ORIGIN/quote?key=\${encodeURIComponent(key)}\`);
  if (!response.ok) throw new Error(\`quote service answered HTTP \${response.status}\`);
  const body = (await response.json()) as { price: number };
  return body.price;
}
`;

const RATE_LIMITED = [
  { code: 'THROWN', message: 'quote service answered HTTP 429' },
  { code: 'THROWN', message: 'quote service answered HTTP 429' },
];
const failureRate = diagnosisWith('get_quote', [{ kind: 'failure-rate', message: 'success rate 0.50 is below 0.95', observed: 0.5 }]);

/** Imports a JavaScript module from its text, as the sandbox would load it (here in plain Node, with Node's fetch and timers). */
async function load(source: string): Promise<(input: unknown) => Promise<unknown>> {
  const module = (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as { default: (input: unknown) => Promise<unknown> };
  return module.default;
}

const services: FlakyService[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(services.splice(0).map((service) => service.close()));
});

async function service(schedule: FlakyServiceSchedule): Promise<FlakyService> {
  const started = await startFlakyService({ schedule });
  services.push(started);
  return started;
}

describe('createTransformRewriter: retry', () => {
  it('reroutes fetch through fetchWithRetry when recent errors are 429s, and the result recovers from them', async () => {
    const quotes = await service(({ attempt }) => (attempt <= 2 ? { status: 429 } : { status: 200 }));
    const source = FLAKY_JS.replace('ORIGIN', quotes.origin);
    const artifact = toolVersion({ source, capabilities: [{ kind: 'fetch', origins: [quotes.origin] }] });
    const rewriter = createTransformRewriter({ retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 } });

    const [candidate] = await rewriter.propose({ artifact, diagnosis: failureRate, evidence: { recentErrors: RATE_LIMITED, failingInputs: [], cases: [] } });

    expect(candidate).toBeDefined();
    if (candidate === undefined) return;
    expect(candidate.author).toEqual({ kind: 'transform', id: 'transform-rewriter:retry' });
    expect(candidate.parent).toBe(1);
    expect(candidate.tokens).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(candidate.spec).toEqual(artifact.spec);
    expect(candidate.reason).toMatch(/Retry: .*2 of the 2 recent errors are transient/);
    // Readable: the original code is untouched but for the call, and the helper is named and documented.
    expect(candidate.source).toContain('const response = await fetchWithRetry(`');
    expect(candidate.source.startsWith(source.replace('await fetch(', 'await fetchWithRetry('))).toBe(true);
    expect(candidate.source).toContain('const RETRY_ATTEMPTS = 4;');
    expect(candidate.source).toMatch(/\/\*\*[^]*?\*\/\nasync function fetchWithRetry\(url, init\) \{/);
    expect(candidate.source).not.toContain('fetchWithTimeout');

    const before = await load(source);
    await expect(before({ key: 'ams' })).rejects.toThrow('HTTP 429');
    const after = await load(candidate.source);
    await expect(after({ key: 'lis' })).resolves.toBe(flakyServicePrice('lis'));
    expect(quotes.requests.filter((request) => request.endsWith('key=lis'))).toHaveLength(3);
  });

  it('gives up after the configured attempts and returns the last answer as it is', async () => {
    const quotes = await service(() => ({ status: 503 }));
    const artifact = toolVersion({ source: FLAKY_JS.replace('ORIGIN', quotes.origin), capabilities: [{ kind: 'fetch', origins: [quotes.origin] }] });
    const rewriter = createTransformRewriter({ retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    const [candidate] = await rewriter.propose({
      artifact,
      diagnosis: failureRate,
      evidence: { recentErrors: [{ code: 'THROWN', message: 'quote service answered HTTP 503' }], failingInputs: [], cases: [] },
    });
    const after = await load(candidate?.source ?? '');
    await expect(after({ key: 'osl' })).rejects.toThrow('HTTP 503');
    expect(quotes.requests).toHaveLength(3);
  });
});

describe('createTransformRewriter: timeout', () => {
  it('adds a timeout around fetch (and a retry) when recent errors are timeouts, so a hanging answer is abandoned and tried again', async () => {
    // The deadline is generous next to a loopback answer, even on a loaded machine; the hang is far longer.
    const quotes = await service(({ attempt }) => (attempt === 1 ? { status: 200, delayMs: 60_000 } : { status: 200 }));
    const artifact = toolVersion({ source: FLAKY_JS.replace('ORIGIN', quotes.origin), capabilities: [{ kind: 'fetch', origins: [quotes.origin] }] });
    const rewriter = createTransformRewriter({ timeout: { callTimeoutMs: 1_000 }, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    const [candidate] = await rewriter.propose({
      artifact,
      diagnosis: diagnosisWith('get_quote', [{ kind: 'latency', message: 'mean latency 900 ms is above 500 ms', observed: 900 }]),
      evidence: { recentErrors: [{ code: 'TIMEOUT', message: 'the run exceeded 1000 ms' }], failingInputs: [{ key: 'ams' }], cases: [] },
    });
    expect(candidate?.author.id).toBe('transform-rewriter:timeout+retry');
    expect(candidate?.source).toContain('const FETCH_TIMEOUT_MS = 1000;');
    // Layers call each other by name: the tool → fetchWithRetry → fetchWithTimeout → fetch.
    expect(candidate?.source).toContain('const response = await fetchWithRetry(`');
    expect(candidate?.source).toContain('const response = await fetchWithTimeout(url, init);');
    expect(candidate?.source).toContain('    fetch(url, init).then(');

    const after = await load(candidate?.source ?? '');
    await expect(after({ key: 'ber' })).resolves.toBe(flakyServicePrice('ber'));
    expect(quotes.requests).toEqual(['/quote?key=ber', '/quote?key=ber']);
  });
});

describe('createTransformRewriter: fallback', () => {
  it('falls back to the secondary origin the fetch capability declares when the primary keeps failing', async () => {
    const primary = await service(() => ({ status: 503 }));
    const secondary = await service(() => ({ status: 200 }));
    const artifact = toolVersion({
      source: FLAKY_JS.replace('ORIGIN', primary.origin),
      capabilities: [{ kind: 'fetch', origins: [primary.origin, secondary.origin], fallbacks: { [primary.origin]: secondary.origin } }],
    });
    const rewriter = createTransformRewriter({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const [candidate] = await rewriter.propose({
      artifact,
      diagnosis: failureRate,
      evidence: { recentErrors: [{ code: 'THROWN', message: 'quote service answered HTTP 503' }], failingInputs: [], cases: [] },
    });
    expect(candidate?.author.id).toBe('transform-rewriter:retry+fallback');
    expect(candidate?.reason).toContain(`${primary.origin} → ${secondary.origin}`);
    expect(candidate?.source).toContain(`  ${JSON.stringify(primary.origin)}: ${JSON.stringify(secondary.origin)},`);

    const after = await load(candidate?.source ?? '');
    await expect(after({ key: 'cph' })).resolves.toBe(flakyServicePrice('cph'));
    expect(primary.requests).toHaveLength(2);
    expect(secondary.requests).toEqual(['/quote?key=cph']);
  });

  it('does not choose fallback when the capability declares no secondary origin', async () => {
    const artifact = toolVersion({ source: FLAKY_JS.replace('ORIGIN', 'http://127.0.0.1:9'), capabilities: [{ kind: 'fetch', origins: ['http://127.0.0.1:9'] }] });
    const [candidate] = await createTransformRewriter({ transforms: ['fallback', 'retry'] }).propose({
      artifact,
      diagnosis: failureRate,
      evidence: { recentErrors: RATE_LIMITED, failingInputs: [], cases: [] },
    });
    expect(candidate?.author.id).toBe('transform-rewriter:retry');
  });
});

describe('createTransformRewriter: TypeScript sources', () => {
  it('keeps the types and the original text, adds typed helpers, and the result parses as TypeScript', async () => {
    const source = FLAKY_TS.replace('ORIGIN', 'http://127.0.0.1:9');
    const artifact = toolVersion({ source, language: 'ts', capabilities: [{ kind: 'fetch', origins: ['http://127.0.0.1:9'] }] });
    const [candidate] = await createTransformRewriter().propose({
      artifact,
      diagnosis: failureRate,
      evidence: { recentErrors: [...RATE_LIMITED, { code: 'TIMEOUT', message: 'the run exceeded 1000 ms' }], failingInputs: [], cases: [] },
    });
    const rewritten = candidate?.source ?? '';
    expect(rewritten.startsWith(source.replace('await fetch(', 'await fetchWithRetry('))).toBe(true);
    expect(rewritten).toContain('async function fetchWithRetry(url: string, init?: RequestInit): Promise<Response> {');
    expect(rewritten).toContain('function fetchWithTimeout(url: string, init?: RequestInit): Promise<Response> {');
    expect(() => parseSource(rewritten, 'ts')).not.toThrow();
    expect(candidate?.spec.language).toBe('ts');
  });
});

describe('createTransformRewriter: memoise', () => {
  const PURE = `export default function slowSum({ n }) {
  let total = 0;
  for (let i = 1; i <= n; i += 1) total += i;
  return total;
}
`;

  it('memoises a pure, slow tool and keeps its results', async () => {
    const artifact = toolVersion({ name: 'slow_sum', source: PURE, inputSchema: { type: 'object', properties: { n: { type: 'integer' } } } });
    const [candidate] = await createTransformRewriter({ memoise: { ttlMs: 1_000, maxEntries: 2 } }).propose({
      artifact,
      diagnosis: diagnosisWith('slow_sum', [{ kind: 'latency', message: 'mean latency 2400 ms is above 1000 ms', observed: 2400 }]),
      evidence: { recentErrors: [], failingInputs: [], cases: [] },
    });
    expect(candidate?.author.id).toBe('transform-rewriter:memoise');
    expect(candidate?.source).toContain('function slowSum({ n }) {');
    expect(candidate?.source).toContain('export default function memoisedSlowSum(input) {');
    const original = await load(PURE);
    const memoised = await load(candidate?.source ?? '');
    for (const n of [10, 1_000, 10]) expect(memoised({ n })).toBe(original({ n }));
  });

  it('answers a repeated input from memory until the TTL passes, and keeps at most maxEntries', async () => {
    // A counter makes each real call visible (the purity check does not see module state: see the README's limits).
    const counting = 'let calls = 0;\nexport default (input) => {\n  calls += 1;\n  return calls;\n};\n';
    const artifact = toolVersion({ name: 'count_calls', source: counting, inputSchema: { type: 'object' } });
    const [candidate] = await createTransformRewriter({ memoise: { ttlMs: 1_000, maxEntries: 2 } }).propose({
      artifact,
      diagnosis: diagnosisWith('count_calls', [{ kind: 'latency', message: 'slow', observed: 3000 }]),
      evidence: { recentErrors: [], failingInputs: [], cases: [] },
    });
    expect(candidate?.source).toContain('const computeCountCalls = (input) => {');
    vi.useFakeTimers({ toFake: ['Date'] });
    const memoised = await load(candidate?.source ?? '');
    expect(memoised({ a: 1 })).toBe(1);
    expect(memoised({ a: 1 })).toBe(1);
    expect(memoised({ a: 2 })).toBe(2);
    vi.advanceTimersByTime(1_001);
    expect(memoised({ a: 1 })).toBe(3);
    expect(memoised({ a: 3 })).toBe(4);
    expect(memoised({ a: 2 })).toBe(5); // evicted: at most two entries are kept
  });

  it('does not memoise a tool that reads the clock or randomness', async () => {
    const artifact = toolVersion({ name: 'roll', source: 'export default () => Math.random();\n', inputSchema: { type: 'object' } });
    const error = await createTransformRewriter()
      .propose({ artifact, diagnosis: diagnosisWith('roll', [{ kind: 'latency', message: 'slow', observed: 3000 }]), evidence: { recentErrors: [], failingInputs: [], cases: [] } })
      .catch((caught: unknown) => caught);
    expect(RewriterError.isInstance(error) && error.code).toBe('REWRITER_NO_CANDIDATE');
    expect((error as Error).message).toContain('memoise: the tool is not pure (Math.random at line 1)');
  });
});

describe('createTransformRewriter: refusals', () => {
  async function refusal(source: string, recentErrors: { code: string; message: string }[]): Promise<ToolwrightError> {
    const artifact = toolVersion({ source, capabilities: [{ kind: 'fetch', origins: ['http://127.0.0.1:9'] }] });
    const error = await createTransformRewriter()
      .propose({ artifact, diagnosis: failureRate, evidence: { recentErrors, failingInputs: [], cases: [] } })
      .catch((caught: unknown) => caught);
    expect(RewriterError.isInstance(error)).toBe(true);
    return error as ToolwrightError;
  }

  it('proposes nothing when no recent error is transient, and says why for each transform', async () => {
    const error = await refusal(FLAKY_JS.replace('ORIGIN', 'http://127.0.0.1:9'), [{ code: 'THROWN', message: "Cannot read properties of undefined (reading 'price')" }]);
    expect(error.code).toBe('REWRITER_NO_CANDIDATE');
    expect(error.message).toContain('retry: none of the recent errors is transient');
    expect(error.message).toContain('timeout: no timeouts in the recent errors');
  });

  it('does not rewrite a module that shadows fetch or passes it around as a value', async () => {
    const shadowed = await refusal('const fetch = (url) => url;\nexport default ({ key }) => fetch(key);\n', RATE_LIMITED);
    expect(shadowed.message).toContain('the module declares its own "fetch" at line 1');
    const asValue = await refusal('const get = fetch;\nexport default async ({ key }) => (await get(key)).status;\n', RATE_LIMITED);
    expect(asValue.message).toContain('fetch is used as a value at line 1');
  });

  it('does not apply the same transform twice', async () => {
    const artifact = toolVersion({ source: FLAKY_JS.replace('ORIGIN', 'http://127.0.0.1:9'), capabilities: [{ kind: 'fetch', origins: ['http://127.0.0.1:9'] }] });
    const rewriter = createTransformRewriter();
    const evidence = { recentErrors: RATE_LIMITED, failingInputs: [], cases: [] };
    const [once] = await rewriter.propose({ artifact, diagnosis: failureRate, evidence });
    const again = toolVersion({ source: once?.source ?? '', version: 2, capabilities: [{ kind: 'fetch', origins: ['http://127.0.0.1:9'] }] });
    const error = await rewriter.propose({ artifact: again, diagnosis: failureRate, evidence }).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('retry: the source already declares "fetchWithRetry" (applied before?)');
  });

  it('refuses invalid options and requests at the boundary', async () => {
    expect(() => createTransformRewriter({ retry: { attempts: 1 } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const error = await createTransformRewriter()
      .propose({ artifact: { kind: 'tool' } as never, diagnosis: failureRate, evidence: { recentErrors: [], failingInputs: [], cases: [] } })
      .catch((caught: unknown) => caught);
    expect(ToolwrightError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
  });
});
