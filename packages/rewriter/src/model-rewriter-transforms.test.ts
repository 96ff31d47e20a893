import { ModelError, type Sandbox, type ToolwrightError } from '@toolwright/core';
import { ScriptedModel } from '@toolwright/core/testing';
import { createSandbox } from '@toolwright/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRewriter } from './model-rewriter.js';
import { diagnosisWith, toolVersion } from './test-support/fixtures.js';
import { parseSource } from './transforms/parse-source.js';

// A model may answer a rewrite request by naming deterministic transforms instead of writing
// source; the rewriter writes them into the current source and checks the result like any answer.

const ORIGIN = 'http://127.0.0.1:9';
const BACKUP = 'http://127.0.0.1:10';
const FETCHING = `/** Looks up the price of a key at the quote service. */
export default async function getQuote({ key }) {
  const response = await fetch(\`${ORIGIN}/quote?key=\${encodeURIComponent(key)}\`);
  if (!response.ok) throw new Error(\`quote service answered HTTP \${response.status}\`);
  return (await response.json()).price;
}
`;
const fetching = toolVersion({ source: FETCHING, capabilities: [{ kind: 'fetch', origins: [ORIGIN] }] });
const withFallback = toolVersion({
  source: FETCHING,
  capabilities: [{ kind: 'fetch', origins: [ORIGIN, BACKUP], fallbacks: { [ORIGIN]: BACKUP } }],
});
const rateLimited = diagnosisWith('get_quote', [{ kind: 'failure-rate', message: 'success rate 0.50 is below 0.95', observed: 0.5 }]);
const evidence = {
  recentErrors: [
    { code: 'THROWN', message: 'quote service answered HTTP 429' },
    { code: 'TIMEOUT', message: 'the tool ran past 1000 ms' },
  ],
  failingInputs: [{ key: 'ams' }],
  cases: [],
};
const transformAnswer = (transforms: string[], reason = 'The service rate-limits and stalls: retry with backoff, and give up on slow answers.') => ({
  object: { transforms, reason },
  usage: { inputTokens: 0, outputTokens: 0 },
});

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ capabilities: { fetch: { allow: [ORIGIN, BACKUP] } } });
});
afterAll(async () => {
  await sandbox.dispose();
});

describe('createModelRewriter: transform answers', () => {
  it('offers the transforms that apply, as data and in the prompt, and writes a named choice into the source', async () => {
    const model = new ScriptedModel({ modelId: 'offline-test', script: [transformAnswer(['retry', 'timeout'])] });
    const [candidate] = await createModelRewriter({ model, sandbox, transforms: { timeout: { callTimeoutMs: 150 } } }).propose({
      artifact: fetching,
      diagnosis: rateLimited,
      evidence,
    });

    const request = model.calls[0]?.request;
    expect(request?.repair?.tool).toEqual({ name: 'get_quote', version: 1, language: 'js', capabilities: fetching.spec?.capabilities });
    expect(request?.repair?.diagnosis).toEqual(rateLimited);
    expect(request?.repair?.recentErrors).toEqual(evidence.recentErrors);
    // No fallback origin is declared, and the tool fetches, so it is not pure: two transforms apply.
    expect(request?.repair?.transforms.map((transform) => transform.name)).toEqual(['timeout', 'retry']);
    expect(request?.repair?.transforms[0]?.description).toContain('150 ms');
    const prompt = request?.messages.map((message) => message.content).join('\n') ?? '';
    expect(prompt).toContain('## Deterministic transforms that apply to this source');
    expect(prompt).toContain('- retry: Retry: transient failures');
    expect(JSON.stringify(request?.responseSchema?.schema)).toContain('"enum":["timeout","retry"]');
    // One object at the root, as OpenAI's structured outputs require (a root anyOf is refused).
    expect(request?.responseSchema?.schema).toMatchObject({ type: 'object', required: ['reason'] });
    expect(request?.responseSchema?.schema).not.toHaveProperty('anyOf');

    expect(candidate?.author).toEqual({ kind: 'model', id: 'offline-test' });
    expect(candidate?.tokens).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(candidate?.source).toContain('fetchWithRetry');
    expect(candidate?.source).toContain('fetchWithTimeout');
    expect(candidate?.source).toContain('const FETCH_TIMEOUT_MS = 150;');
    expect(candidate?.source).toContain('if (!response.ok) throw new Error'); // the original code stays
    expect(() => parseSource(candidate?.source ?? '', 'js')).not.toThrow();
    expect(candidate?.reason).toMatch(/^The service rate-limits and stalls: retry with backoff, and give up on slow answers\. Timeout: .* Retry: /);
    expect(candidate?.spec).toEqual(fetching.spec);
  });

  it('applies only what was named: fallback alone reroutes through the declared secondary origin', async () => {
    const model = new ScriptedModel({ script: [transformAnswer(['fallback'], 'The primary keeps failing; the backup serves the same API.')] });
    const [candidate] = await createModelRewriter({ model, sandbox }).propose({ artifact: withFallback, diagnosis: rateLimited, evidence });
    expect(model.calls[0]?.request.repair?.transforms.map((transform) => transform.name)).toEqual(['timeout', 'retry', 'fallback']);
    expect(candidate?.source).toContain('fetchWithFallback');
    expect(candidate?.source).not.toContain('fetchWithRetry');
    expect(candidate?.reason).toContain(`${ORIGIN} → ${BACKUP}`);
  });

  it('refuses a transform that was not offered, says which are, and takes the next answer', async () => {
    const model = new ScriptedModel({ script: [transformAnswer(['memoise']), transformAnswer(['retry'])] });
    const [candidate] = await createModelRewriter({ model, sandbox }).propose({ artifact: fetching, diagnosis: rateLimited, evidence });
    expect(candidate?.source).toContain('fetchWithRetry');
    const feedback = model.calls[1]?.request.messages.at(-1)?.content ?? '';
    expect(feedback).toMatch(/^That answer was refused: the answer is malformed/);
    expect(feedback).toContain('transforms[0]');
    expect(feedback).toMatch(/"timeout"\|"retry"|timeout.*retry/);
  });

  it('refuses an answer with both a source and transforms, or a source without its name, and says which', async () => {
    const both = { object: { name: 'get_quote', inputSchema: fetching.spec?.inputSchema ?? {}, source: 'export default () => 1;', transforms: ['retry'], reason: 'both' } };
    const nameless = { object: { source: 'export default () => 1;', reason: 'no name' } };
    const model = new ScriptedModel({ script: [both, nameless, transformAnswer(['retry'])] });
    const [candidate] = await createModelRewriter({ model, sandbox }).propose({ artifact: fetching, diagnosis: rateLimited, evidence });
    expect(candidate?.source).toContain('fetchWithRetry');
    expect(model.calls[1]?.request.messages.at(-1)?.content).toContain('either "source" (with "name" and "inputSchema") or "transforms", not both');
    const second = model.calls[2]?.request.messages.at(-1)?.content ?? '';
    expect(second).toContain('"name" is required with "source"');
    expect(second).toContain('"inputSchema" is required with "source"');
  });

  it('offers memoise for a pure tool, and nothing when transforms are turned off', async () => {
    const pure = toolVersion({
      name: 'total_fares',
      source: 'export default ({ fares }) => fares.reduce((total, fare) => total + fare, 0);\n',
      inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] },
    });
    const slow = diagnosisWith('total_fares', [{ kind: 'latency', message: 'p95 900 ms is over 250 ms', observed: 900 }]);
    const model = new ScriptedModel({ script: [transformAnswer(['memoise'], 'Pure and slow: remember results.')] });
    const [candidate] = await createModelRewriter({ model, sandbox }).propose({ artifact: pure, diagnosis: slow, evidence: { recentErrors: [], failingInputs: [], cases: [] } });
    expect(model.calls[0]?.request.repair?.transforms.map((transform) => transform.name)).toEqual(['memoise']);
    expect(candidate?.source).toContain('MEMO_TTL_MS');

    const sourceOnly = new ScriptedModel({ script: [{ object: { name: 'total_fares', inputSchema: pure.spec?.inputSchema ?? {}, source: 'export default ({ fares }) => fares.reduce((a, b) => a + b, 0);', reason: 'simpler' } }] });
    await createModelRewriter({ model: sourceOnly, sandbox, transforms: false }).propose({ artifact: pure, diagnosis: slow, evidence: { recentErrors: [], failingInputs: [], cases: [] } });
    const request = sourceOnly.calls[0]?.request;
    expect(request?.repair?.transforms).toEqual([]);
    expect(request?.responseSchema?.schema).toMatchObject({ type: 'object', required: ['name', 'inputSchema', 'source', 'reason'] });
    expect(request?.responseSchema?.schema).not.toHaveProperty('anyOf');
    expect(request?.messages.map((message) => message.content).join('\n')).not.toContain('Deterministic transforms');
  });

  it('offers no transform for a source that does not parse', async () => {
    const broken = toolVersion({ source: 'export default ({ key } => key;' });
    const model = new ScriptedModel({ script: [{ object: { name: 'get_quote', inputSchema: broken.spec?.inputSchema ?? {}, source: 'export default ({ key }) => key;', reason: 'fixed the syntax' } }] });
    const [candidate] = await createModelRewriter({ model }).propose({ artifact: broken, diagnosis: rateLimited, evidence });
    expect(model.calls[0]?.request.repair?.transforms).toEqual([]);
    expect(candidate?.source).toBe('export default ({ key }) => key;');
  });

  it('turns a model that cannot serve the request into "no candidate" at once, with the model\'s reason', async () => {
    const model = new ScriptedModel({
      script: [{ error: new ModelError('MODEL_UNSUPPORTED_REQUEST', 'no transform fits a wrong output; a wrong output needs a new program') }],
    });
    const error = (await createModelRewriter({ model, sandbox, maxAttempts: 3 })
      .propose({ artifact: fetching, diagnosis: rateLimited, evidence })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      )) as ToolwrightError;
    expect(error.code).toBe('REWRITER_NO_CANDIDATE');
    expect(error.message).toContain('no transform fits a wrong output');
    expect(ModelError.isInstance(error.cause)).toBe(true);
    expect(model.calls).toHaveLength(1);
  });
});
