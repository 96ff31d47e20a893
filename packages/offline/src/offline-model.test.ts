import { createToolOutcomeSchema, ModelError, toolSpecSchema, type CreateToolOutcome, type ToolwrightError, type GenerateRequest, type JsonValue, type LanguageModel, type Message, type ToolDefinition } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { offlineModel, type OfflineModelEvent, type OfflineModelOptions } from './offline-model.js';
import { AgentSide, createToolDefinition } from './test-support/agent-side.js';
import { cheapestTwo, countOver, FARE_SETS, fareExamples, TASK_FARES, total } from './test-support/fares.js';

const cannot = /^I cannot solve this task: .+\.$/;
/** Tests never depend on the machine's speed: the search's time budget is out of reach. */
const model = (options: OfflineModelOptions = {}): LanguageModel => offlineModel({ timeBudgetMs: 600_000, ...options });

describe('offlineModel', () => {
  it('is a LanguageModel named "offline" that reports zero tokens', async () => {
    const fresh = offlineModel();
    expect(fresh.specificationVersion).toBe('toolwright.model.v1');
    expect(fresh.provider).toBe('offline');
    expect(fresh.modelId).toBe('offline-synthesis');
    expect(offlineModel({ modelId: 'offline-test' }).modelId).toBe('offline-test');
    const run = await new AgentSide().run(model(), 'Total the fares', { input: { fares: [...TASK_FARES] }, examples: fareExamples(total) });
    expect(run.results.length).toBe(3);
    for (const result of run.results) expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('writes a tool through create_tool, calls it with the task input, and answers with its result as JSON', async () => {
    const agent = new AgentSide();
    const run = await agent.run(model(), 'Total the fares', { input: { fares: [...TASK_FARES] }, examples: fareExamples(total) });

    const [create, call, answer] = run.results;
    expect(create?.finishReason).toBe('tool-calls');
    expect(create?.toolCalls).toHaveLength(1);
    expect(create?.toolCalls[0]?.name).toBe('create_tool');
    const spec = toolSpecSchema.parse(create?.toolCalls[0]?.input);
    expect(spec.name).toBe('sum_fares_price');
    expect(spec.language).toBe('ts');
    expect(spec.capabilities).toEqual([]);
    expect(spec.examples).toEqual(fareExamples(total));
    expect(spec.source).toContain('export default function sumFaresPrice(input: Input): number');

    expect(call?.toolCalls).toEqual([{ id: expect.any(String), name: 'sum_fares_price', input: { fares: TASK_FARES } }]);
    expect(answer?.toolCalls).toEqual([]);
    expect(answer?.finishReason).toBe('stop');
    expect(run.output).toBe(total(TASK_FARES));
    expect(answer?.text).toBe(JSON.stringify(total(TASK_FARES)));
    expect(run.created).toEqual(['sum_fares_price']);
  });

  it('runs the representative fare tasks: three tools built, and the repeated task reuses the first without registering anything', async () => {
    const agent = new AgentSide();
    const shared = model();
    const input = { fares: [...TASK_FARES] };

    const first = await agent.run(shared, 'Total the fares', { input, examples: fareExamples(total) });
    const second = await agent.run(shared, 'Count the fares over 300', { input, examples: fareExamples((fares) => countOver(fares, 300)) });
    const third = await agent.run(shared, 'Sum the cheapest two fares', { input, examples: fareExamples(cheapestTwo) });
    // Same capability, different examples and wording.
    const again = await agent.run(shared, 'What do these fares add up to?', { input, examples: fareExamples(total, [FARE_SETS[2] ?? [], FARE_SETS[0] ?? []]) });

    expect([first.output, second.output, third.output, again.output]).toEqual([total(TASK_FARES), countOver(TASK_FARES, 300), cheapestTwo(TASK_FARES), total(TASK_FARES)]);
    expect([first.created, second.created, third.created, again.created]).toEqual([['sum_fares_price'], ['count_fares_where_price_over_300'], ['sum_smallest_2_fares_price'], []]);
    expect(again.reused).toEqual(['sum_fares_price']);
    expect(again.requests).toHaveLength(2);
    expect(again.results.flatMap((result) => result.toolCalls.map((call) => call.name))).toEqual(['sum_fares_price']);
    expect([...agent.tools.keys()]).toEqual(['sum_fares_price', 'count_fares_where_price_over_300', 'sum_smallest_2_fares_price']);
  });

  it("checks numbers at the task's own tolerance: examples written to the cent, cut rather than rounded, are met by the plain mean", async () => {
    // 5/3 written as 1.66 and 2/3 as 0.66: no rounding reproduces them, the mean does within a cent.
    const examples = [
      { input: { values: [1, 2, 2] }, output: 1.66 },
      { input: { values: [0, 1, 1] }, output: 0.66 },
      { input: { values: [10, 20, 70] }, output: 33.33 },
    ];
    const input = { values: [2, 2, 3] };
    const strict = await new AgentSide().run(model(), 'Average of the values, to the cent', { input, examples });
    expect(strict.created).toEqual([]);
    expect(strict.text).toMatch(cannot);

    const toCent = await new AgentSide().run(model(), 'Average of the values, to the cent', { input, examples, tolerance: { absolute: 0.01 } });
    expect(toCent.created).toEqual(['mean_values']);
    expect(toCent.output).toBeCloseTo(7 / 3, 9);
    // A relative tolerance works the same way: 1 % of 1.67 is more than the cent each example lost.
    const relative = await new AgentSide().run(model(), 'Average of the values, to the cent', { input, examples, tolerance: { relative: 0.01 } });
    expect(relative.created).toEqual(['mean_values']);
  });

  it('reuses a tool it wrote in an earlier process: the program is read back from the tool description', async () => {
    const earlier = new AgentSide();
    await earlier.run(model(), 'Total the fares', { input: { fares: [...TASK_FARES] }, examples: fareExamples(total) });
    const written = earlier.tools.get('sum_fares_price');
    expect(written?.definition.description).toContain('[offline program] sum(pluck(get($, "fares"), "price"))');

    const later = new AgentSide();
    later.tools.set('sum_fares_price', written ?? expect.fail('no tool'));
    const run = await later.run(model(), 'Total', { input: { fares: [...TASK_FARES] }, examples: fareExamples(total, [FARE_SETS[1] ?? []]) });
    expect(run.results[0]?.toolCalls.map((call) => call.name)).toEqual(['sum_fares_price']);
    expect(run.created).toEqual([]);
    expect(run.reused).toEqual(['sum_fares_price']);
    expect(run.output).toBe(total(TASK_FARES));
  });

  it('reuses a rounding tool of this version, but not one written with the earlier Math.round rounding', async () => {
    const mean = (fares: Parameters<typeof total>[0]): number => Math.round((total(fares) / fares.length) * 100) / 100;
    const examples = fareExamples(mean);
    const earlier = new AgentSide();
    await earlier.run(model(), 'Average fare to the cent', { input: { fares: [...TASK_FARES] }, examples });
    const written = earlier.tools.get('round_mean_fares_price_to_2') ?? expect.fail('no tool');
    expect(written.definition.description).toContain('[offline program] round(mean(pluck(get($, "fares"), "price")), 2)\n[offline rounding] decimal');

    const current = new AgentSide();
    current.tools.set(written.definition.name, written);
    expect((await current.run(model(), 'Average fare', { input: { fares: [...TASK_FARES] }, examples })).reused).toEqual(['round_mean_fares_price_to_2']);

    const legacy = new AgentSide();
    const description = written.definition.description.replace('\n[offline rounding] decimal', '');
    legacy.tools.set(written.definition.name, { ...written, definition: { ...written.definition, description } });
    const run = await legacy.run(model(), 'Average fare', { input: { fares: [...TASK_FARES] }, examples });
    // Not reused from its description: it proposes its own tool, and only the agent's check of
    // the old tool's real code on the examples (a "reused" outcome) brings the old one back.
    expect(run.results[0]?.toolCalls.map((call) => [call.name, (call.input as { name?: string }).name])).toEqual([['create_tool', 'round_mean_fares_price_to_2_2']]);
  });

  it('does not reuse a tool whose recorded program fails the new examples', async () => {
    const agent = new AgentSide();
    const shared = model();
    await agent.run(shared, 'Total the fares', { input: { fares: [...TASK_FARES] }, examples: fareExamples(total) });
    const run = await agent.run(shared, 'Count the fares over 300', { input: { fares: [...TASK_FARES] }, examples: fareExamples((fares) => countOver(fares, 300)) });
    expect(run.results[0]?.toolCalls[0]?.name).toBe('create_tool');
    expect(run.created).toEqual(['count_fares_where_price_over_300']);
  });

  it('calls the tool the agent names when it answers create_tool with a reused outcome', async () => {
    const agent = new AgentSide();
    // Hand-written, no recorded program: only the agent's own check can find it.
    agent.addTool(
      { name: 'total_fares', description: 'Adds up fare prices.', inputSchema: { type: 'object', properties: { fares: { type: 'array' } } } },
      (input) => ((input as { fares: { price: number }[] }).fares).reduce((sum, item) => sum + item.price, 0),
    );
    const run = await agent.run(model(), 'Total the fares', { input: { fares: [...TASK_FARES] }, examples: fareExamples(total) });
    const messages = run.requests[1]?.messages ?? [];
    const last = messages.at(-1);
    expect(last).toMatchObject({ role: 'tool', toolName: 'create_tool' });
    expect(createToolOutcomeSchema.parse(JSON.parse(last?.content ?? ''))).toMatchObject({ status: 'reused', tool: 'total_fares' });
    expect(run.results[1]?.toolCalls).toEqual([{ id: expect.any(String), name: 'total_fares', input: { fares: TASK_FARES } }]);
    expect(run.created).toEqual([]);
    expect(run.reused).toEqual(['total_fares']);
    expect(run.output).toBe(total(TASK_FARES));
  });

  it('gives a new tool another name when an active tool that does something else has the derived one', async () => {
    const agent = new AgentSide();
    agent.addTool({ name: 'sum_fares_price', description: 'Something else entirely.', inputSchema: { type: 'object' } }, () => -1);
    const run = await agent.run(model(), 'Total the fares', { input: { fares: [...TASK_FARES] }, examples: fareExamples(total) });
    expect(run.created).toEqual(['sum_fares_price_2']);
    expect(run.output).toBe(total(TASK_FARES));
  });

  it('wraps task data that is not an object: a plain list of numbers becomes { values }', async () => {
    const agent = new AgentSide();
    const run = await agent.run(model(), 'Add these up', {
      input: [229.92, 360.67, 118.4],
      examples: [
        { input: [1, 2, 3], output: 6 },
        { input: [10, 5], output: 15 },
      ],
    });
    expect(run.created).toEqual(['sum_values']);
    expect(run.results[1]?.toolCalls[0]?.input).toEqual({ values: [229.92, 360.67, 118.4] });
    expect(run.output).toBe(229.92 + 360.67 + 118.4);
  });

  describe('says plainly when it cannot solve a task, and never guesses', () => {
    const ask = async (task: GenerateRequest['task'], extra: Partial<GenerateRequest> = {}): Promise<string> => {
      const result = await model().generate({ messages: [{ role: 'user', content: 'do it' }], tools: [createToolDefinition], ...(task ? { task } : {}), ...extra });
      expect(result.toolCalls).toEqual([]);
      expect(result.finishReason).toBe('stop');
      expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
      return result.text;
    };

    it('without examples', async () => {
      const text = await ask({ text: 'Total the fares', input: { fares: [...TASK_FARES] } });
      expect(text).toMatch(cannot);
      expect(text).toContain('no examples');
    });

    it('without the task as data, or without an input', async () => {
      expect(await ask(undefined)).toMatch(/^I cannot solve this task: the request carries no task as data/);
      expect(await ask({ text: 'Total', examples: fareExamples(total) })).toBe('I cannot solve this task: the task has no input to apply a tool to.');
    });

    it('when no program within the limits reproduces the examples', async () => {
      const text = await ask({ text: 'Do something', input: [1, 2], examples: [{ input: [1, 2, 3], output: 17 }, { input: [5], output: 99 }] });
      expect(text).toMatch(cannot);
      expect(text).toContain('no program of size 9 or less');
    });

    it('when the inputs have different shapes', async () => {
      const text = await ask({ text: 'Total', input: { values: [1] }, examples: [{ input: [1, 2], output: 3 }] });
      expect(text).toMatch(/^I cannot solve this task: some inputs are objects and others are not/);
    });

    it('when it found a program but create_tool is not offered', async () => {
      const text = await ask({ text: 'Total', input: [1, 2], examples: [{ input: [1, 2, 3], output: 6 }] }, { tools: [] });
      expect(text).toBe('I cannot solve this task: the program sum(get($, "values")) reproduces the examples, but create_tool is not offered, so it cannot become a tool.');
    });

    it('when the request allows no tool calls', async () => {
      const text = await ask({ text: 'Total', input: [1, 2], examples: [{ input: [1, 2, 3], output: 6 }] }, { toolChoice: 'none' });
      expect(text).toMatch(/^I cannot solve this task: this request allows no tool calls/);
    });
  });

  describe('reads the results of its calls from the conversation', () => {
    const task = { text: 'Total the fares', input: { fares: [...TASK_FARES] }, examples: fareExamples(total) };
    const user: Message = { role: 'user', content: 'Total the fares' };
    const continueWith = (calls: { id: string; name: string; input: JsonValue }[], results: Message[], tools: ToolDefinition[] = [createToolDefinition]): Promise<string> =>
      model()
        .generate({ messages: [user, { role: 'assistant', content: '', toolCalls: calls }, ...results], tools, task })
        .then((result) => {
          expect(result.toolCalls).toEqual([]);
          return result.text;
        });
    const answerCall = { id: 'offline-answer-1-0', name: 'sum_fares_price', input: { fares: [...TASK_FARES] } };

    it('answers with the JSON of a successful result', async () => {
      const text = await continueWith([answerCall], [{ role: 'tool', toolCallId: answerCall.id, toolName: answerCall.name, content: '2 ' }]);
      expect(text).toBe('2');
    });

    it('reports a failed tool call instead of answering', async () => {
      const text = await continueWith([answerCall], [
        { role: 'tool', toolCallId: answerCall.id, toolName: answerCall.name, content: 'The tool failed with TIMEOUT: the run took longer than 1000 ms', isError: true },
      ]);
      expect(text).toBe('I cannot solve this task: the tool "sum_fares_price" failed: The tool failed with TIMEOUT: the run took longer than 1000 ms.');
    });

    const create = { id: 'offline-create-1-0', name: 'create_tool', input: { name: 'sum_fares_price' } };
    const outcome = (value: CreateToolOutcome, isError = value.status === 'refused'): Message => ({
      role: 'tool',
      toolCallId: create.id,
      toolName: 'create_tool',
      content: JSON.stringify(value),
      ...(isError ? { isError: true } : {}),
    });
    const sumFaresPrice: ToolDefinition = { name: 'sum_fares_price', description: 'Sums the fares.', inputSchema: { type: 'object' } };

    it('reports a refused create_tool with the reason from its outcome, whatever the message says', async () => {
      const text = await continueWith([create], [
        outcome({ status: 'refused', tool: 'sum_fares_price', reason: 'the safety policy denied it — bounded-evolution: too many tools', attemptsLeft: 2, message: 'Tool "sum_fares_price" is active.' }),
      ]);
      expect(text).toBe('I cannot solve this task: create_tool was refused: the safety policy denied it — bounded-evolution: too many tools.');
    });

    it('answers without the new tool when create_tool is refused, saying why, and registers nothing', async () => {
      const events: OfflineModelEvent[] = [];
      const offline = model({ onEvent: (event) => events.push(event) });
      const first = await offline.generate({ messages: [user], tools: [createToolDefinition], task });
      const [proposed] = first.toolCalls;
      if (proposed === undefined) throw new Error('the model proposed no tool');
      const throttle = 'the safety policy denied it — trajectory-acceleration: Throttled: … it may be proposed again at 2026-12-04T01:42:00.000Z (in 2 min).';
      const refused: Message = {
        role: 'tool',
        toolCallId: proposed.id,
        toolName: 'create_tool',
        content: JSON.stringify({ status: 'refused', tool: 'sum_fares_price', reason: throttle, attemptsLeft: 2, message: 'refused' }),
        isError: true,
      };
      const second = await offline.generate({ messages: [user, { role: 'assistant', content: '', toolCalls: first.toolCalls }, refused], tools: [createToolDefinition], task });
      expect(second.toolCalls).toEqual([]);
      expect(second.text).toBe(
        'Answered without a new tool, because create_tool was refused: the safety policy denied it — trajectory-acceleration: Throttled: … it may be proposed again at 2026-12-04T01:42:00.000Z (in 2 min). ' +
          `The program sum(pluck(get($, "fares"), "price")) reproduces all 3 example(s); run here, outside any tool (nothing was registered), on the task input it gives: ${JSON.stringify(total(TASK_FARES))}`,
      );
      expect(events.at(-1)).toEqual({ type: 'answered-without-tool', program: 'sum(pluck(get($, "fares"), "price"))', refusal: throttle.replace(/\.$/, '') });
    });

    it('does not answer from a refused create_tool whose program no longer reproduces the examples', async () => {
      const tampered = { ...create, input: { name: 'sum_fares_price', description: 'x\n[offline program] count(get($, "fares"))' } };
      const text = await continueWith([tampered], [
        outcome({ status: 'refused', tool: 'sum_fares_price', reason: 'the safety policy denied it — kill-switch: engaged', attemptsLeft: 2, message: 'refused' }),
      ]);
      expect(text).toBe('I cannot solve this task: create_tool was refused: the safety policy denied it — kill-switch: engaged.');
    });

    it('calls the created tool, read from the outcome rather than from its message', async () => {
      const result = await model().generate({
        messages: [user, { role: 'assistant', content: '', toolCalls: [create] }, outcome({ status: 'created', tool: 'sum_fares_price', version: 1, passed: 2, message: 'create_tool refused: nothing' })],
        tools: [sumFaresPrice, createToolDefinition],
        task,
      });
      expect(result.toolCalls).toEqual([{ id: 'offline-answer-2-0', name: 'sum_fares_price', input: { fares: TASK_FARES } }]);
    });

    it('says it cannot when create_tool answers something other than a CreateToolOutcome, or names a tool not offered', async () => {
      const prose = await continueWith([create], [{ role: 'tool', toolCallId: create.id, toolName: 'create_tool', content: 'Tool "sum_fares_price" v1 passed 2 example(s) and is active. Call it now.' }], [sumFaresPrice, createToolDefinition]);
      expect(prose).toMatch(/^I cannot solve this task: create_tool answered something other than a CreateToolOutcome/);
      const missing = await continueWith([create], [outcome({ status: 'created', tool: 'sum_fares_price', version: 1, passed: 2, message: 'ok' })]);
      expect(missing).toBe('I cannot solve this task: create_tool reported "sum_fares_price" created, but no such tool is offered.');
    });

    it('reports a tool that waits for approval, which it cannot call in this run', async () => {
      const agent = new AgentSide({ needsApproval: () => 'new tools need approval' });
      const run = await agent.run(model(), task.text, { input: task.input, examples: task.examples });
      expect(run.text).toBe(
        `I cannot solve this task: the tool "sum_fares_price" waits for a person's approval (request req-1), so it cannot be called in this run.`,
      );
      expect(run.created).toEqual([]);
    });

    it('reports a result that never came back, and calls it did not make', async () => {
      expect(await continueWith([answerCall], [])).toBe('I cannot solve this task: no result came back for the call of "sum_fares_price".');
      const foreign = { id: 'call_1', name: 'sum_fares_price', input: {} };
      expect(await continueWith([foreign], [{ role: 'tool', toolCallId: 'call_1', toolName: 'sum_fares_price', content: '1' }])).toBe(
        'I cannot solve this task: the conversation holds a call of "sum_fares_price" that the offline model did not make.',
      );
    });

    it('gives up after eight turns without an answer', async () => {
      const turns: Message[] = Array.from({ length: 8 }, (): Message => ({ role: 'assistant', content: 'thinking' }));
      const result = await model().generate({ messages: [user, ...turns], tools: [createToolDefinition], task });
      expect(result.text).toBe('I cannot solve this task: 8 turns passed without an answer.');
    });

    it('starts over when the last assistant turn made no calls', async () => {
      const result = await model().generate({ messages: [user, { role: 'assistant', content: 'hm' }], tools: [createToolDefinition], task });
      expect(result.toolCalls[0]?.name).toBe('create_tool');
      expect(result.toolCalls[0]?.id).toBe('offline-create-2-0');
    });
  });

  describe('when it cannot write a program, tries the existing tools whose schema accepts the examples', () => {
    // Sum of squares: no composition of the primitives computes it.
    const examples = [
      { input: [1, 2, 3], output: 14 },
      { input: [4], output: 16 },
      { input: [2, 5], output: 29 },
    ];
    const listSchema = { type: 'object', properties: { values: { type: 'array', items: { type: 'number' } } }, required: ['values'] };
    const values = (input: JsonValue): number[] => (input as { values: number[] }).values;

    it('calls each candidate on every example in one turn, then uses the one that reproduces them all', async () => {
      const agent = new AgentSide();
      agent.addTool({ name: 'sum_of_cubes', description: 'Cubes and adds.', inputSchema: listSchema }, (input) => values(input).reduce((sum, value) => sum + value ** 3, 0));
      agent.addTool({ name: 'lookup_city', description: 'Finds a city.', inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }, () => 'x');
      agent.addTool({ name: 'sum_of_squares', description: 'Squares and adds.', inputSchema: listSchema }, (input) => values(input).reduce((sum, value) => sum + value * value, 0));
      const events: OfflineModelEvent[] = [];
      const run = await agent.run(model({ onEvent: (event) => events.push(event) }), 'Sum of squares', { input: [3, 4], examples });
      const probes = run.results[0]?.toolCalls ?? [];
      expect(probes.map((call) => [call.name, call.input])).toEqual([
        ['sum_of_cubes', { values: [1, 2, 3] }],
        ['sum_of_cubes', { values: [4] }],
        ['sum_of_cubes', { values: [2, 5] }],
        ['sum_of_squares', { values: [1, 2, 3] }],
        ['sum_of_squares', { values: [4] }],
        ['sum_of_squares', { values: [2, 5] }],
      ]);
      expect(new Set(probes.map((call) => call.id)).size).toBe(6);
      expect(run.results[1]?.toolCalls.map((call) => [call.name, call.input])).toEqual([['sum_of_squares', { values: [3, 4] }]]);
      expect(run.output).toBe(25);
      expect(events.map((event) => event.type)).toEqual(['probing', 'reused']);
    });

    it('reads probe results in any order, and says it cannot when no candidate reproduces every example', async () => {
      const calls = [
        { id: 'offline-probe-1-0-e0', name: 'sum_of_cubes', input: { values: [1, 2, 3] } },
        { id: 'offline-probe-1-1-e1', name: 'sum_of_cubes', input: { values: [4] } },
        { id: 'offline-probe-1-2-e2', name: 'sum_of_cubes', input: { values: [2, 5] } },
      ];
      const results: Message[] = [
        { role: 'tool', toolCallId: 'offline-probe-1-2-e2', toolName: 'sum_of_cubes', content: '29' },
        { role: 'tool', toolCallId: 'offline-probe-1-0-e0', toolName: 'sum_of_cubes', content: '14' },
        { role: 'tool', toolCallId: 'offline-probe-1-1-e1', toolName: 'sum_of_cubes', content: 'The tool failed with THROWN: boom', isError: true },
      ];
      const task = { text: 'Sum of squares', input: [3, 4], examples };
      const failed = await model().generate({ messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: '', toolCalls: calls }, ...results], task });
      expect(failed.text).toBe('I cannot solve this task: no program within the limits reproduces the examples, and none of the tools tried (sum_of_cubes) reproduces them either.');

      const fixed = results.map((message) => (message.role === 'tool' && message.isError ? { ...message, content: '16', isError: false } : message));
      const passed = await model().generate({ messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: '', toolCalls: calls }, ...fixed], task });
      expect(passed.toolCalls.map((call) => [call.name, call.input, call.id])).toEqual([['sum_of_cubes', { values: [3, 4] }, 'offline-answer-2-0']]);
    });

    it('probes nothing when maxProbeTools is 0', async () => {
      const agent = new AgentSide();
      agent.addTool({ name: 'sum_of_squares', description: 'Squares and adds.', inputSchema: listSchema }, (input) => values(input).reduce((sum, value) => sum + value * value, 0));
      const run = await agent.run(model({ maxProbeTools: 0 }), 'Sum of squares', { input: [3, 4], examples });
      expect(run.steps).toBe(1);
      expect(run.text).toMatch(cannot);
    });
  });

  it('refuses structured-output requests with MODEL_UNSUPPORTED_REQUEST', async () => {
    const request: GenerateRequest = {
      messages: [{ role: 'user', content: 'Write one lesson' }],
      responseSchema: { name: 'lesson', schema: { type: 'object', properties: { lesson: { type: 'string' } } } },
    };
    const error = await model().generate(request).catch((caught: unknown) => caught);
    expect(ModelError.isInstance(error)).toBe(true);
    expect((error as ModelError).code).toBe('MODEL_UNSUPPORTED_REQUEST');
    expect((error as ModelError).message).toContain('"lesson"');
  });

  it('rejects an aborted request with MODEL_ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await model()
      .generate({ messages: [{ role: 'user', content: 'x' }], signal: controller.signal })
      .catch((caught: unknown) => caught);
    expect((error as ToolwrightError).code).toBe('MODEL_ABORTED');
  });

  it('validates its options and requests', async () => {
    expect(() => offlineModel({ maxProgramSize: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => offlineModel({ bogus: true } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const error = await model()
      .generate({ messages: [{ role: 'robot', content: 'x' }] } as never)
      .catch((caught: unknown) => caught);
    expect((error as ToolwrightError).code).toBe('INVALID_ARGUMENT');
  });

  it('reports what it decided through onEvent, and ignores a listener that throws', async () => {
    const events: OfflineModelEvent[] = [];
    const agent = new AgentSide();
    const listening = model({
      onEvent: (event) => {
        events.push(event);
        throw new Error('listener failure');
      },
    });
    await agent.run(listening, 'Total', { input: { fares: [...TASK_FARES] }, examples: fareExamples(total) });
    await agent.run(listening, 'Total', { input: { fares: [...TASK_FARES] }, examples: fareExamples(total) });
    await agent.run(listening, 'Total', { input: { fares: [...TASK_FARES] } });
    expect(events[0]).toMatchObject({ type: 'synthesised', tool: 'sum_fares_price', program: 'sum(pluck(get($, "fares"), "price"))', size: 4 });
    expect(events[1]).toEqual({ type: 'reused', tool: 'sum_fares_price', program: 'sum(pluck(get($, "fares"), "price"))' });
    expect(events[2]).toMatchObject({ type: 'cannot' });
    expect(events).toHaveLength(3);
  });
});
