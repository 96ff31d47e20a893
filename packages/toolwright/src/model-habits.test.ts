import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, createToolOutcomeSchema, partialRunOf, type Agent, type AgentEvent, type CreateAgentOptions, type JsonValue } from '@toolwright/core';
import { openaiModel } from '@toolwright/core/openai';
import { chatCompletion, chatError, startChatServer, type ChatServer, type ChatServerReply, type ChatServerRequest } from '@toolwright/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createToolwright, type Toolwright } from './create-toolwright.js';

// Issue 23: a real, small model's habits, over the real `openai` client and a loopback
// OpenAI-compatible server, against the real parts (SQLite, isolated-vm sandbox, the gate and
// its policy, the regression runner). The agent is core's createAgent over the Toolwright's
// parts, so that its deadlines can be set.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-habits-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let databases = 0;

const servers: ChatServer[] = [];
const open: Toolwright[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((toolwright) => toolwright.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface WireMessage {
  readonly role: string;
  readonly content: string | null;
  readonly tool_call_id?: string;
}
interface WireBody {
  readonly messages: readonly WireMessage[];
  readonly tools?: readonly { readonly function: { readonly name: string } }[];
}
const bodyOf = (request: ChatServerRequest | undefined): WireBody => (request?.body ?? { messages: [] }) as unknown as WireBody;
const toolNames = (request: ChatServerRequest | undefined): string[] => (bodyOf(request).tools ?? []).map((tool) => tool.function.name);
const lastContent = (request: ChatServerRequest | undefined): string => bodyOf(request).messages.at(-1)?.content ?? '';

type Reply = ChatServerReply | ((request: ChatServerRequest) => ChatServerReply);
const call = (name: string, input: JsonValue | string, usage?: [number, number]): ChatServerReply =>
  chatCompletion({ toolCalls: [{ name, arguments: typeof input === 'string' ? input : JSON.stringify(input) }], ...(usage ? { usage: { promptTokens: usage[0], completionTokens: usage[1] } } : {}) });
const say = (content: string, usage?: [number, number]): ChatServerReply => chatCompletion({ content, ...(usage ? { usage: { promptTokens: usage[0], completionTokens: usage[1] } } : {}) });

/** The real parts, an agent over them and a loopback model that answers `replies` in order. */
async function start(replies: readonly Reply[], options: Partial<CreateAgentOptions> = {}, modelOptions: { timeoutMs?: number; maxRetries?: number } = {}) {
  const server = await startChatServer((request, index) => {
    const reply = replies[index];
    if (reply === undefined) return chatError(500, `the test scripted ${replies.length} replies; reply ${index + 1} was not expected`);
    return typeof reply === 'function' ? reply(request) : reply;
  });
  servers.push(server);
  const model = openaiModel({ model: 'small-model', baseURL: server.baseURL, apiKey: 'test', initialRetryDelayMs: 1, maxRetries: 0, ...modelOptions });
  const tw = await createToolwright({ database: `sqlite:${join(directory, `db-${++databases}.sqlite`)}`, model, improve: false, reflect: false });
  open.push(tw);
  const events: AgentEvent[] = [];
  const agent: Agent = createAgent({
    model,
    sandbox: tw.sandbox,
    memory: tw.memory,
    registry: tw.registry,
    evaluator: tw.evaluator,
    rewriter: tw.rewriter,
    regression: tw.regression,
    gate: tw.gate,
    improve: false,
    reflect: false,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { server, tw, agent, events };
}

const SOURCE = 'export default function totalFares({ fares }: { fares: number[] }): number {\n  return Math.round(fares.reduce((sum, fare) => sum + fare, 0) * 100) / 100;\n}';
const SPEC = {
  name: 'total_fares',
  description: 'Sums a list of fares, rounded to cents.',
  inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] },
  source: SOURCE,
  examples: [
    { input: { fares: [1, 2] }, output: 3 },
    { input: { fares: [229.92, 360.67] }, output: 590.59 },
  ],
};
const FARES = { fares: [229.92, 360.67, 99.5] };

describe('a model whose response body stalls after its headers', () => {
  it('ends the turn with MODEL_TIMEOUT within turnTimeoutMs, though the client timeout is a minute, with what the run did', async () => {
    const { agent, server } = await start(
      [call('create_tool', SPEC, [300, 120]), { ...say('690.09'), stallBody: true }],
      // Long enough for turn 1's real loopback request on a loaded machine (400 ms was not), far below the client's minute.
      { turnTimeoutMs: 2_000 },
      { timeoutMs: 60_000 },
    );
    const error = await agent.run('Total these fares', { input: FARES }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'MODEL_TIMEOUT', details: { step: 2, turnTimeoutMs: 2_000 } });
    expect(server.requests).toHaveLength(2);
    const partial = partialRunOf(error);
    expect(partial).toMatchObject({ failedAtStep: 2, createdTools: ['total_fares'], tokens: { input: 300, output: 120, unknown: true } });
    expect(partial?.steps).toHaveLength(1);
  });

  it('ends the run with AGENT_TIMEOUT at the run deadline, the run option overriding the agent default', async () => {
    const { agent } = await start([{ ...say('690.09'), stallBody: true }], { turnTimeoutMs: 60_000 });
    const error = await agent.run('Total these fares', { input: FARES, timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'AGENT_TIMEOUT', details: { runTimeoutMs: 300, step: 1 } });
    expect(partialRunOf(error)?.tokens).toEqual({ input: 0, output: 0, unknown: true });
  });
});

describe('createToolwright passes the deadlines and the inline limit to its agent', () => {
  it('ends a stalled turn with MODEL_TIMEOUT at its turnTimeoutMs', async () => {
    const server = await startChatServer(() => ({ ...say('690.09'), stallBody: true }));
    servers.push(server);
    const model = openaiModel({ model: 'small-model', baseURL: server.baseURL, apiKey: 'test', maxRetries: 0, timeoutMs: 60_000 });
    const tw = await createToolwright({ database: `sqlite:${join(directory, `db-${++databases}.sqlite`)}`, model, improve: false, reflect: false, turnTimeoutMs: 300, inlineInputLimit: 0 });
    open.push(tw);
    const error = await tw.run('Total these fares', { input: FARES }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'MODEL_TIMEOUT', details: { turnTimeoutMs: 300 } });
    // inlineInputLimit 0: even this small input reaches the model as a reference, not inline.
    expect(lastContent(server.requests[0])).not.toContain('360.67');
  });
});

describe('a model that sends a failed tool again', () => {
  it('gets the first refusal reason the second time, not an internal registry error', async () => {
    const wrong = { ...SPEC, source: 'export default ({ fares }: { fares: number[] }) => fares.length;' };
    const { agent, server, tw } = await start([call('create_tool', wrong), call('create_tool', wrong), say('I cannot write it.')]);
    const result = await agent.run('Total these fares', { input: FARES });
    expect(result.createdTools).toEqual([]);
    const first = createToolOutcomeSchema.parse(JSON.parse(lastContent(server.requests[1])));
    const second = createToolOutcomeSchema.parse(JSON.parse(lastContent(server.requests[2])));
    expect(first).toMatchObject({ status: 'refused', attemptsLeft: 2 });
    expect(second).toMatchObject({ status: 'refused', attemptsLeft: 1 });
    if (first.status !== 'refused' || second.status !== 'refused') return;
    expect(first.reason).toContain('it failed its examples');
    expect(second.reason).toContain('This exact content was rejected before as v1');
    expect(second.reason).not.toContain('REGISTRY_INVALID_TRANSITION');
    expect(second.reason).not.toContain('safety policy denied');
    expect((await tw.registry.history('total_fares')).map((version) => version.status)).toEqual(['rejected']);
  });
});

describe('a model that wraps its source in Markdown', () => {
  it('has a ```ts fence and the prose around it removed, and the tool compiles', async () => {
    const fenced = { ...SPEC, source: `Here is the tool:\n\`\`\`ts\n${SOURCE}\n\`\`\`\nIt sums the fares and rounds to cents.` };
    const { agent, tw } = await start([call('create_tool', fenced), call('total_fares', FARES), say('690.09')]);
    const result = await agent.run('Total these fares', { input: FARES });
    expect(result.createdTools).toEqual(['total_fares']);
    expect(result.output).toBe(690.09);
    expect((await tw.registry.active('total_fares'))?.source).toBe(SOURCE);
  });

  it('is told about the fence when the code inside it is still refused', async () => {
    const fenced = { ...SPEC, source: '```typescript\nexport const total = 1;\n```' };
    const { agent, server } = await start([call('create_tool', fenced), say('I cannot.')]);
    await agent.run('Total these fares', { input: FARES });
    const outcome = createToolOutcomeSchema.parse(JSON.parse(lastContent(server.requests[1])));
    expect(outcome.status).toBe('refused');
    if (outcome.status !== 'refused') return;
    expect(outcome.reason).toContain('SANDBOX_NO_DEFAULT_EXPORT');
    expect(outcome.reason).toContain('the source came in a ```typescript fence; it was removed before compiling');
  });
});

describe('a model whose create_tool arguments are not JSON', () => {
  it('uses up an attempt each time, and create_tool is no longer offered after the limit', async () => {
    const broken = '{"name":"total_fares","source":"export default () => {\n  return 1;\n}"';
    const { agent, server, events } = await start([call('create_tool', broken), call('create_tool', broken), call('create_tool', broken), say('I could not write the tool.')]);
    const result = await agent.run('Total these fares', { input: FARES });
    expect(result.output).toBe('I could not write the tool.');
    expect(server.requests).toHaveLength(4);
    expect(events.filter((event) => event.type === 'tool-refused').map((event) => event.type === 'tool-refused' && event.attemptsLeft)).toEqual([2, 1, 0]);
    expect(toolNames(server.requests[2])).toContain('create_tool');
    expect(toolNames(server.requests[3])).not.toContain('create_tool');
    const outcome = createToolOutcomeSchema.parse(JSON.parse(lastContent(server.requests[1])));
    expect(outcome).toMatchObject({ status: 'refused', attemptsLeft: 2 });
    expect(outcome.status === 'refused' && outcome.reason).toMatch(/^the arguments were not valid JSON/);
  });
});

describe('a model server that fails mid-run', () => {
  it('reports the tokens, the trace and the tool left active on the error', async () => {
    const { agent, tw } = await start([call('create_tool', SPEC, [900, 400]), call('total_fares', FARES, [60, 10]), chatError(400, 'context length exceeded')]);
    const error = await agent.run('Total these fares', { input: FARES }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'MODEL_REQUEST_FAILED' });
    expect((error as Error).message).toContain('created total_fares (still active)');
    const partial = partialRunOf(error);
    expect(partial).toMatchObject({ failedAtStep: 3, createdTools: ['total_fares'], tokens: { input: 960, output: 410, unknown: true } });
    expect(partial?.steps.map((step) => step.toolCalls)).toEqual([['create_tool'], ['total_fares']]);
    expect(partial?.toolCalls).toMatchObject([{ name: 'total_fares', ok: true, output: 690.09 }]);
    expect((await tw.registry.active('total_fares'))?.version).toBe(1);
  });
});

describe('a model server that reports no usage', () => {
  it('marks the run tokens unknown instead of reading 0', async () => {
    const { agent } = await start([call('create_tool', SPEC), call('total_fares', FARES, [50, 5]), say('690.09', [60, 2])]);
    const result = await agent.run('Total these fares', { input: FARES });
    expect(result.tokens).toEqual({ input: 110, output: 7, unknown: true });
    expect(result.steps[0]?.usage).toEqual({ inputTokens: 0, outputTokens: 0, unknown: true });
    expect(result.steps[1]?.usage).toEqual({ inputTokens: 50, outputTokens: 5 });
  });

  it('leaves the flag out when every turn was counted', async () => {
    const { agent } = await start([say('42', [10, 1])]);
    expect((await agent.run('What is six times seven?')).tokens).toEqual({ input: 10, output: 1 });
  });
});

describe('a model that answers in prose', () => {
  it("takes the tool's exact output when the prose quotes it, and says which call backs it", async () => {
    const { agent } = await start([call('create_tool', SPEC), call('total_fares', FARES), say('The total of the three fares is 690.09 EUR.')]);
    const result = await agent.run('Total these fares', { input: FARES });
    expect(result.output).toBe(690.09);
    expect(result.text).toBe('The total of the three fares is 690.09 EUR.');
    expect(result.verification).toEqual({ status: 'verified', tool: 'total_fares', version: 1, step: 2, from: 'prose' });
  });

  it('flags a number guessed without any tool as unverified', async () => {
    const { agent } = await start([say('About 700 EUR.')]);
    const result = await agent.run('Total these fares', { input: FARES });
    expect(result.output).toBe('About 700 EUR.');
    expect(result.verification).toEqual({ status: 'unverified', reason: "no tool ran in this run: the answer is the model's own" });
  });

  it('flags a JSON answer that differs from the tool output as unverified', async () => {
    const { agent } = await start([call('create_tool', SPEC), call('total_fares', FARES), say('700')]);
    const result = await agent.run('Total these fares', { input: FARES });
    expect(result.output).toBe(700);
    expect(result.verification).toEqual({ status: 'unverified', reason: 'the answer equals no tool output of this run' });
  });
});

describe('a large task input', () => {
  it('is shown as a preview and passed to the tool by reference, once, not re-sent with every turn', async () => {
    const fares = Array.from({ length: 150 }, (_, index) => 100 + index);
    const { agent, server } = await start([call('create_tool', SPEC), call('total_fares', '{"$ref":"input"}'), say('26175')]);
    const result = await agent.run('Total these fares', { input: { fares } });
    expect(result.output).toBe(26175);
    expect(result.verification).toMatchObject({ status: 'verified', tool: 'total_fares' });
    expect(result.toolCalls[0]?.input).toEqual({ fares });
    const user = bodyOf(server.requests[0]).messages.find((message) => message.role === 'user')?.content ?? '';
    expect(user).toContain('{"fares":[100, …150 items]}');
    expect(user).toContain('Pass it to tools as {"$ref":"input"}.');
    expect(user).not.toContain(JSON.stringify(fares));
  });

  it('answers a reference that names nothing with the keys there are', async () => {
    const fares = Array.from({ length: 150 }, (_, index) => 100 + index);
    const { agent, server, tw } = await start([call('total_fares', '{"fares":{"$ref":"input.prices"}}'), say('I cannot.')]);
    await tw.gate.propose({ kind: 'create-tool', origin: 'person', name: 'total_fares', source: SOURCE, spec: { language: 'ts', capabilities: [], examples: SPEC.examples, name: SPEC.name, description: SPEC.description, inputSchema: SPEC.inputSchema } as never }, { by: 'integrator' });
    const result = await agent.run('Total these fares', { input: { fares } });
    expect(result.toolCalls).toEqual([]);
    expect(lastContent(server.requests[1])).toBe('{"$ref":"input.prices"} names nothing in the task input (its keys: fares). Pass {"$ref":"input"} for the whole task input, or the data itself.');
  });
});
