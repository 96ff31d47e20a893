import { ModelError, type RegressionCase, RewriterError, type Sandbox, ToolwrightError } from '@toolwright/core';
import { ScriptedModel } from '@toolwright/core/testing';
import { createSandbox } from '@toolwright/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRewriter } from './model-rewriter.js';
import { diagnosisWith, toolVersion } from './test-support/fixtures.js';

const V1 = 'export default ({ fares }) => fares.reduce((total, fare) => total + fare);';
const FIXED = 'export default ({ fares }) => fares.reduce((total, fare) => total + fare, 0);';
const INPUT_SCHEMA = { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] };
const artifact = toolVersion({ name: 'total_fares', source: V1, inputSchema: INPUT_SCHEMA, examples: [{ input: { fares: [1, 2] }, output: 3 }] });
const diagnosis = diagnosisWith('total_fares', [{ kind: 'failure-rate', message: 'success rate 0.70 is below 0.95', observed: 0.7 }]);
const visibleCase: RegressionCase = { id: 'case_visible', tool: 'total_fares', input: { fares: [4, 5] }, expect: { output: 9 }, origin: 'captured', heldOut: false };
const heldOutCase: RegressionCase = { id: 'case_hidden', tool: 'total_fares', input: { fares: [777, 888] }, expect: { output: 1665 }, origin: 'captured', heldOut: true };
const evidence = {
  recentErrors: [{ code: 'THROWN', message: 'TypeError: Reduce of empty array with no initial value' }],
  failingInputs: [{ fares: [] }, { fares: [777, 888] }],
  cases: [visibleCase, heldOutCase],
};
const answer = (fields: Record<string, unknown> = {}) => ({
  object: { name: 'total_fares', inputSchema: INPUT_SCHEMA, source: FIXED, reason: 'Reduce now starts at 0, so an empty list totals 0.', ...fields },
  usage: { inputTokens: 400, outputTokens: 60 },
});

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox();
});
afterAll(async () => {
  await sandbox.dispose();
});

async function refusal(promise: Promise<unknown>): Promise<ToolwrightError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(RewriterError.isInstance(error)).toBe(true);
  return error as ToolwrightError;
}

describe('createModelRewriter', () => {
  it('asks with the source, spec, diagnosis and evidence — never a held-out case — and returns the checked candidate', async () => {
    const model = new ScriptedModel({ modelId: 'test-model', script: [answer()] });
    const [candidate] = await createModelRewriter({ model, sandbox }).propose({ artifact, diagnosis, evidence });

    expect(candidate).toEqual({
      name: 'total_fares',
      parent: 1,
      source: FIXED,
      spec: artifact.spec,
      author: { kind: 'model', id: 'test-model' },
      reason: 'Reduce now starts at 0, so an empty list totals 0.',
      diagnosis,
      tokens: { inputTokens: 400, outputTokens: 60 },
    });
    const request = model.calls[0]?.request;
    expect(request?.responseSchema?.name).toBe('tool_rewrite');
    const prompt = request?.messages.map((message) => message.content).join('\n') ?? '';
    expect(prompt).toContain(V1);
    expect(prompt).toContain(JSON.stringify(INPUT_SCHEMA));
    expect(prompt).toContain('- failure-rate: success rate 0.70 is below 0.95');
    expect(prompt).toContain('- THROWN: TypeError: Reduce of empty array with no initial value');
    expect(prompt).toContain('- {"fares":[]}');
    expect(prompt).toContain('- {"fares":[4,5]} → output 9');
    expect(prompt).toContain('- {"fares":[1,2]} → 3');
    expect(prompt).not.toContain('777');
  });

  it('refuses malformed answers, says why in the next request, and reports the tokens of every attempt', async () => {
    const model = new ScriptedModel({
      script: [{ text: 'Sure! Here is the fix: fares.reduce(..., 0)', usage: { inputTokens: 300, outputTokens: 20 } }, answer({ source: undefined }), answer()],
    });
    const [candidate] = await createModelRewriter({ model, sandbox, maxAttempts: 3 }).propose({ artifact, diagnosis, evidence });
    expect(candidate?.source).toBe(FIXED);
    expect(candidate?.tokens).toEqual({ inputTokens: 1100, outputTokens: 140 });
    const second = model.calls[1]?.request.messages ?? [];
    expect(second.at(-2)).toEqual({ role: 'assistant', content: 'Sure! Here is the fix: fares.reduce(..., 0)' });
    expect(second.at(-1)?.content).toMatch(/^That answer was refused: the answer is malformed: Model "scripted" was asked for "tool_rewrite" as JSON but answered text that is not JSON/);
    expect(model.calls[2]?.request.messages.at(-1)?.content).toMatch(/That answer was refused: the answer is malformed: .*source/s);
  });

  it('refuses an answer that changes the name or the input schema, and gives up after maxAttempts with every reason', async () => {
    const model = new ScriptedModel({
      script: [answer({ name: 'sum_fares' }), answer({ inputSchema: { type: 'object', properties: { fares: { type: 'array' }, currency: { type: 'string' } } } })],
    });
    const error = await refusal(createModelRewriter({ model, sandbox, maxAttempts: 2 }).propose({ artifact, diagnosis, evidence }));
    expect(error.code).toBe('REWRITER_NO_CANDIDATE');
    const attempts = error.details?.['attempts'] as { attempt: number; code: string; reason: string }[];
    expect(attempts.map((attempt) => attempt.code)).toEqual(['NAME_CHANGED', 'INPUT_SCHEMA_CHANGED']);
    expect(attempts[0]?.reason).toBe('the tool\'s name must stay "total_fares", but the answer names "sum_fares".');
    expect(attempts[1]?.reason).toContain('"currency"');
    expect(error.details?.['tokens']).toEqual({ inputTokens: 800, outputTokens: 120 });
    expect(model.calls[1]?.request.messages.at(-1)?.content).toContain('That answer was refused: the tool\'s name must stay "total_fares"');
  });

  it('refuses a source the sandbox static gate (or loading) rejects, with the SandboxError code', async () => {
    const model = new ScriptedModel({
      script: [
        answer({ source: "export default ({ fares }) => eval('fares.length');" }),
        answer({ source: 'export const total = ({ fares }) => fares.length;' }),
        answer({ source: V1 }),
        answer({ source: "const LIMITS = JSON.parse('{');\nexport default ({ fares }) => fares.length <= LIMITS.max;" }),
      ],
    });
    const error = await refusal(createModelRewriter({ model, sandbox, maxAttempts: 4 }).propose({ artifact, diagnosis, evidence }));
    const attempts = error.details?.['attempts'] as { code: string; reason: string }[];
    expect(attempts.map((attempt) => attempt.code)).toEqual(['SANDBOX_STATIC_GATE', 'SANDBOX_NO_DEFAULT_EXPORT', 'SOURCE_UNCHANGED', 'SANDBOX_LOAD_FAILED']);
    expect(attempts[0]?.reason).toMatch(/^the sandbox refuses the source \(SANDBOX_STATIC_GATE\): .*eval/);
    expect(error.message).toContain('#1 SANDBOX_STATIC_GATE, #2 SANDBOX_NO_DEFAULT_EXPORT, #3 SOURCE_UNCHANGED, #4 SANDBOX_LOAD_FAILED');
  });

  it('passes on a model failure that is not a bad answer, and honours its signal', async () => {
    const failing = new ScriptedModel({ script: [{ error: new ModelError('MODEL_REQUEST_FAILED', 'connection refused') }] });
    const error = await createModelRewriter({ model: failing }).propose({ artifact, diagnosis, evidence }).catch((caught: unknown) => caught);
    expect(ModelError.isInstance(error) && error.code).toBe('MODEL_REQUEST_FAILED');

    const controller = new AbortController();
    controller.abort();
    const aborted = await createModelRewriter({ model: new ScriptedModel({ script: [answer()] }) })
      .propose({ artifact, diagnosis, evidence, signal: controller.signal })
      .catch((caught: unknown) => caught);
    expect((aborted as Error).name).toBe('AbortError');
  });

  it('refuses invalid options and a prompt-section artifact at the boundary', async () => {
    expect(() => createModelRewriter({ model: {} as never })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => createModelRewriter({ model: new ScriptedModel({ script: [] }), maxAttempts: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const section = { ...artifact, kind: 'prompt-section' as const, name: 'rules.base', spec: undefined };
    const error = await createModelRewriter({ model: new ScriptedModel({ script: [answer()] }) })
      .propose({ artifact: section, diagnosis, evidence })
      .catch((caught: unknown) => caught);
    expect(ToolwrightError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
  });
});
