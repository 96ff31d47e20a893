// Prompt tokens of the seed's four fare tasks (3 tools built, 1 reused), counted with a real
// o200k_base tokenizer, next to the static baseline (structured output, no tools).
//
// Run from packages/core:  npx vitest bench --run bench/fare-tasks-tokens.bench.ts
// Results are recorded in the package README ("Token cost").
//
// The model is a loopback OpenAI-compatible HTTP server that imitates a well-behaved small
// model: it writes the tool a task needs (or calls the one it sees), follows what the prompt
// says about passing data and examples, and answers with the tool's output. Every request the
// real `openai` client sends is counted: each message's role and content (and tool calls as
// their JSON) with gpt-tokenizer's countChatCompletionTokens for gpt-4o-mini (o200k_base),
// which renders the tool definitions the way OpenAI bills them (tool calls as function calls,
// tool results as function messages). A structured-output schema is added as its JSON.
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { countChatCompletionTokens, type ChatCompletionFunctionDefinition, type ChatMessage } from 'gpt-tokenizer/model/gpt-4o-mini';
import { bench, describe } from 'vitest';
import { z } from 'zod';
import { createAgent } from '../src/agent/agent.js';
import { fixedEvaluator, fixedRewriter, inMemoryParts } from '../src/agent/test-support/parts.js';
import type { JsonValue } from '../src/index.js';
import { openaiModel } from '../src/openai.js';
import { chatCompletion, startChatServer, type ChatServerReply, type ChatServerRequest } from '../src/testing/index.js';
import { asInput, examplesFor, FARE_TASKS, FARES } from './fare-tasks.js';

interface WireMessage {
  readonly role: string;
  readonly content: string | null;
  readonly tool_calls?: readonly { readonly id: string; readonly function: { readonly name: string; readonly arguments: string } }[];
  readonly tool_call_id?: string;
}
interface WireRequest {
  readonly messages: readonly WireMessage[];
  readonly tools?: readonly { readonly function: ChatCompletionFunctionDefinition }[];
  readonly response_format?: unknown;
}

/** Prompt tokens of one Chat Completions request. */
function promptTokens(body: WireRequest): number {
  const names = new Map<string, string>();
  const messages: ChatMessage[] = [];
  for (const message of body.messages) {
    if (message.role === 'assistant' && message.tool_calls && message.tool_calls.length > 0) {
      if (message.content) messages.push({ role: 'assistant', content: message.content });
      for (const call of message.tool_calls) {
        names.set(call.id, call.function.name);
        messages.push({ role: 'assistant', content: '', function_call: { name: call.function.name, arguments: call.function.arguments } });
      }
    } else if (message.role === 'tool') {
      messages.push({ role: 'function', name: names.get(message.tool_call_id ?? '') ?? 'tool', content: message.content ?? '' });
    } else {
      messages.push({ role: message.role, content: message.content ?? '' });
    }
  }
  const functions = (body.tools ?? []).map((tool) => tool.function);
  const tokens = countChatCompletionTokens({ messages, ...(functions.length > 0 ? { functions } : {}) });
  return tokens + (body.response_format ? countTokens(JSON.stringify(body.response_format)) : 0);
}

let callIds = 0;
/** The well-behaved model's answer to one request, with its usage counted by the tokenizer. */
function wellBehaved(request: ChatServerRequest): ChatServerReply {
  const body = request.body as unknown as WireRequest;
  const prompt = promptTokens(body);
  const user = body.messages.find((message) => message.role === 'user')?.content ?? '';
  const task = FARE_TASKS.find((candidate) => user.startsWith(candidate.text));
  if (!task) throw new Error(`no fare task in: ${user.slice(0, 80)}`);
  const reply = (options: { content?: string; call?: { name: string; arguments: string } }): ChatServerReply => {
    const completion = countTokens(options.content ?? '') + (options.call ? countTokens(options.call.name) + countTokens(options.call.arguments) : 0);
    return chatCompletion({
      content: options.content ?? null,
      ...(options.call ? { toolCalls: [{ id: `call_${++callIds}`, ...options.call }] } : {}),
      usage: { promptTokens: prompt, completionTokens: completion },
    });
  };
  if (body.response_format) return reply({ content: JSON.stringify({ answer: task.truth(FARES) }) });

  // The task's data, as the prompt says to pass it: by reference when it offers one.
  const reference = /\{"\$ref":"input"\}/.test(user);
  const taskArgument = reference ? '{"$ref":"input"}' : JSON.stringify(asInput(FARES));
  const last = body.messages.at(-1);
  if (last?.role === 'tool') {
    const call = body.messages.flatMap((message) => message.tool_calls ?? []).find((item) => item.id === last.tool_call_id);
    if (call?.function.name === 'create_tool') {
      const outcome = JSON.parse(last.content ?? '{}') as { status: string; tool: string };
      if (outcome.status === 'created' || outcome.status === 'reused') return reply({ call: { name: outcome.tool, arguments: taskArgument } });
      throw new Error(`create_tool was ${outcome.status}: ${last.content}`);
    }
    return reply({ content: last.content ?? '' });
  }
  if (body.tools?.some((tool) => tool.function.name === task.tool.name)) return reply({ call: { name: task.tool.name, arguments: taskArgument } });
  // Examples are repeated in the spec unless the prompt says create_tool takes the task's own.
  const examplesByDefault = /create_tool tests on them when you give none/i.test(user);
  const spec = {
    name: task.tool.name,
    description: task.tool.description,
    inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'object' } } }, required: ['fares'] },
    source: task.tool.source,
    ...(examplesByDefault ? {} : { examples: examplesFor(task) }),
  };
  return reply({ call: { name: 'create_tool', arguments: JSON.stringify(spec) } });
}

interface Row {
  readonly task: string;
  readonly requests: number;
  readonly prompt: number;
  readonly completion: number;
  readonly answer: JsonValue;
  readonly exact: boolean;
  readonly tools: string;
}

async function fourTasks(mode: 'self-improving' | 'static baseline'): Promise<Row[]> {
  const server = await startChatServer((request) => wellBehaved(request));
  const parts = inMemoryParts();
  const model = openaiModel({ model: 'well-behaved-small-model', baseURL: server.baseURL, apiKey: 'bench' });
  const agent = createAgent({
    model,
    sandbox: parts.sandbox,
    memory: parts.memory,
    registry: parts.registry,
    evaluator: fixedEvaluator('healthy'),
    rewriter: fixedRewriter([]),
    regression: parts.regression,
    gate: parts.gate,
    improve: false,
    reflect: false,
  });
  const rows: Row[] = [];
  try {
    for (const task of FARE_TASKS) {
      const before = server.requests.length;
      const result =
        mode === 'static baseline'
          ? await agent.run(task.text, { input: asInput(FARES), examples: examplesFor(task), tools: 'none', schema: z.object({ answer: z.number() }) })
          : await agent.run(task.text, { input: asInput(FARES), examples: examplesFor(task) });
      const answer = mode === 'static baseline' ? (result.output as { answer: number }).answer : result.output;
      rows.push({
        task: task.text,
        requests: server.requests.length - before,
        prompt: result.tokens.input,
        completion: result.tokens.output,
        answer,
        exact: typeof answer === 'number' && Math.abs(answer - task.truth(FARES)) < 1e-6,
        tools: result.createdTools.length > 0 ? `built ${result.createdTools.join(', ')}` : result.reusedTools.length > 0 ? `reused ${result.reusedTools.join(', ')}` : 'none',
      });
    }
  } finally {
    await agent.close();
    await server.close();
  }
  return rows;
}

function print(mode: string, rows: readonly Row[]): { prompt: number; completion: number } {
  const prompt = rows.reduce((sum, row) => sum + row.prompt, 0);
  const completion = rows.reduce((sum, row) => sum + row.completion, 0);
  console.log(`\n${mode}: ${rows.reduce((sum, row) => sum + row.requests, 0)} requests, ${prompt} prompt + ${completion} completion = ${prompt + completion} tokens (o200k_base)`);
  for (const row of rows) {
    console.log(`  ${row.task.padEnd(32)} ${String(row.requests).padStart(2)} req  ${String(row.prompt).padStart(5)} prompt  ${String(row.completion).padStart(4)} completion  ${row.exact ? 'exact' : 'WRONG'} ${JSON.stringify(row.answer)}  ${row.tools}`);
  }
  return { prompt, completion };
}

const agentRun = print('self-improving', await fourTasks('self-improving'));
const baseline = print('static baseline', await fourTasks('static baseline'));
const GOAL = 6_000;
console.log(`\nfour tasks: ${agentRun.prompt + agentRun.completion} tokens (goal ≤ ${GOAL}: ${agentRun.prompt + agentRun.completion <= GOAL ? 'met' : 'NOT met'}); static baseline ${baseline.prompt + baseline.completion}\n`);

describe('four fare tasks over a loopback model', () => {
  bench('self-improving run (3 built, 1 reused)', async () => {
    await fourTasks('self-improving');
  }, { iterations: 3, warmupIterations: 1 });
});
