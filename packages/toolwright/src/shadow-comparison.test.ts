import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, WRONG_OUTPUT_CODE, type Agent, type AgentEvent, type CreateAgentOptions, type JsonValue, type ToolSpecInput } from '@toolwright/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createToolwright, type Toolwright } from './create-toolwright.js';

// Issue 21: a promoted version that hard-codes every stored case (held-out ones included) and
// answers fresh inputs wrong is noticed on live traffic — its sampled calls also run on the
// version it replaced, in the real sandbox, off the user's path — recorded as WRONG_OUTPUT,
// diagnosed by the evaluator and rolled back through the gate. Real SQLite, sandbox, gate.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-shadow-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let databases = 0;
const open: Toolwright[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((toolwright) => toolwright.close()));
});

const SUM = 'export default function totalFares({ fares }: { fares: number[] }): number {\n  return Math.round(fares.reduce((sum, fare) => sum + fare, 0) * 100) / 100;\n}';
const SPEC: ToolSpecInput = {
  name: 'total_fares',
  description: 'Sums a list of fares, rounded to cents.',
  inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] },
  source: SUM,
  examples: [
    { input: { fares: [1, 2] }, output: 3 },
    { input: { fares: [229.92, 360.67] }, output: 590.59 },
  ],
};

/** A source that answers every stored case from a table and everything else wrong. */
function hardCoded(cases: readonly { input: JsonValue; output: JsonValue }[]): string {
  const table = Object.fromEntries(cases.map((entry) => [JSON.stringify(entry.input), entry.output]));
  return `const TABLE: Record<string, number> = ${JSON.stringify(table)};\nexport default function totalFares(input: { fares: number[] }): number {\n  const known = TABLE[JSON.stringify(input)];\n  return known === undefined ? input.fares.length : known;\n}`;
}

async function start(options: Partial<CreateAgentOptions> = {}) {
  const tw = await createToolwright({ database: `sqlite:${join(directory, `db-${++databases}.sqlite`)}`, improve: false, reflect: false });
  open.push(tw);
  const events: AgentEvent[] = [];
  const agent: Agent = createAgent({
    model: tw.model,
    sandbox: tw.sandbox,
    memory: tw.memory,
    registry: tw.registry,
    evaluator: tw.evaluator,
    rewriter: tw.rewriter,
    regression: tw.regression,
    gate: tw.gate,
    improve: false,
    reflect: false,
    // Every call sampled, so the test is deterministic; the defaults are 5 % then 1 %.
    shadow: { initialRate: 1, rate: 1, random: () => 0 },
    onEvent: (event) => events.push(event),
    ...options,
  });
  const { source, ...manifest } = SPEC;
  const created = await tw.gate.propose({ kind: 'create-tool', origin: 'agent', name: 'total_fares', spec: manifest as never, source }, { reason: 'the test' });
  expect(created.status, created.summary).toBe('applied');
  return { tw, agent, events };
}

/** Serves `inputs` on the active version (capturing them as cases), then promotes a rewrite that hard-codes every stored case. */
async function promoteHardCoded(tw: Toolwright, agent: Agent, inputs: readonly JsonValue[]): Promise<number> {
  for (const input of inputs) expect((await agent.call('total_fares', input)).ok).toBe(true);
  await agent.idle();
  const stored = await tw.regression.cases('total_fares', { includeHeldOut: true });
  expect(stored.some((entry) => entry.heldOut)).toBe(true);
  const active = await tw.registry.active('total_fares');
  const cheat = hardCoded(stored.map((entry) => ({ input: entry.input, output: entry.expect.output ?? null })));
  const outcome = await tw.gate.propose(
    { kind: 'rewrite-tool', origin: 'agent', name: 'total_fares', fromVersion: active?.version ?? 1, spec: active?.spec as never, source: cheat },
    { reason: 'a rewrite that learned the cases by heart' },
  );
  expect(outcome.status, outcome.summary).toBe('applied');
  return outcome.version?.version ?? 0;
}

const seen = Array.from({ length: 12 }, (_, index) => ({ fares: [index + 1, 10.25, 3 * index] }));
const fresh = Array.from({ length: 20 }, (_, index) => ({ fares: [100 + index, 0.5, 7] }));

describe('shadow comparison after promotion', () => {
  it('rolls back a promoted version that hard-codes the stored cases within a bounded number of live calls, with WRONG_OUTPUT recorded', async () => {
    const { tw, agent, events } = await start();
    const cheat = await promoteHardCoded(tw, agent, seen);
    expect(cheat).toBe(2);

    let calls = 0;
    const answers: JsonValue[] = [];
    for (const input of fresh) {
      const call = await agent.call('total_fares', input);
      // The user is served the active version's answer, wrong as it is: the shadow never replaces it.
      answers.push(call.output ?? null);
      calls += 1;
      await agent.idle();
      if ((await tw.registry.active('total_fares'))?.version === 1) break;
    }
    // Bounded: minDisagreements (5) comparisons with no ground truth presume the previous version right.
    expect(calls).toBe(5);
    expect(answers).toEqual([3, 3, 3, 3, 3]);
    expect((await tw.registry.active('total_fares'))?.version).toBe(1);

    await tw.memory.flush();
    const summary = await tw.memory.summary('total_fares', { version: cheat, lastN: 100 });
    expect(summary.errors).toContainEqual({ code: WRONG_OUTPUT_CODE, count: 5 });
    const rollback = (await tw.memory.auditLog({ artifact: 'total_fares' })).find((entry) => entry.action === 'rollback.applied');
    expect(rollback?.reason).toContain('shadow comparison: 5 call(s) of v2 judged wrong against v1');
    expect(events).toContainEqual(expect.objectContaining({ type: 'shadow-rollback', fromVersion: 2, toVersion: 1, status: 'applied' }));

    // Both outputs of every disagreement are stored with the shadow runs.
    const disagreements = await tw.regression.shadowDisagreements('total_fares');
    expect(disagreements).toHaveLength(5);
    expect(disagreements[0]).toMatchObject({ activeVersion: 2, shadowVersion: 1, activeOutput: 3, shadowOutput: 111.5 });
    // The disputed outputs were not captured as golden cases.
    const cases = await tw.regression.cases('total_fares', { includeHeldOut: true });
    expect(cases.some((entry) => JSON.stringify(entry.input) === JSON.stringify(fresh[0]))).toBe(false);

    // The rolled-back version serves again, and answers right.
    expect((await agent.call('total_fares', fresh[0] as JsonValue)).output).toBe(107.5);
    await agent.close();
  });

  it('records WRONG_OUTPUT at once where a stored case says the previous version is right', async () => {
    const { tw, agent } = await start({ shadow: { initialRate: 1, rate: 1, random: () => 0, rollbackAfter: 2 } });
    await promoteHardCoded(tw, agent, seen);
    // A person's cases for inputs the cheat never saw (added after its promotion).
    for (const input of fresh.slice(0, 2)) await tw.regression.addCase({ tool: 'total_fares', input, expect: { output: input.fares.reduce((a, b) => a + b, 0) } });
    await agent.call('total_fares', fresh[0] as JsonValue);
    await agent.idle();
    await tw.memory.flush();
    expect((await tw.memory.summary('total_fares', { version: 2, lastN: 50 })).errors).toContainEqual({ code: WRONG_OUTPUT_CODE, count: 1 });
    expect((await tw.regression.shadowDisagreements('total_fares'))[0]).toMatchObject({ truth: 'reference' });
    await agent.call('total_fares', fresh[1] as JsonValue);
    await agent.idle();
    expect((await tw.registry.active('total_fares'))?.version).toBe(1);
    await agent.close();
  });

  it('records WRONG_OUTPUT but does not roll back where a stored case says neither version is right', async () => {
    const { tw, agent } = await start({ shadow: { initialRate: 1, rate: 1, random: () => 0, rollbackAfter: 1 } });
    await promoteHardCoded(tw, agent, seen);
    await tw.regression.addCase({ tool: 'total_fares', input: fresh[2] as JsonValue, expect: { output: 999 } });
    await agent.call('total_fares', fresh[2] as JsonValue);
    await agent.idle();
    await tw.memory.flush();
    expect((await tw.memory.summary('total_fares', { version: 2, lastN: 50 })).errors).toContainEqual({ code: WRONG_OUTPUT_CODE, count: 1 });
    expect((await tw.regression.shadowDisagreements('total_fares'))[0]).toMatchObject({ truth: 'neither' });
    expect((await tw.registry.active('total_fares'))?.version).toBe(2);
    await agent.close();
  });

  it('does not roll back a version whose changed outputs the stored cases back', async () => {
    const { tw, agent, events } = await start({ shadow: { initialRate: 1, rate: 1, random: () => 0, minDisagreements: 2 } });
    // v2 counts fares; a person's cases say that is right for the fresh inputs.
    const active = await tw.registry.active('total_fares');
    const counting = 'export default ({ fares }: { fares: number[] }): number => fares.length === 2 && fares[0] === 1 && fares[1] === 2 ? 3 : fares.length === 2 ? 590.59 : fares.length;';
    const outcome = await tw.gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'total_fares', fromVersion: 1, spec: active?.spec as never, source: counting }, { reason: 'counts fares' });
    expect(outcome.status, outcome.summary).toBe('applied');
    for (const input of fresh.slice(0, 4)) await tw.regression.addCase({ tool: 'total_fares', input, expect: { output: 3 } });
    for (const input of fresh.slice(0, 4)) {
      await agent.call('total_fares', input);
      await agent.idle();
    }
    expect((await tw.registry.active('total_fares'))?.version).toBe(2);
    expect(events.filter((event) => event.type === 'shadow-disagreement').map((event) => event.type === 'shadow-disagreement' && event.truth)).toEqual(['active', 'active', 'active', 'active']);
    await tw.memory.flush();
    expect((await tw.memory.summary('total_fares', { version: 2, lastN: 50 })).errors).toEqual([]);
    await agent.close();
  });

  it('keeps the shadow off the user\'s path: a previous version that throws never reaches the caller, and concurrency is bounded', async () => {
    const { tw, agent } = await start({ shadow: { initialRate: 1, rate: 1, random: () => 0, maxConcurrent: 1 } });
    const spec = (await tw.registry.active('total_fares'))?.spec as never;
    // v2 throws on three fares (its examples never have three); v3, the same sum written as a loop, replaces it.
    const throwing = 'export default function totalFares({ fares }: { fares: number[] }): number {\n  if (fares.length === 3) throw new Error(\'too large\');\n  return Math.round(fares.reduce((sum, fare) => sum + fare, 0) * 100) / 100;\n}';
    const loop = 'export default function totalFares({ fares }: { fares: number[] }): number {\n  let sum = 0;\n  for (const fare of fares) sum += fare;\n  return Math.round(sum * 100) / 100;\n}';
    expect((await tw.gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'total_fares', fromVersion: 1, spec, source: throwing }, { reason: 'throws' })).status).toBe('applied');
    const v2 = await tw.registry.active('total_fares');
    expect((await tw.gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'total_fares', fromVersion: 2, spec, source: loop }, { reason: 'a loop' })).status).toBe('applied');
    const results = await Promise.all(fresh.slice(0, 6).map((input) => agent.call('total_fares', input)));
    expect(results.map((call) => [call.ok, call.version])).toEqual(fresh.slice(0, 6).map(() => [true, 3]));
    await agent.idle();
    const summary = await tw.regression.shadowSummary(v2 as never);
    // maxConcurrent 1: a call that arrives while a shadow run is in flight is not shadowed (never queued).
    expect(summary?.runs).toBeGreaterThanOrEqual(1);
    expect(summary?.runs).toBeLessThan(6);
    expect(summary?.candidateFailures).toBe(summary?.runs);
    // A previous version that fails proves nothing against the active one.
    expect((await tw.registry.active('total_fares'))?.version).toBe(3);
    // Its calls were still captured as cases (a failed reference disputes nothing).
    expect((await tw.regression.cases('total_fares', { includeHeldOut: true })).length).toBeGreaterThanOrEqual(6);
    await agent.close();
  });

  it('during a canary, shadows the calls the candidate serves on the baseline, and rolls the canary back through the gate', async () => {
    const tw = await createToolwright({
      database: `sqlite:${join(directory, `db-${++databases}.sqlite`)}`,
      improve: false,
      reflect: false,
      rollout: { canary: { share: 0.5, steps: [1] }, tickMs: 0 },
      shadow: { initialRate: 1, rate: 1, random: () => 0, minDisagreements: 3, rollbackAfter: 3 },
    });
    open.push(tw);
    const { source, ...manifest } = SPEC;
    expect((await tw.gate.propose({ kind: 'create-tool', origin: 'agent', name: 'total_fares', spec: manifest as never, source }, { reason: 'the test' })).status).toBe('applied');
    const cheat = await promoteHardCoded(tw, tw, seen);
    const [canary] = await tw.rollout.experiments({ status: ['running'] });
    expect(canary).toMatchObject({ artifact: 'total_fares' });

    const served: number[] = [];
    for (const [index, input] of fresh.entries()) {
      const call = await tw.call('total_fares', input, { taskId: `task-${index}` });
      served.push(call.version ?? 0);
      await tw.idle();
      if ((await tw.registry.active('total_fares'))?.version === 1) break;
    }
    // Only the candidate's calls were compared (the baseline's need no shadow); which arm a task
    // lands in depends on the experiment's id, so the baseline may or may not have served before.
    expect(served.filter((version) => version === cheat)).toHaveLength(3);
    expect(served.every((version) => version === cheat || version === 1)).toBe(true);
    expect((await tw.call('total_fares', { fares: [1, 2, 3] }, { taskId: 'after-the-rollback' })).version).toBe(1);
    expect((await tw.registry.active('total_fares'))?.version).toBe(1);
    expect((await tw.regression.shadowDisagreements('total_fares')).every((entry) => entry.activeVersion === cheat && entry.shadowVersion === 1)).toBe(true);
    // The rollback moved what is in force, so the canary no longer runs.
    expect(await tw.rollout.experiments({ status: ['running'] })).toEqual([]);
  });
});
