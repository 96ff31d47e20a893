import { describe, expect, it } from 'vitest';
import { contentHash } from '../hash.js';
import type { ServedCallOutcome, VersionAssignment, VersionSelector } from '../rollout.js';
import { activeToolOf, type ActiveTool } from './run-state.js';
import { inMemoryParts, TOTAL_FARES } from './test-support/parts.js';
import { toolSpec, toolVersion } from './test-support/versions.js';
import { createToolRunner } from './tool-runner.js';

function setUp() {
  const parts = inMemoryParts();
  const called: string[] = [];
  const runner = createToolRunner({ ...parts, afterCall: async (tool) => void called.push(tool) });
  return { ...parts, runner, called };
}

const active = (spec = TOTAL_FARES, version = 1): ActiveTool => activeToolOf(toolVersion(spec, { version })) ?? expect.fail('a tool');

describe('the tool runner', () => {
  it('runs a call in the sandbox, meters it in memory, captures it, emits it and reports it', async () => {
    const { runner, memory, regression, background, events, called } = setUp();
    const call = await runner.run(active(), { id: 'call_1', input: { fares: [1, 2.5] } }, { taskId: 'task-1', step: 2, turnUsage: { inputTokens: 40, outputTokens: 9 } });

    expect(call).toEqual({ callId: expect.stringMatching(/^total_fares\.v1\./), name: 'total_fares', version: 1, input: { fares: [1, 2.5] }, ok: true, output: 3.5, durationMs: 1, step: 2 });
    expect(memory.buffered).toEqual([
      {
        tool: 'total_fares',
        version: 1,
        startedAt: expect.any(Number),
        durationMs: 1,
        outcome: { ok: true },
        inputHash: contentHash({ fares: [1, 2.5] }),
        outputHash: contentHash(3.5),
        taskId: 'task-1',
        modelTurn: 2,
        tokens: { inputTokens: 40, outputTokens: 9 },
      },
    ]);
    await background.idle();
    expect(regression.captured).toEqual([{ tool: 'total_fares', version: 1, input: { fares: [1, 2.5] }, result: { ok: true, value: 3.5, durationMs: 1, logs: [] } }]);
    expect(events).toEqual([{ type: 'tool-called', name: 'total_fares', version: 1, ok: true, durationMs: 1, callId: expect.stringMatching(/^total_fares\.v1\.[0-9a-f]{64}\.[0-9a-f]{12}$/) }]);
    expect(called).toEqual(['total_fares']);
  });

  it('reports a tool fault as a result, records it as a failure and captures nothing', async () => {
    const { runner, memory, regression, background } = setUp();
    const call = await runner.run(active(), { id: 'call_1', input: { fares: 'nope' } }, { taskId: 'task-1', step: 1 });
    expect(call).toMatchObject({ ok: false, error: { code: 'THROWN' } });
    expect(memory.buffered[0]).toMatchObject({ outcome: { ok: false, error: { code: 'THROWN' } } });
    expect(memory.buffered[0]).not.toHaveProperty('outputHash');
    expect(memory.buffered[0]).not.toHaveProperty('tokens');
    await background.idle();
    expect(regression.captured).toEqual([]);
  });

  it('compiles once per content hash, and forgets a failed compile so it can be retried', async () => {
    const { runner, sandbox } = setUp();
    const tool = active();
    await runner.run(tool, { id: 'a', input: { fares: [1] } }, { taskId: 't', step: 1 });
    await runner.run(active(TOTAL_FARES, 1), { id: 'b', input: { fares: [2] } }, { taskId: 't', step: 1 });
    expect(sandbox.compiled).toEqual(['total_fares']);

    const evil = active(toolSpec({ name: 'evil', language: 'js', source: 'export default () => eval("1");' }));
    const refused = await runner.run(evil, { id: 'c', input: {} }, { taskId: 't', step: 1 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'SANDBOX_STATIC_GATE' } });
    await expect(runner.compile(evil.version)).rejects.toMatchObject({ code: 'SANDBOX_STATIC_GATE' });
  });
});

describe('the tool runner under a live experiment', () => {
  /** A selector that serves `version` to the keys it is told, and records the outcomes. */
  function selector(assign: (key: string | undefined) => number | undefined) {
    const recorded: { assignment: VersionAssignment; outcome: ServedCallOutcome }[] = [];
    const asked: (string | undefined)[] = [];
    const serve: VersionSelector['serve'] = (artifact, key) => {
      asked.push(key);
      const version = assign(key);
      return version === undefined ? undefined : { experimentId: 'exp-1', artifact, arm: version === 1 ? 'baseline' : 'candidate', version };
    };
    return { serve, record: (assignment: VersionAssignment, outcome: ServedCallOutcome) => void recorded.push({ assignment, outcome }), recorded, asked };
  }

  async function setUpWithVersions(assign: (key: string | undefined) => number | undefined) {
    const parts = inMemoryParts();
    await parts.registry.put(toolVersion(TOTAL_FARES, { version: 1, status: 'retired' }));
    await parts.registry.put(toolVersion({ ...TOTAL_FARES, source: 'export default ({ fares }) => 100 * fares.length;' }, { version: 2, status: 'active' }));
    const versions = selector(assign);
    const runner = createToolRunner({ ...parts, versions: { selector: versions, registry: parts.registry } });
    return { ...parts, runner, versions };
  }

  it('runs the version the selector assigns, keyed by the task id, and reports the outcome to it and to memory', async () => {
    const { runner, memory, versions, events } = await setUpWithVersions((key) => (key === 'task-old' ? 1 : 2));
    const active = activeToolOf(toolVersion({ ...TOTAL_FARES, source: 'export default ({ fares }) => 100 * fares.length;' }, { version: 2 })) ?? expect.fail('a tool');
    const old = await runner.run(active, { id: 'a', input: { fares: [1, 2] } }, { taskId: 'task-old', step: 1 });
    const current = await runner.run(active, { id: 'b', input: { fares: [1, 2] } }, { taskId: 'task-new', step: 1 });
    expect([old.version, old.output, current.version, current.output]).toEqual([1, 3, 2, 200]);
    expect(versions.asked).toEqual(['task-old', 'task-new']);
    expect(versions.recorded).toEqual([
      { assignment: { experimentId: 'exp-1', artifact: 'total_fares', arm: 'baseline', version: 1 }, outcome: { success: true, latencyMs: 1 } },
      { assignment: { experimentId: 'exp-1', artifact: 'total_fares', arm: 'candidate', version: 2 }, outcome: { success: true, latencyMs: 1 } },
    ]);
    expect(memory.buffered.map((invocation) => invocation.version)).toEqual([1, 2]);
    expect(events.map((event) => (event.type === 'tool-called' ? event.version : undefined))).toEqual([1, 2]);
  });

  it('serves the active version when no experiment runs, or when the assigned version cannot be loaded', async () => {
    const { runner, versions } = await setUpWithVersions((key) => (key === 'gone' ? 9 : undefined));
    const tool = active();
    expect((await runner.run(tool, { id: 'a', input: { fares: [1] } }, { taskId: 't', step: 1 })).version).toBe(1);
    expect((await runner.run(tool, { id: 'b', input: { fares: [1] } }, { taskId: 'gone', step: 1 })).version).toBe(1);
    expect(versions.recorded).toEqual([]);
  });
});

describe('regression: an experiment served a rejected version', () => {
  it('never serves a rejected version the selector assigns: the active one serves, and the call counts for no arm', async () => {
    const parts = inMemoryParts();
    await parts.registry.put(toolVersion(TOTAL_FARES, { version: 1, status: 'active' }));
    await parts.registry.put(toolVersion({ ...TOTAL_FARES, source: 'export default ({ fares }) => 100 * fares.length;' }, { version: 2, status: 'rejected' }));
    const recorded: VersionAssignment[] = [];
    const selector: VersionSelector = {
      serve: (artifact) => ({ experimentId: 'exp-1', artifact, arm: 'candidate', version: 2 }),
      record: (assignment) => void recorded.push(assignment),
    };
    const runner = createToolRunner({ ...parts, versions: { selector, registry: parts.registry } });
    const call = await runner.run(active(), { id: 'a', input: { fares: [1, 2] } }, { taskId: 't', step: 1 });
    expect([call.version, call.output]).toEqual([1, 3]);
    expect(recorded).toEqual([]);
  });
});
