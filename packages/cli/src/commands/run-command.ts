import { openaiModel, offlineModel, type AgentRunResult, type LanguageModel } from 'toolwright';
import { jsonValueSchema, parseOrThrow, toolExampleSchema } from '@toolwright/core';
import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatJson, formatMs, formatTable } from '../output.js';
import { readJsonFile } from '../read-json-file.js';
import { UsageError } from '../usage-error.js';
import { ALLOW_OPTION } from './shared-options.js';

const examplesSchema = toolExampleSchema.array();

/** `toolwright run "<task>"`: runs the agent on one task. */
export const runCommand: CommandDefinition = {
  path: ['run'],
  summary: 'Run the agent on a task: it reuses an active tool that fits, or writes, proves and registers one.',
  details: [
    'With no --model, the offline model runs (no key, no network, no tokens): it needs --examples.',
    'With --model, an OpenAI model (OPENAI_API_KEY) or, with --base-url, any OpenAI-compatible server',
    '(Ollama, vLLM, LM Studio). TOOLWRIGHT_MODEL and TOOLWRIGHT_BASE_URL are the defaults of both.',
    'Exit 1 when the model says it cannot solve the task.',
  ].join('\n'),
  positionals: [{ name: 'task' }],
  options: {
    input: { type: 'string', valueName: '<file>', description: "JSON file with the task's data" },
    examples: { type: 'string', valueName: '<file>', description: 'JSON file with [{ "input": ..., "output": ... }] examples' },
    model: { type: 'string', valueName: '<name>', description: 'model name, e.g. gpt-4o-mini (default: the offline model)' },
    'base-url': { type: 'string', valueName: '<url>', description: 'OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1' },
    ...ALLOW_OPTION,
  },
  createsDatabase: true,
  async run(context) {
    const task = context.args['task'] ?? '';
    if (task.trim() === '') throw new UsageError('the task is empty: say what the agent should do.', 'run');
    const inputPath = context.options['input'];
    const examplesPath = context.options['examples'];
    const input = typeof inputPath === 'string' ? parseOrThrow(jsonValueSchema, await readJsonFile(inputPath, context.cwd, '--input', 'run'), '--input file') : undefined;
    const examples =
      typeof examplesPath === 'string' ? parseOrThrow(examplesSchema, await readJsonFile(examplesPath, context.cwd, '--examples', 'run'), '--examples file') : undefined;

    const cannot: string[] = [];
    // The offline model answered from a program it could not register (create_tool was refused).
    let withoutTool: { readonly program: string; readonly refusal: string } | undefined;
    const modelName = stringOption(context.options['model']) ?? context.env['TOOLWRIGHT_MODEL'];
    const baseURL = stringOption(context.options['base-url']) ?? context.env['TOOLWRIGHT_BASE_URL'];
    let model: LanguageModel;
    if (modelName === undefined) {
      if (baseURL !== undefined) throw new UsageError('--base-url needs --model <name> (the model the server should run).', 'run');
      model = offlineModel({
        onEvent: (event) => {
          if (event.type === 'cannot') cannot.push(event.reason);
          else if (event.type === 'answered-without-tool') withoutTool = { program: event.program, refusal: event.refusal };
        },
      });
    } else {
      // An empty OPENAI_API_KEY (a .env template's) is no key at all.
      const apiKey = context.env['OPENAI_API_KEY'] || undefined;
      if (apiKey === undefined && baseURL === undefined) {
        throw new UsageError('--model needs OPENAI_API_KEY in the environment, or --base-url <url> for a local OpenAI-compatible server.', 'run');
      }
      model = openaiModel({ model: modelName, ...(baseURL === undefined ? {} : { baseURL }), ...(apiKey === undefined ? {} : { apiKey }) });
    }

    const toolwright = await context.open({ model, improve: true });
    let result: AgentRunResult;
    try {
      result = await toolwright.run(task, { ...(input === undefined ? {} : { input }), ...(examples === undefined ? {} : { examples }) });
    } finally {
      await toolwright.close();
    }
    const solved = cannot.length === 0;
    if (context.json) {
      context.stdout.write(formatJson({ ...result, model: `${model.provider}:${model.modelId}`, solved, ...(withoutTool === undefined ? {} : { answeredWithoutTool: withoutTool }) }));
    } else {
      context.stdout.write(`${typeof result.output === 'string' ? result.output : JSON.stringify(result.output)}\n\n`);
      const calls = result.toolCalls.map((call) => [call.name, call.version, call.ok ? 'ok' : `${call.error?.code ?? 'error'}: ${call.error?.message ?? ''}`, formatMs(call.durationMs)]);
      if (calls.length > 0) context.stdout.write(formatTable(['tool', 'version', 'outcome', 'time'], calls) + '\n');
      context.stdout.write(
        [
          `model:   ${model.provider}:${model.modelId}`,
          `built:   ${result.createdTools.join(', ') || 'none'}`,
          `reused:  ${result.reusedTools.join(', ') || 'none'}`,
          `tokens:  ${result.tokens.input} in, ${result.tokens.output} out`,
          `time:    ${formatMs(result.durationMs)}`,
          `task id: ${result.taskId}`,
        ].join('\n') + '\n',
      );
    }
    if (solved && withoutTool !== undefined && !context.json) {
      context.stderr.write(`toolwright: answered without a new tool, because create_tool was refused (${withoutTool.refusal}); nothing was registered.\n`);
    }
    if (!solved) {
      context.stderr.write(`toolwright: the model cannot solve this task: ${cannot.join('; ')}\n`);
      return EXIT_CODES.failed;
    }
    return EXIT_CODES.ok;
  },
};

function stringOption(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
