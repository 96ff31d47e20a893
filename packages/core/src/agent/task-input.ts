import type { ToolExample } from '../artifact.js';
import type { JsonValue } from '../json.js';

/**
 * Above this many characters of JSON, the task input is shown to the model as a preview and
 * passed to tools by reference (`{"$ref":"input"}`): the full data would be re-sent on every
 * model turn. Below it, the input is shown in full, as before.
 */
export const INLINE_INPUT_LIMIT = 400;

/** The reference a model passes instead of the task input (or a part of it: `input.fares`). */
export const INPUT_REFERENCE = '{"$ref":"input"}';

/** The user message: the task, its input (in full, or a preview and a reference), its examples. */
export function describeTask(task: string, input: JsonValue | undefined, examples: readonly ToolExample[] | undefined, mode: 'tools' | 'no-tools', inlineLimit = INLINE_INPUT_LIMIT): string {
  const byReference = mode === 'tools' && input !== undefined && JSON.stringify(input).length > inlineLimit;
  const exampleText = examples && examples.length > 0 ? examples.map((example) => `${JSON.stringify(example.input)} → ${JSON.stringify(example.output)}`).join('\n') : undefined;
  const compactExamples = byReference && exampleText !== undefined && exampleText.length > inlineLimit;
  return [
    task,
    ...(input === undefined
      ? []
      : byReference
        ? [`Input (preview):\n${preview(input)}\nPass it to tools as ${INPUT_REFERENCE}.`]
        : [`Input (JSON):\n${JSON.stringify(input)}`]),
    ...(exampleText === undefined ? [] : compactExamples ? [describeExamplesCompactly(examples ?? [], input)] : [`Examples (input → expected output):\n${exampleText}`]),
  ].join('\n\n');
}

/**
 * Large examples as their expected outputs, and their inputs' shape only when it differs
 * from the task input's: enough to write the tool, which create_tool tests on the full examples.
 */
function describeExamplesCompactly(examples: readonly ToolExample[], input: JsonValue | undefined): string {
  const outputs = examples.map((example) => JSON.stringify(example.output)).join(', ');
  const sameShape = input !== undefined && examples.every((example) => shapeOf(example.input) === shapeOf(input));
  const inputs = sameShape ? 'inputs shaped like the task input' : `inputs: ${examples.map((example) => preview(example.input)).join('; ')}`;
  return `Examples: ${examples.length} (${inputs}); expected outputs: ${outputs}. create_tool tests on them when you give none.`;
}

/** The structure of a JSON value: its types and keys, arrays by their first item. */
function shapeOf(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.length > 0 ? shapeOf(value[0] as JsonValue) : ''}]`;
  if (value !== null && typeof value === 'object') return `{${Object.keys(value).sort().map((key) => `${key}:${shapeOf(value[key] as JsonValue)}`).join(',')}}`;
  return value === null ? 'null' : typeof value;
}

/** JSON with every array shown by its first item and its length: the shape of the data, not all of it. */
export function preview(value: JsonValue): string {
  if (Array.isArray(value)) {
    if (value.length <= 1) return `[${value.map(preview).join(',')}]`;
    return `[${preview(value[0] as JsonValue)}, …${value.length} items]`;
  }
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${preview(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A reference the model passed that names nothing in the task input. */
export class UnresolvedReference extends Error {}

/**
 * The tool argument with every `{"$ref":"input"}` / `{"$ref":"input.a.b"}` node replaced by
 * that part of the task input. Throws {@link UnresolvedReference} for one that names nothing.
 */
export function resolveReferences(argument: JsonValue, input: JsonValue | undefined): JsonValue {
  const visit = (node: JsonValue): JsonValue => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    const ref = node['$ref'];
    if (keys.length === 1 && typeof ref === 'string' && (ref === 'input' || ref.startsWith('input.'))) {
      if (input === undefined) throw new UnresolvedReference(`{"$ref":"${ref}"} refers to the task input, but this task has none`);
      let current: JsonValue | undefined = input;
      for (const key of ref.split('.').slice(1)) {
        current = current !== null && typeof current === 'object' && !Array.isArray(current) ? current[key] : Array.isArray(current) && /^\d+$/.test(key) ? current[Number(key)] : undefined;
        if (current === undefined) throw new UnresolvedReference(`{"$ref":"${ref}"} names nothing in the task input (its keys: ${keysOf(input)})`);
      }
      return current;
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, visit(value)]));
  };
  return visit(argument);
}

function keysOf(input: JsonValue): string {
  return input !== null && typeof input === 'object' && !Array.isArray(input) ? Object.keys(input).join(', ') || 'none' : 'none (it is not an object)';
}
