import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentError, WRONG_OUTPUT_CODE, type AgentEvent, type ToolSpecInput } from '@toolwright/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createToolwright, type Toolwright } from './create-toolwright.js';

// Issue 21: a person reports a wrong answer by the call's id; it becomes a regression case and a
// WRONG_OUTPUT signal, and counts toward a rollback when the previous version gives the answer.
// Real SQLite, sandbox, gate, regression runner.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-feedback-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let databases = 0;
const open: Toolwright[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((toolwright) => toolwright.close()));
});

const { source: SUM, ...MANIFEST }: ToolSpecInput = {
  name: 'total_fares',
  description: 'Sums a list of fares, rounded to cents.',
  inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] },
  source: 'export default ({ fares }: { fares: number[] }): number => Math.round(fares.reduce((sum, fare) => sum + fare, 0) * 100) / 100;',
  examples: [
    { input: { fares: [1, 2] }, output: 3 },
    { input: { fares: [229.92, 360.67] }, output: 590.59 },
  ],
};
/** Right on the examples only; counts the fares otherwise. */
const CHEAT = 'export default ({ fares }: { fares: number[] }): number => fares.length === 2 && fares[0] === 1 ? 3 : fares.length === 2 && fares[0] === 229.92 ? 590.59 : fares.length;';

async function start(options: Parameters<typeof createToolwright>[0] = {}) {
  const events: AgentEvent[] = [];
  const tw = await createToolwright({ database: `sqlite:${join(directory, `db-${++databases}.sqlite`)}`, improve: false, reflect: false, onEvent: (event) => events.push(event), ...options });
  open.push(tw);
  const created = await tw.gate.propose({ kind: 'create-tool', origin: 'agent', name: 'total_fares', spec: MANIFEST as never, source: SUM }, { reason: 'the test' });
  expect(created.status, created.summary).toBe('applied');
  return { tw, events };
}

describe('agent.feedback', () => {
  it('turns a wrong answer of a recent call into a case (replacing its capture) and a WRONG_OUTPUT signal', async () => {
    const { tw, events } = await start({ shadow: false });
    const spec = (await tw.registry.active('total_fares'))?.spec as never;
    expect((await tw.gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'total_fares', fromVersion: 1, spec, source: CHEAT }, { reason: 'a cheat' })).status).toBe('applied');
    const call = await tw.call('total_fares', { fares: [10, 20, 30] });
    expect(call).toMatchObject({ version: 2, output: 3 });
    expect(events).toContainEqual(expect.objectContaining({ type: 'tool-called', callId: call.callId }));
    await tw.idle();
    expect((await tw.regression.cases('total_fares', { includeHeldOut: true })).find((entry) => entry.origin === 'captured')?.expect.output).toBe(3);

    const result = await tw.feedback(call.callId, { correct: false, expected: 60, by: 'ada' });
    expect(result).toMatchObject({ tool: 'total_fares', version: 2, correct: false, wrongOutputRecorded: true, resolvedFrom: 'recent-call', case: { origin: 'explicit', expect: { output: 60 } } });
    const cases = await tw.regression.cases('total_fares', { includeHeldOut: true });
    expect(cases.filter((entry) => JSON.stringify(entry.input) === '{"fares":[10,20,30]}').map((entry) => [entry.origin, entry.expect.output])).toEqual([['explicit', 60]]);
    await tw.memory.flush();
    expect((await tw.memory.summary('total_fares', { version: 2, lastN: 10 })).errors).toEqual([{ code: WRONG_OUTPUT_CODE, count: 1 }]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'feedback', callId: call.callId, correct: false, caseId: result.case?.id }));
  });

  it('rolls back through the gate once feedback shows the previous version right, rollbackAfter times', async () => {
    const { tw, events } = await start({ shadow: { rate: 0, initialRate: 0, rollbackAfter: 2 } });
    const spec = (await tw.registry.active('total_fares'))?.spec as never;
    expect((await tw.gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'total_fares', fromVersion: 1, spec, source: CHEAT }, { reason: 'a cheat' })).status).toBe('applied');
    const calls = [];
    for (const fares of [[5, 5, 5], [1, 1, 1, 1], [2, 2, 2]]) calls.push(await tw.call('total_fares', { fares }));
    // An expected answer the previous version does not give either: a rollback would not help.
    await tw.feedback(calls[0]?.callId ?? '', { correct: false, expected: 16 });
    await tw.feedback(calls[1]?.callId ?? '', { correct: false, expected: 4 });
    expect((await tw.registry.active('total_fares'))?.version).toBe(2);
    await tw.feedback(calls[2]?.callId ?? '', { correct: false, expected: 6 });
    expect((await tw.registry.active('total_fares'))?.version).toBe(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'shadow-rollback', fromVersion: 2, toVersion: 1, status: 'applied' }));
    const audit = (await tw.memory.auditLog({ artifact: 'total_fares' })).find((entry) => entry.action === 'rollback.applied');
    expect(audit?.reason).toContain('2 call(s) of v2 judged wrong against v1');
  });

  it('regression: the same call fed back N times recorded N WRONG_OUTPUT and counted N toward the rollback', async () => {
    const { tw } = await start({ shadow: { rate: 0, initialRate: 0, rollbackAfter: 2 } });
    const spec = (await tw.registry.active('total_fares'))?.spec as never;
    expect((await tw.gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'total_fares', fromVersion: 1, spec, source: CHEAT }, { reason: 'a cheat' })).status).toBe('applied');
    const call = await tw.call('total_fares', { fares: [2, 2, 2] });
    const first = await tw.feedback(call.callId, { correct: false, expected: 6 });
    const again = await tw.feedback(call.callId, { correct: false, expected: 6 });
    const third = await tw.feedback(call.callId, { correct: false, expected: 6 });
    expect([first.wrongOutputRecorded, again.wrongOutputRecorded, third.wrongOutputRecorded]).toEqual([true, false, false]);
    expect([first.signal, again.signal, third.signal]).toEqual(['recorded', 'already-recorded', 'already-recorded']);
    expect(again.case?.expect.output).toBe(6);
    await tw.memory.flush();
    expect((await tw.memory.summary('total_fares', { version: 2, lastN: 10 })).errors).toEqual([{ code: WRONG_OUTPUT_CODE, count: 1 }]);
    // One call judged wrong is one toward rollbackAfter (2): nothing is rolled back.
    expect((await tw.registry.active('total_fares'))?.version).toBe(2);
  });

  it('regression: the same call fed back from a second agent on the same database recorded a second WRONG_OUTPUT', async () => {
    const database = `sqlite:${join(directory, `db-${++databases}.sqlite`)}`;
    const { tw } = await start({ database, shadow: false });
    const call = await tw.call('total_fares', { fares: [2, 2, 2] });
    await tw.idle();
    const first = await tw.feedback(call.callId, { correct: false, expected: 7 });
    expect(first).toMatchObject({ signal: 'recorded', wrongOutputRecorded: true });
    await tw.close();

    // Another process: a fresh toolwright on the same file, which never saw the call.
    const second = await createToolwright({ database, improve: false, reflect: false, shadow: false });
    open.push(second);
    const again = await second.feedback(call.callId, { correct: false, expected: 6 });
    expect(again).toMatchObject({ signal: 'already-recorded', wrongOutputRecorded: false, resolvedFrom: 'stored-case', case: { origin: 'explicit', expect: { output: 6 } } });
    // A right answer on a call records no signal.
    expect((await second.feedback(call.callId, { correct: true })).signal).toBe('none');
    await second.memory.flush();
    expect((await second.memory.summary('total_fares', { version: 1, lastN: 10 })).errors).toEqual([{ code: WRONG_OUTPUT_CODE, count: 1 }]);
  });

  it('resolves a call from its id and the input given when this agent does not remember it, and refuses a mismatch or an unknown id', async () => {
    const { tw } = await start({ shadow: false, recentCalls: 0 });
    const call = await tw.call('total_fares', { fares: [7, 8] });
    // A different input with the same id: refused, the hashes differ.
    const mismatch = await tw.feedback(call.callId, { correct: false, expected: 1, input: { fares: [1] } }).catch((error: unknown) => error);
    expect(AgentError.isInstance(mismatch) && mismatch.code).toBe('AGENT_CALL_UNKNOWN');
    const result = await tw.feedback(call.callId, { correct: false, expected: 15.5, input: { fares: [7, 8] } });
    expect(result.resolvedFrom).toBe('given-input');
    const unknown = await tw.feedback('total_fares.v9.' + '0'.repeat(64) + '.00000000', { correct: false, expected: 1 }).catch((error: unknown) => error);
    expect(AgentError.isInstance(unknown) && unknown.code).toBe('AGENT_CALL_UNKNOWN');
    await expect(tw.feedback(call.callId, { correct: 'no' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
