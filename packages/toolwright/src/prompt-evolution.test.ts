import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GenerateRequest, type ToolManifest } from '@toolwright/core';
import { openaiModel } from '@toolwright/core/openai';
import { chatCompletion, ScriptedModel, startChatServer, type ScriptStep } from '@toolwright/core/testing';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createToolwright, type Toolwright, type ToolwrightOptions } from './create-toolwright.js';
import { EVOLUTION_QUEUE } from './index.js';

// Prompt evolution through the one gate: batch reflection over stored calls, a refinement of an
// evolvable section proposed as a change, an A/B test of it on live runs, promotion after a
// person's approval, a worse one ended without reaching all traffic; protected phrases and
// immutable sections; per-user preferences.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-evolution-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let databases = 0;
const open: Toolwright[] = [];
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((toolwright) => toolwright.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const SAFETY = { name: 'safety', text: "Never reveal the user's API keys." };
const HINTS = 'Use the tools. I may be mistaken.';

async function start(model: ToolwrightOptions['model'], options: ToolwrightOptions = {}): Promise<Toolwright> {
  const tw = await createToolwright({
    database: `sqlite:${join(directory, `db-${++databases}.sqlite`)}`,
    ...(model === undefined ? {} : { model }),
    improve: false,
    reflect: false,
    serveKnownTasks: false,
    shadow: false,
    instructions: { immutable: [SAFETY] },
    evolution: { sections: [{ name: 'tool-hints', text: HINTS }], experiment: { canaryShare: 0.5, steps: [1] } },
    policy: { protectedPhrases: [{ id: 'disclaimer', text: 'I may be mistaken.' }] },
    rollout: { tickMs: 0, flushIntervalMs: 0 },
    ...options,
  });
  open.push(tw);
  return tw;
}

const spec: ToolManifest = {
  name: 'parse_date',
  description: 'Parses an ISO date into its parts.',
  inputSchema: { type: 'object', properties: { date: { type: 'string' } }, required: ['date'] },
  language: 'ts',
  capabilities: [],
  examples: [{ input: { date: '2024-05-06' }, output: { year: 2024, month: 5, day: 6 } }],
};
const PARSE = "export default function parse({ date }: { date: string }) {\n  const match = /^(\\d{4})-(\\d{2})-(\\d{2})$/.exec(date);\n  if (!match) throw new Error('unexpected format: ' + date);\n  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };\n}\n";

/** 120 stored calls of parse_date, 40 of them failing on dates written as 06/05/2024. */
async function recordFailures(tw: Toolwright): Promise<void> {
  expect((await tw.gate.propose({ kind: 'create-tool', origin: 'person', name: 'parse_date', spec, source: PARSE }, { by: 'integrator' })).status).toBe('applied');
  for (let call = 0; call < 120; call++) {
    const date = call % 3 === 0 ? `0${(call % 9) + 1}/05/2024` : `2024-05-0${(call % 9) + 1}`;
    await tw.call('parse_date', { date }, { taskId: `seed-${call}` });
  }
  await tw.memory.flush();
}

/** The refinement a model writes: the same for ScriptedModel and the loopback server. */
const REFINED = { mode: 'append', text: 'Pass dates to parse_date as YYYY-MM-DD; convert 06/05/2024 first.', reason: 'a third of parse_date calls fail on day/month/year dates' };

/** A model that succeeds on a task only when the prompt holds `needle` (else says it cannot); answers refinement requests with `refinement`. */
function taskModel(needle: string, refinement: object): ScriptStep {
  return (request: GenerateRequest) => {
    if (request.responseSchema?.name === 'prompt-refinement') return { object: refinement as never };
    const system = request.messages[0]?.content ?? '';
    return { text: system.includes(needle) ? '{"answer": 42}' : 'I cannot answer this.' };
  };
}

async function runTasks(tw: Toolwright, count: number, prefix: string): Promise<Map<string, { runs: number; successes: number }>> {
  const arms = new Map<string, { runs: number; successes: number }>();
  for (let run = 0; run < count; run++) {
    const result = await tw.run('What is the answer?', { taskId: `${prefix}-${run}` });
    const arm = result.prompt?.sections.find((section) => section.name === 'tool-hints')?.arm ?? 'none';
    const figures = arms.get(arm) ?? { runs: 0, successes: 0 };
    arms.set(arm, { runs: figures.runs + 1, successes: figures.successes + (result.text.includes('42') ? 1 : 0) });
  }
  await tw.rollout.flush();
  return arms;
}

describe('prompt evolution in createToolwright', () => {
  it('batch reflection over ≥ 100 stored calls names the dominant failure pattern and its share', async () => {
    const tw = await start(new ScriptedModel({ script: [taskModel('never', REFINED)], whenExhausted: 'repeat-last' }));
    await recordFailures(tw);
    const report = await tw.evolution?.reflect();
    expect(report?.calls).toBe(120);
    expect(report?.failures).toBe(40);
    expect(report?.dominant).toMatchObject({ tool: 'parse_date', count: 40, share: 1 });
    expect(report?.dominant?.description).toMatch(/^100 % of failures \(40 of 40\) involve tool parse_date failing with [A-Z_]+ \(".*unexpected format/);
    expect(report?.proposals).toHaveLength(1);
  });

  for (const kind of ['scripted', 'openai-http'] as const) {
    it(`a recurring failure yields a refinement that, approved, runs as a canary arm and is widened on measured benefit through the gate (${kind})`, async () => {
      let model: ToolwrightOptions['model'];
      if (kind === 'scripted') model = new ScriptedModel({ script: [taskModel(REFINED.text, REFINED)], whenExhausted: 'repeat-last' });
      else {
        const server = await startChatServer((request) => {
          const body = request.body as { messages: { role: string; content: string }[]; response_format?: { json_schema?: { name?: string } } };
          if (body.response_format?.json_schema?.name === 'prompt-refinement') return chatCompletion({ content: JSON.stringify(REFINED) });
          return chatCompletion({ content: (body.messages[0]?.content ?? '').includes(REFINED.text) ? '{"answer": 42}' : 'I cannot answer this.' });
        });
        servers.push(server);
        model = openaiModel({ model: 'test-model', baseURL: server.baseURL, apiKey: 'test', maxRetries: 0 });
      }
      const tw = await start(model);
      await recordFailures(tw);
      const step = await tw.evolution?.refine();
      expect(step?.refinement.status).toBe('proposed');
      if (step?.refinement.status !== 'proposed' || step.refinement.outcome.status !== 'queued') throw new Error('the refinement was not queued');
      // A versioned candidate through the gate, waiting for a person (prompt changes need one by default); it serves no run meanwhile.
      expect(step.refinement.text).toBe(`${HINTS}\n${REFINED.text}`);
      expect(step.experiment).toBeUndefined();
      expect((await runTasks(tw, 5, 'waiting')).get('none')).toEqual({ runs: 5, successes: 0 });
      // Approved, it is in force but serves only the canary's share, against the version it replaced.
      expect((await tw.approve(step.refinement.outcome.approvalId, { by: 'ana' })).status).toBe('applied');
      const [canary] = await tw.rollout.experiments({ artifact: 'tool-hints', status: ['running'] });
      expect(canary).toMatchObject({ kind: 'canary', arms: [{ name: 'baseline', version: 1 }, { name: 'candidate', version: 2 }] });
      // 160 tasks at a half share: sticky assignment hashes the experiment's random id, and 120 now and then left the
      // candidate under the canary test's 50 calls; 160 give it about 80 (almost five standard deviations above 50).
      const arms = await runTasks(tw, 160, 'canary');
      expect(arms.get('candidate')?.successes).toBe(arms.get('candidate')?.runs);
      expect(arms.get('baseline')?.successes).toBe(0);
      // Measured benefit: the widening is proposed through the gate, where it waits for a person too.
      const [held] = await tw.experiments.tick();
      expect(held?.action).toBe('widen-held');
      const [widen] = await tw.policy.approvals.list({ status: 'proposed', name: 'tool-hints' });
      expect(widen?.change.kind).toBe('widen-rollout');
      expect((await tw.approve(widen?.id ?? '', { by: 'ana' })).status).toBe('applied');
      const [done] = await tw.experiments.tick();
      expect(done?.experiment.status).toBe('completed');
      expect((await tw.registry.history('tool-hints')).map((version) => [version.version, version.status])).toEqual([[1, 'retired'], [2, 'active']]);
      // Every run now sees the refined section, and the prompt is reported in tokens.
      const after = await tw.run('What is the answer?', { taskId: 'after' });
      expect(after.text).toContain('42');
      expect(after.prompt?.tokens).toBeGreaterThan(10);
      expect(after.prompt?.sections).toEqual([{ name: 'tool-hints', version: 2 }]);
    });
  }

  it('a worse refinement is rolled back through the gate when the task success rate drops, and every run gets the previous version meanwhile', async () => {
    const worse = { mode: 'append', text: 'Answer only after calling every tool twice.', reason: 'more checks' };
    const worseModel: ScriptStep = (request: GenerateRequest) => {
      if (request.responseSchema?.name === 'prompt-refinement') return { object: worse };
      return { text: (request.messages[0]?.content ?? '').includes(worse.text) ? 'I cannot answer this.' : '{"answer": 42}' };
    };
    const tw = await start(new ScriptedModel({ script: [worseModel], whenExhausted: 'repeat-last' }));
    await recordFailures(tw);
    const step = await tw.evolution?.refine();
    if (step?.refinement.status !== 'proposed' || step.refinement.outcome.status !== 'queued') throw new Error('the refinement was not queued');
    expect((await tw.approve(step.refinement.outcome.approvalId, { by: 'ana' })).status).toBe('applied');
    // Which task lands in which arm depends on the experiment's random id: run until the
    // controller has seen enough of the candidate to decide (120 runs usually suffice).
    let look: Awaited<ReturnType<typeof tw.experiments.tick>>[number] | undefined;
    let candidateRuns = 0;
    for (let batch = 0; batch < 8 && (look === undefined || look.action === 'none'); batch++) {
      const arms = await runTasks(tw, batch === 0 ? 120 : 40, `canary-${batch}`);
      expect(arms.get('candidate')?.successes ?? 0).toBe(0);
      candidateRuns += arms.get('candidate')?.runs ?? 0;
      [look] = await tw.experiments.tick();
    }
    expect(candidateRuns).toBeGreaterThan(0);
    // Worse: the rollback goes through the gate, where a prompt section's waits for a person; meanwhile every run gets v1.
    expect(look?.action).toBe('rollback-refused');
    const after = await runTasks(tw, 10, 'after');
    expect([...after.keys()]).toEqual(['baseline']);
    expect(after.get('baseline')?.successes).toBe(10);
    const [rollback] = await tw.policy.approvals.list({ status: 'proposed', name: 'tool-hints' });
    expect(rollback?.change.kind).toBe('rollback');
    expect((await tw.approve(rollback?.id ?? '', { by: 'ana' })).status).toBe('applied');
    expect((await tw.registry.active('tool-hints'))?.source).toBe(HINTS);
  });

  it('a refinement with no measured benefit keeps its canary share: no widening is proposed', async () => {
    const tw = await start(new ScriptedModel({ script: [taskModel('Use the tools.', REFINED)], whenExhausted: 'repeat-last' }));
    await recordFailures(tw);
    const step = await tw.evolution?.refine();
    if (step?.refinement.status !== 'proposed' || step.refinement.outcome.status !== 'queued') throw new Error('the refinement was not queued');
    expect((await tw.approve(step.refinement.outcome.approvalId, { by: 'ana' })).status).toBe('applied');
    let look: Awaited<ReturnType<typeof tw.experiments.tick>>[number] | undefined;
    for (let batch = 0; batch < 8 && (look === undefined || look.action === 'none'); batch++) {
      await runTasks(tw, 120, `canary-${batch}`);
      [look] = await tw.experiments.tick();
    }
    expect(look?.reason).toMatch(/no measured benefit yet/);
    expect(look?.experiment).toMatchObject({ status: 'running', allocation: { candidate: 0.5 } });
    expect(await tw.policy.approvals.list({ status: 'proposed', name: 'tool-hints' })).toEqual([]);
  });

  it('a refinement the policy lets through at once runs as a canary and is rolled back through the gate when the task success rate drops', async () => {
    const worse = { mode: 'append', text: 'Answer only after calling every tool twice.', reason: 'more checks' };
    const worseModel: ScriptStep = (request: GenerateRequest) => {
      if (request.responseSchema?.name === 'prompt-refinement') return { object: worse };
      return { text: (request.messages[0]?.content ?? '').includes(worse.text) ? 'I cannot answer this.' : '{"answer": 42}' };
    };
    const tw = await start(new ScriptedModel({ script: [worseModel], whenExhausted: 'repeat-last' }), {
      policy: { protectedPhrases: [{ id: 'disclaimer', text: 'I may be mistaken.' }], approval: { promptChange: 'allow' } },
      evolution: { sections: [{ name: 'tool-hints', text: HINTS }], experiment: { canaryShare: 0.5 } },
    });
    await recordFailures(tw);
    const step = await tw.evolution?.refine();
    expect(step?.refinement.status === 'proposed' ? step.refinement.outcome.status : undefined).toBe('applied');
    expect(step?.experiment).toMatchObject({ kind: 'canary', artifact: 'tool-hints', status: 'running' });
    await runTasks(tw, 160, 'canary');
    const [look] = await tw.experiments.tick();
    expect(look?.experiment.status).toBe('rolled-back');
    expect((await tw.registry.active('tool-hints'))?.source).toBe(HINTS);
    expect((await tw.memory.auditLog({ artifact: 'tool-hints' })).map((entry) => entry.action)).toContain('rollback.applied');
  });

  it('denies a refinement that drops a protected phrase, with its reason, and never touches an immutable section', async () => {
    const rewrite = { mode: 'rewrite', text: 'Use the tools. Be confident.', reason: 'the disclaimer costs completions' };
    const tw = await start(new ScriptedModel({ script: [taskModel('never', rewrite)], whenExhausted: 'repeat-last' }));
    await recordFailures(tw);
    const step = await tw.evolution?.refine();
    expect(step?.refinement.status).toBe('proposed');
    if (step?.refinement.status !== 'proposed') return;
    expect(step.refinement.outcome.status).toBe('denied');
    expect(step.refinement.outcome.summary).toMatch(/protected-phrases: the new text of "tool-hints" drops protected phrase "disclaimer"/);
    expect(step.experiment).toBeUndefined();
    await expect(tw.evolution?.refine({ section: 'safety' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/immutable/) });
    expect((await tw.registry.history('safety')).map((version) => version.source)).toEqual([SAFETY.text]);
    await expect(start(undefined, { evolution: { sections: [{ name: 'safety', text: 'x' }] } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('with cadence everyNRuns, refines in the background after every n runs, one experiment at a time', async () => {
    const tw = await start(new ScriptedModel({ script: [taskModel(REFINED.text, REFINED)], whenExhausted: 'repeat-last' }), {
      evolution: { sections: [{ name: 'tool-hints', text: HINTS }], cadence: { everyNRuns: 25 } },
    });
    await recordFailures(tw);
    await runTasks(tw, 24, 'warm-up');
    await tw.idle();
    expect((await tw.registry.history('tool-hints')).map((version) => version.version)).toEqual([1]);
    await runTasks(tw, 1, 'nth');
    await tw.idle();
    expect((await tw.registry.history('tool-hints')).map((version) => [version.version, version.status])).toEqual([[1, 'active'], [2, 'candidate']]);
    // The next 25 runs find the refinement waiting for a person: no second one.
    await runTasks(tw, 25, 'more');
    await tw.idle();
    expect(await tw.registry.history('tool-hints')).toHaveLength(2);
    expect(await tw.policy.approvals.list({ status: 'proposed', name: 'tool-hints' })).toHaveLength(1);
  });

  it('with cadence everyMs, refines on the schedule, not before it, and not while a refinement waits for a person', async () => {
    // Only the interval is faked: the database, the sandbox and the model run on real time.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const tw = await start(new ScriptedModel({ script: [taskModel(REFINED.text, REFINED)], whenExhausted: 'repeat-last' }), {
        evolution: { sections: [{ name: 'tool-hints', text: HINTS }], cadence: { everyMs: 60_000 } },
      });
      await recordFailures(tw);
      await runTasks(tw, 30, 'collected');
      vi.advanceTimersByTime(59_999);
      await tw.idle();
      expect((await tw.registry.history('tool-hints')).map((version) => version.version)).toEqual([1]);
      vi.advanceTimersByTime(1);
      await vi.waitFor(async () => expect(await tw.registry.history('tool-hints')).toHaveLength(2));
      await tw.idle();
      expect((await tw.registry.history('tool-hints')).map((version) => [version.version, version.status, version.source])).toEqual([
        [1, 'active', HINTS],
        [2, 'candidate', `${HINTS}\n${REFINED.text}`],
      ]);
      // The next periods find the refinement waiting for a person: no second one.
      vi.advanceTimersByTime(120_000);
      await tw.idle();
      expect(await tw.registry.history('tool-hints')).toHaveLength(2);
      expect(await tw.policy.approvals.list({ status: 'proposed', name: 'tool-hints' })).toHaveLength(1);
      // Closing stops the schedule.
      await tw.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('in a fleet (worker), runs the everyMs schedule as a job of its queue rather than on a timer of its own', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const tw = await start(new ScriptedModel({ script: [taskModel(REFINED.text, REFINED)], whenExhausted: 'repeat-last' }), {
        evolution: { sections: [{ name: 'tool-hints', text: HINTS }], cadence: { everyMs: 60_000 } },
        worker: { concurrency: 1 },
      });
      // One timer: the fleet's ask for the refinement job (the experiment look has tickMs 0 here).
      expect(vi.getTimerCount()).toBe(1);
      await recordFailures(tw);
      await runTasks(tw, 30, 'collected');
      vi.advanceTimersByTime(60_000);
      await vi.waitFor(async () => expect((await tw.jobs?.stats())?.find((stats) => stats.queue === EVOLUTION_QUEUE)).toMatchObject({ completed: 1, parked: 0 }));
      expect((await tw.registry.history('tool-hints')).map((version) => [version.version, version.status])).toEqual([[1, 'active'], [2, 'candidate']]);
      await tw.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('picks one strategy per run of a task type with the bandit, which learns the better one', async () => {
    const model = new ScriptedModel({
      script: [(request: GenerateRequest) => ({ text: (request.messages[0]?.content ?? '').includes('Convert every date to ISO first.') ? '{"answer": 42}' : 'I cannot answer this.' })],
      whenExhausted: 'repeat-last',
    });
    const tw = await start(model, {
      strategies: { dates: [{ name: 'guess', text: 'Guess the format when unsure.' }, { name: 'iso-first', text: 'Convert every date to ISO first.' }] },
    });
    const chosen = new Map<string, number>();
    for (let run = 0; run < 200; run++) {
      const result = await tw.run('Parse this date', { taskId: `strategy-${run}`, taskType: 'dates' });
      const strategy = result.prompt?.strategy ?? 'none';
      chosen.set(strategy, (chosen.get(strategy) ?? 0) + 1);
    }
    expect(chosen.get('iso-first')).toBeGreaterThan(150);
    expect(tw.rollout.banditCounts('dates')['iso-first']).toMatchObject({ failures: 0 });
    expect((await tw.run('Parse this date', { taskId: 'no-type' })).prompt?.strategy).toBeUndefined();
  });

  it("learns a user's preferences from a correction, an edit and a restatement, and only that user's", async () => {
    const model = new ScriptedModel({
      script: [
        (request: GenerateRequest) =>
          request.responseSchema?.name === 'preference' ? { object: { preference: 'Give amounts in euros.', reason: 'restated the question asking for euros' } } : { text: 'ok' },
      ],
      whenExhausted: 'repeat-last',
    });
    const tw = await start(model);
    expect(await tw.learnPreference('ana', { kind: 'correction', text: 'Answer in Spanish.' })).toMatchObject({ status: 'added', how: 'explicit', preference: { source: 'explicit' } });
    expect(await tw.learnPreference('ana', { kind: 'edited', answer: 'The totals are 3 and 4.', edited: '- 3\n- 4' })).toMatchObject({ status: 'added', how: 'heuristic', preference: { text: 'Format answers as bullet points.', source: 'implicit' } });
    expect(await tw.learnPreference('ana', { kind: 'restated', task: 'How much is it?', restatement: 'How much is it in euros?' })).toMatchObject({ status: 'added', how: 'model' });
    expect(await tw.learnPreference('ana', { kind: 'accepted', answer: 'ok' })).toMatchObject({ status: 'none' });
    expect(await tw.learnPreference('ana', { kind: 'correction', text: 'answer in spanish.' })).toMatchObject({ status: 'none' });
    expect((await tw.preferences.list('ana')).map((preference) => preference.text)).toEqual(['Answer in Spanish.', 'Format answers as bullet points.', 'Give amounts in euros.']);
    expect(await tw.preferences.list('bob')).toEqual([]);
    await tw.run('Say ok', { userId: 'bob' });
    expect(model.calls.at(-1)?.request.messages[0]?.content).not.toMatch(/Spanish|bullet|euros/);
    // The offline model reads no prose: a restatement teaches it nothing, without an error.
    const offline = await start(undefined);
    expect(await offline.learnPreference('ana', { kind: 'restated', task: 'How much?', restatement: 'How much in euros?' })).toMatchObject({ status: 'none', reason: expect.stringMatching(/could not read/) });
  });

  it("puts a user's preferences in that user's prompt only, capped", async () => {
    const model = new ScriptedModel({ script: [{ text: 'ok' }], whenExhausted: 'repeat-last' });
    const tw = await start(model, { preferenceTokenBudget: 10 });
    await tw.preferences.add('ana', { text: 'Answer in Spanish.' });
    await tw.preferences.add('ana', { text: 'Sign every answer as Ana would like it signed, with a long signature line.' });
    await tw.preferences.add('bob', { text: 'Use bullet points.' });
    const ana = await tw.run('Say ok', { userId: 'ana' });
    const bob = await tw.run('Say ok', { userId: 'bob' });
    const nobody = await tw.run('Say ok');
    const prompts = model.calls.map((call) => call.request.messages[0]?.content ?? '');
    expect(prompts[0]).toContain('Answer in Spanish.');
    expect(prompts[0]).not.toContain('long signature line'); // over the 10-token budget
    expect(prompts[0]).not.toContain('Use bullet points.');
    expect(prompts[1]).toContain('Use bullet points.');
    expect(prompts[1]).not.toContain('Spanish');
    expect(prompts[2]).not.toContain('Spanish');
    expect(prompts[2]).not.toContain('bullet');
    expect([ana.prompt?.preferences, bob.prompt?.preferences, nobody.prompt?.preferences]).toEqual([1, 1, 0]);
    expect(ana.prompt?.tokens).toBeGreaterThan(nobody.prompt?.tokens ?? 0);
  });
});
