import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WRONG_OUTPUT_CODE } from '@toolwright/core';
import { createToolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { cli } from './test-support/run-in-process.js';

// `toolwright feedback` on a real SQLite database, after the process that served the call
// has closed: the call is resolved from its id and the case its capture stored.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-cli-feedback-'));
const db = `sqlite:${join(directory, 'feedback.sqlite')}`;
const run = (...argv: string[]) => cli([...argv, '--db', db], { cwd: directory });
let callId = '';

beforeAll(async () => {
  const tw = await createToolwright({ database: db, improve: false, reflect: false, shadow: false });
  try {
    const outcome = await tw.gate.propose(
      {
        kind: 'create-tool',
        origin: 'agent',
        name: 'mean_price',
        spec: {
          name: 'mean_price',
          description: 'The mean of prices, truncated to cents (wrong: it should round).',
          inputSchema: { type: 'object', properties: { prices: { type: 'array', items: { type: 'number' } } }, required: ['prices'] },
          capabilities: [],
          examples: [{ input: { prices: [1, 2] }, output: 1.5 }],
          language: 'ts',
        } as never,
        source: 'export default ({ prices }: { prices: number[] }): number => Math.floor((prices.reduce((a, b) => a + b, 0) / prices.length) * 100) / 100;',
      },
      { reason: 'the test' },
    );
    expect(outcome.status, outcome.summary).toBe('applied');
    const call = await tw.call('mean_price', { prices: [1, 2, 2] });
    expect(call.output).toBe(1.66);
    callId = call.callId;
    // Enough calls for the evaluator to judge the version (its minInvocations is 3).
    await tw.call('mean_price', { prices: [4, 6] });
    await tw.call('mean_price', { prices: [10] });
  } finally {
    await tw.close();
  }
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('toolwright feedback', () => {
  it('turns a wrong answer into a case and a WRONG_OUTPUT signal, after the serving process exited', async () => {
    const result = await run('feedback', callId, '--expected', '1.67', '--by', 'ada');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout.split('\n')[0]).toBe('mean_price v1: marked wrong');
    expect(result.stdout).toContain('signal:  WRONG_OUTPUT recorded');

    const tw = await createToolwright({ database: db, improve: false, reflect: false });
    try {
      const cases = await tw.regression.cases('mean_price', { includeHeldOut: true });
      // The person's answer replaced the captured (wrong) golden output for that input.
      expect(cases.filter((entry) => JSON.stringify(entry.input) === '{"prices":[1,2,2]}')).toEqual([expect.objectContaining({ origin: 'explicit', expect: expect.objectContaining({ output: 1.67 }) })]);
      const summary = await tw.memory.summary('mean_price', { version: 1, lastN: 10 });
      expect(summary).toMatchObject({ count: 4, errors: [{ code: WRONG_OUTPUT_CODE, count: 1 }] });
      expect(summary.recentErrors[0]?.message).toContain('a person (ada) marked call');
      expect(tw.evaluator.evaluate(summary).reasons.map((reason) => reason.kind)).toContain('wrong-output');
    } finally {
      await tw.close();
    }
  });

  it('records no second WRONG_OUTPUT when the same call id is fed back again by another run, and says so', async () => {
    const again = await run('feedback', callId, '--expected', '1.67', '--by', 'grace');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(EXIT_CODES.ok);
    expect(again.stdout).toContain('signal:  already recorded');
    const json = await run('feedback', callId, '--expected', '1.67', '--json');
    expect(json.json()).toMatchObject({ signal: 'already-recorded', wrongOutputRecorded: false, case: { expect: { output: 1.67 } } });

    const tw = await createToolwright({ database: db, improve: false, reflect: false });
    try {
      expect(await tw.memory.summary('mean_price', { version: 1, lastN: 10 })).toMatchObject({ count: 4, errors: [{ code: WRONG_OUTPUT_CODE, count: 1 }] });
    } finally {
      await tw.close();
    }
  });

  it('prints the result as JSON with --json, and keeps a right answer with --correct', async () => {
    const result = await run('feedback', callId, '--correct', '--json');
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.json()).toMatchObject({ tool: 'mean_price', version: 1, correct: true, wrongOutputRecorded: false, signal: 'none', resolvedFrom: 'stored-case' });
  });

  it('exits 3 for a call it cannot resolve, and 2 for wrong arguments', async () => {
    const unknown = await run('feedback', 'nope', '--expected', '1');
    expect(unknown.code).toBe(EXIT_CODES.notFound);
    expect(unknown.stderr).toContain('is not a tool call id');
    const unstored = await run('feedback', callId.replace(/\.[0-9a-f]{64}\./, `.${'0'.repeat(64)}.`), '--expected', '1');
    expect(unstored.code).toBe(EXIT_CODES.notFound);
    expect(unstored.stderr).toContain('--input');
    expect((await run('feedback', callId)).code).toBe(EXIT_CODES.usage);
    const badJson = await run('feedback', callId, '--expected', '{oops');
    expect(badJson.code).toBe(EXIT_CODES.usage);
    expect(badJson.stderr.split('\n')[0]).toContain('--expected {oops: not valid JSON');
  });
});
