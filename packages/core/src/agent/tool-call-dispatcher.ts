import type { JsonValue } from '../json.js';
import type { TokenUsage, ToolCall } from '../model.js';
import { CREATE_TOOL } from './create-tool.js';
import type { CreateToolHandler } from './create-tool-handler.js';
import { refusedOutcome } from './create-tool-outcome.js';
import type { RunState } from './run-state.js';
import { INPUT_REFERENCE, resolveReferences, UnresolvedReference } from './task-input.js';
import type { ToolRunner } from './tool-runner.js';

/** What the model is told about one of its tool calls. */
export interface ToolCallAnswer {
  /** The tool result message's content: the tool's output as JSON, a `CreateToolOutcome` as JSON, or why the call failed. */
  readonly content: string;
  readonly isError: boolean;
}

/** What {@link createToolCallDispatcher} needs. */
export interface ToolCallDispatcherDependencies {
  readonly toolRunner: Pick<ToolRunner, 'run'>;
  readonly createTool: CreateToolHandler;
  readonly maxToolAttempts: number;
}

/**
 * Routes each tool call of a turn: malformed arguments (for `create_tool`, a refused attempt),
 * `create_tool`, an unknown tool, or an active tool (its `{"$ref":"input"}` arguments resolved
 * to the task input first).
 */
export type ToolCallDispatcher = (state: RunState, call: ToolCall, turnUsage: TokenUsage | undefined) => Promise<ToolCallAnswer>;

/** A {@link ToolCallDispatcher}. */
export function createToolCallDispatcher(dependencies: ToolCallDispatcherDependencies): ToolCallDispatcher {
  const { toolRunner, createTool, maxToolAttempts } = dependencies;
  return async (state, call, turnUsage) => {
    if (call.inputError) {
      // A create_tool call that never parses is an attempt like any refused spec: it uses one up.
      if (call.name === CREATE_TOOL) {
        const outcome = state.refusedAttempts >= maxToolAttempts
          ? refusedOutcome('(unnamed)', 'create_tool is no longer available in this run: too many refused attempts', 0)
          : createTool.refuseMalformed(state, call.inputError.message);
        return { content: JSON.stringify(outcome), isError: true };
      }
      return { content: `The arguments of ${call.name} were not valid JSON (${call.inputError.message}). Call it again with a JSON object.`, isError: true };
    }
    if (call.name === CREATE_TOOL) {
      const outcome = state.refusedAttempts >= maxToolAttempts
        ? refusedOutcome(proposedName(call), 'create_tool is no longer available in this run: too many refused attempts', 0)
        : await createTool.handle(state, call.input);
      return { content: JSON.stringify(outcome), isError: outcome.status === 'refused' };
    }
    const tool = state.tools.get(call.name);
    if (!tool) {
      const names = [...state.tools.keys()];
      return { content: `There is no tool named "${call.name}". Available: ${names.length > 0 ? names.join(', ') : 'none'}; or write one with create_tool.`, isError: true };
    }
    let input: JsonValue;
    try {
      input = resolveReferences(call.input, state.input);
    } catch (error) {
      if (!(error instanceof UnresolvedReference)) throw error;
      return { content: `${error.message}. Pass ${INPUT_REFERENCE} for the whole task input, or the data itself.`, isError: true };
    }
    const result = await toolRunner.run(tool, { ...call, input }, { taskId: state.taskId, step: state.step, signal: state.signal, turnUsage });
    state.toolCalls.push(result);
    return result.ok
      ? { content: JSON.stringify(result.output ?? null), isError: false }
      : { content: `The tool failed with ${result.error?.code}: ${result.error?.message}`, isError: true };
  };
}

function proposedName(call: ToolCall): string {
  const name = typeof call.input === 'object' && call.input !== null && !Array.isArray(call.input) ? call.input['name'] : undefined;
  return typeof name === 'string' && name !== '' ? name.slice(0, 200) : '(unnamed)';
}
