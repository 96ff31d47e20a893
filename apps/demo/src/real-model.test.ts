import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createToolOutcomeSchema, type JsonValue } from '@toolwright/core';
import { chatCompletion, startChatServer, type ChatServer, type ChatServerReply, type ChatServerRequest } from '@toolwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoReport } from './demo.js';

// Issue 8: with TOOLWRIGHT_BASE_URL + TOOLWRIGHT_MODEL, scenario A's four fare tasks also run on
// that model, as the static baseline and self-improving, side by side. The model is a real
// OpenAI-compatible HTTP server on 127.0.0.1 that plays a language model (below); the demo is
// the built entry point in a child process, talking to it through the real `openai` client.
// Nothing of ours is mocked: sandbox, regression runner, policy and registry judge the tools
// this "model" writes exactly as they would judge a real model's.

const run = promisify(execFile);
const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
const directory = mkdtempSync(join(tmpdir(), 'toolwright-demo-real-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const MODEL = 'fare-llm-7b';
// Ground truth over the bundled fares (apps/demo/src/data/fares.ts), worked out by hand.
const TOTAL = 3228.87;
const OVER_300 = 5;
const TWO_CHEAPEST = 144.98; // 54.99 + 89.99

// ---------------------------------------------------------------------------------------------
// The model. It reads the task, its input and its examples from the prompt the agent sent, as a
// model would, and knows how to solve three kinds of fare task. Asked for a structured answer
// (the static baseline: `response_format`, no tools) it does the arithmetic "in its head" and,
// like real models on long sums, slips on the totals: it drops a carry (10 EUR short). Given
// tools, it writes a TypeScript tool through create_tool — or calls the tool when one by that
// name is already offered — then calls it, then answers with what the tool returned.

interface OpenAIMessage {
  readonly role: string;
  readonly content?: string | null;
  readonly tool_calls?: readonly { readonly id: string; readonly function: { readonly name: string; readonly arguments: string } }[];
  readonly tool_call_id?: string;
}

interface OpenAIRequestBody {
  readonly model: string;
  readonly messages: readonly OpenAIMessage[];
  readonly tools?: readonly { readonly function: { readonly name: string } }[];
  readonly response_format?: { readonly type: string; readonly json_schema?: { readonly name: string } };
}

interface Skill {
  readonly tool: string;
  readonly description: string;
  readonly source: string;
  /** The answer worked out without a tool, slips included. */
  readonly inHead: (prices: readonly number[]) => number;
}

const FARES_SCHEMA = {
  type: 'object',
  properties: { fares: { type: 'array', items: { type: 'object', properties: { price: { type: 'number' } }, required: ['price'] } } },
  required: ['fares'],
};
const cents = (value: number): number => Math.round(value * 100) / 100;
const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

function skillFor(task: string): Skill | undefined {
  if (/^Total the fares/.test(task)) {
    return {
      tool: 'total_fares',
      description: 'Sums the prices of a list of fares, in EUR, rounded to cents.',
      source: [
        'interface Fare {',
        '  readonly price: number;',
        '}',
        '',
        '/** The sum of the fares\' prices, rounded to cents. */',
        'export default function totalFares({ fares }: { fares: readonly Fare[] }): number {',
        '  const total = fares.reduce((sum, fare) => sum + fare.price, 0);',
        '  return Math.round(total * 100) / 100;',
        '}',
      ].join('\n'),
      inHead: (prices) => cents(sum(prices) - 10),
    };
  }
  const over = /^Count the fares over (\d+)/.exec(task);
  if (over) {
    const threshold = Number(over[1]);
    return {
      tool: `count_fares_over_${threshold}`,
      description: `Counts the fares priced over ${threshold} EUR.`,
      source: [
        `const THRESHOLD = ${threshold};`,
        '',
        'export default function countFaresOver({ fares }: { fares: { price: number }[] }): number {',
        '  return fares.filter((fare) => fare.price > THRESHOLD).length;',
        '}',
      ].join('\n'),
      inHead: (prices) => prices.filter((price) => price > threshold).length,
    };
  }
  const cheapest = /^Sum the (\d+) cheapest fares/.exec(task);
  if (cheapest) {
    const count = Number(cheapest[1]);
    return {
      tool: `sum_${count}_cheapest_fares`,
      description: `Sums the prices of the ${count} cheapest fares, in EUR, rounded to cents.`,
      source: [
        `const HOW_MANY = ${count};`,
        '',
        'export default function sumCheapestFares({ fares }: { fares: { price: number }[] }): number {',
        '  const prices = fares.map((fare) => fare.price).sort((a, b) => a - b);',
        '  const total = prices.slice(0, HOW_MANY).reduce((sum, price) => sum + price, 0);',
        '  return Math.round(total * 100) / 100;',
        '}',
      ].join('\n'),
      inHead: (prices) => cents(sum([...prices].sort((a, b) => a - b).slice(0, count))),
    };
  }
  return undefined;
}

/** The task, its input and its examples, out of the user message the agent wrote. */
function readPrompt(content: string): { task: string; input: { fares: { price: number }[] }; examples: { input: JsonValue; output: JsonValue }[] } {
  const [task = '', ...sections] = content.split('\n\n');
  const section = (title: string): string => {
    const found = sections.find((text) => text.startsWith(`${title}\n`));
    return found === undefined ? '' : found.slice(title.length + 1);
  };
  const examples = section('Examples (input → expected output):')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [input = 'null', output = 'null'] = line.split(' → ');
      return { input: JSON.parse(input) as JsonValue, output: JSON.parse(output) as JsonValue };
    });
  // A large input comes as a preview and a reference the agent resolves ({"$ref":"input"}); the
  // compact examples are left out of the spec, and create_tool tests on the task's own.
  const inline = section('Input (JSON):');
  return { task, input: inline === '' ? ({ $ref: 'input' } as never) : (JSON.parse(inline) as { fares: { price: number }[] }), examples };
}

function reply(body: OpenAIRequestBody, answer: { content: string } | { call: string; input: JsonValue }): ChatServerReply {
  const said = 'content' in answer ? answer.content : JSON.stringify(answer.input);
  // Tokens as a tokenizer would roughly count them: about 4 characters a token.
  const usage = { promptTokens: Math.ceil(JSON.stringify([body.messages, body.tools ?? []]).length / 4), completionTokens: Math.ceil(said.length / 4) + 1 };
  return 'content' in answer
    ? chatCompletion({ content: answer.content, usage, model: body.model })
    : chatCompletion({ toolCalls: [{ id: `call_${body.messages.length}`, name: answer.call, arguments: said }], usage, model: body.model });
}

function fareModel(request: ChatServerRequest): ChatServerReply {
  const body = request.body as unknown as OpenAIRequestBody;
  const prompt = readPrompt(body.messages.find((message) => message.role === 'user')?.content ?? '');
  const skill = skillFor(prompt.task);
  if (!skill) return reply(body, { content: 'I cannot solve this task.' });
  if (body.response_format) return reply(body, { content: JSON.stringify({ answer: skill.inHead(prompt.input.fares.map((fare) => fare.price)) }) });

  const offered = (body.tools ?? []).map((tool) => tool.function.name);
  const last = body.messages.at(-1);
  if (last?.role === 'user') {
    if (offered.includes(skill.tool)) return reply(body, { call: skill.tool, input: prompt.input });
    return reply(body, {
      call: 'create_tool',
      input: { name: skill.tool, description: skill.description, inputSchema: FARES_SCHEMA, source: skill.source, capabilities: [], examples: prompt.examples },
    });
  }
  const asked = body.messages.at(-2)?.tool_calls?.find((call) => call.id === last?.tool_call_id);
  const result = last?.content ?? '';
  if (asked?.function.name === 'create_tool') {
    // The agent answers create_tool with a CreateToolOutcome (JSON): created or reused → call that tool.
    const outcome = createToolOutcomeSchema.safeParse(JSON.parse(result));
    const named = outcome.success && (outcome.data.status === 'created' || outcome.data.status === 'reused') ? outcome.data.tool : undefined;
    if (named && offered.includes(named)) return reply(body, { call: named, input: prompt.input });
    return reply(body, { content: `I could not write the tool: ${result}` });
  }
  return reply(body, { content: result });
}

// ---------------------------------------------------------------------------------------------

let server: ChatServer;
beforeAll(async () => {
  server = await startChatServer(fareModel);
});
afterAll(() => server.close());

/** The built demo against the server, with no OPENAI_API_KEY (a local server needs none). */
async function demo(args: readonly string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, TOOLWRIGHT_BASE_URL: server.baseURL, TOOLWRIGHT_MODEL: MODEL };
  delete env['OPENAI_API_KEY'];
  delete env['OPENAI_BASE_URL'];
  const { stdout } = await run(process.execPath, [main, ...args], { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

const bodyOf = (request: ChatServerRequest): OpenAIRequestBody => request.body as unknown as OpenAIRequestBody;

describe('the demo on a real model over an OpenAI-compatible server (TOOLWRIGHT_BASE_URL + TOOLWRIGHT_MODEL)', () => {
  it('runs the fare tasks as the static baseline and self-improving, beside the unchanged offline results', async () => {
    const before = server.requests.length;
    const report = JSON.parse(await demo(['--json', '--db', `sqlite:${join(directory, 'json.sqlite')}`])) as DemoReport;
    const a = report.scenarioA;
    const real = a.realModel;
    expect(real?.model).toBe(MODEL);
    if (!real) return;

    // Static baseline: a structured numeric answer, no tools, tokens counted; the slipped totals are not exact.
    expect(real.baseline.map((row) => [row.mode, row.model, row.tool, row.toolName])).toEqual(Array(4).fill(['static baseline', MODEL, 'none', undefined]));
    expect(real.baseline.every((row) => row.tokens > 0)).toBe(true);
    expect(real.baseline.map((row) => row.exact)).toEqual([false, true, true, false]);
    expect(real.baseline[0]?.answer).toBeCloseTo(TOTAL - 10, 6);
    expect(real.baseline[1]?.answer).toBe(OVER_300);
    expect(real.baseline[2]?.answer).toBeCloseTo(TWO_CHEAPEST, 6);

    // Self-improving on the same model: three tools written and proven, the first reused, every answer exact.
    const self = real.selfImproving;
    expect(self.map((row) => [row.mode, row.model, row.tool, row.toolName])).toEqual([
      ['self-improving', MODEL, 'built', 'total_fares'],
      ['self-improving', MODEL, 'built', 'count_fares_over_300'],
      ['self-improving', MODEL, 'built', 'sum_2_cheapest_fares'],
      ['self-improving', MODEL, 'reused', 'total_fares'],
    ]);
    expect(self.map((row) => row.exact)).toEqual([true, true, true, true]);
    expect(self.map((row) => row.truth)).toEqual(real.baseline.map((row) => row.truth));
    expect(self[0]?.answer).toBeCloseTo(TOTAL, 6);
    expect(self[3]?.answer).toBeCloseTo(TOTAL, 6);
    expect(self.every((row) => row.tokens > 0)).toBe(true);
    // Reusing costs fewer model turns, so fewer tokens, than writing the tool did.
    expect(self[3]?.tokens).toBeLessThan(self[0]?.tokens ?? 0);

    // What went over the wire: 4 baseline requests (json_schema, no tools), 3 turns for each new
    // tool (create_tool, call, answer) and 2 for the reuse (call, answer), all for the named model.
    const requests = server.requests.slice(before).map(bodyOf);
    expect(requests.map((body) => body.model)).toEqual(Array(4 + 3 * 3 + 2).fill(MODEL));
    const baseline = requests.filter((body) => body.response_format);
    expect(baseline.map((body) => [body.response_format?.type, body.response_format?.json_schema?.name, body.tools])).toEqual(Array(4).fill(['json_schema', 'answer', undefined]));
    const firstTurns = requests.filter((body) => !body.response_format && body.messages.at(-1)?.role === 'user');
    expect(firstTurns).toHaveLength(4);
    const again = firstTurns[3];
    expect(again?.messages.at(-1)?.content).toMatch(/^Total the fares again\./);
    expect(again?.tools?.map((tool) => tool.function.name)).toEqual(expect.arrayContaining(['total_fares', 'count_fares_over_300', 'sum_2_cheapest_fares', 'create_tool']));

    // The offline run is what it is without a model: 4/4 exact, 3 built, 1 reused, no tokens; scenario B repairs as before.
    expect([a.exact, a.built, a.reused]).toEqual([4, 3, 1]);
    expect(a.rows.map((row) => [row.mode, row.model, row.tool, row.tokens])).toEqual([
      ['self-improving', 'offline-synthesis', 'built', 0],
      ['self-improving', 'offline-synthesis', 'built', 0],
      ['self-improving', 'offline-synthesis', 'built', 0],
      ['self-improving', 'offline-synthesis', 'reused', 0],
    ]);
    expect(a.rows.map((row) => row.truth)).toEqual(real.baseline.map((row) => row.truth));
    const b = report.scenarioB;
    expect(b.promotedVersion).toBe(2);
    expect(b.v2?.successRate).toBe(1);
    expect(b.v1?.successRate).toBeLessThan(0.5);
    expect([b.activeAfterRollback, b.activeAfterForward]).toEqual([1, 2]);
  });

  it('prints the three runs side by side, per task and in total', async () => {
    const stdout = await demo(['--db', `sqlite:${join(directory, 'printed.sqlite')}`]);
    const lines = stdout.split('\n');
    const header = lines.findIndex((line) => /^task\s+truth(\s+answer\s+exact\s+tokens\s+tool){3}\s*$/.test(line));
    expect(header).toBeGreaterThan(0);
    expect(lines[header - 1]).toMatch(new RegExp(`^\\s+offline \\(offline-synthesis\\)\\s+static baseline \\(${MODEL}\\)\\s+self-improving \\(${MODEL}\\)\\s*$`));
    const cells = (task: string): string[] => (lines.find((line) => line.startsWith(task)) ?? '').trim().split(/\s{2,}/);
    const total = cells('Total the fares.');
    expect(total).toHaveLength(14);
    expect(total.slice(0, 6)).toEqual(['Total the fares.', String(TOTAL), String(TOTAL), 'yes', '0', 'built']);
    expect(total.slice(6)).toEqual([String(cents(TOTAL - 10)), 'NO', expect.stringMatching(/^[1-9]\d*$/), 'none', String(TOTAL), 'yes', expect.stringMatching(/^[1-9]\d*$/), 'built']);
    expect(cells('Total the fares again.')).toEqual([
      'Total the fares again.', String(TOTAL), String(TOTAL), 'yes', '0', 'reused',
      String(cents(TOTAL - 10)), 'NO', expect.stringMatching(/^[1-9]\d*$/), 'none',
      String(TOTAL), 'yes', expect.stringMatching(/^[1-9]\d*$/), 'reused',
    ]);

    expect(stdout).toMatch(/^mode\s+exact\s+tokens\s+built\s+reused\s*$/m);
    expect(stdout).toMatch(/^offline \(offline-synthesis\)\s+4\/4\s+0\s+3\s+1\s*$/m);
    expect(stdout).toMatch(new RegExp(`^static baseline \\(${MODEL}\\)\\s+2/4\\s+[1-9]\\d*\\s+0\\s+0\\s*$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^self-improving \\(${MODEL}\\)\\s+4/4\\s+[1-9]\\d*\\s+3\\s+1\\s*$`, 'm'));
    // One comparison, not the offline table followed by one table per mode.
    expect(stdout).not.toContain('tool(s) built');
    expect(stdout).not.toContain(`--- ${MODEL}`);
  });
});
