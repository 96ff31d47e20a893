import {
  jsonValueSchema,
  numericToleranceSchema,
  parseOrThrow,
  toolExampleSchema,
  toolSpecSchema,
  type JsonObject,
  type JsonValue,
  type TaskContext,
  type ToolSpec,
} from '@toolwright/core';
import { z } from 'zod';
import { inferJsonSchema } from './json-schema.js';
import { synthesisLimitsSchema, type SynthesisLimits } from './options.js';
import { describeProgram, freeName, programLine, programName } from './synthesis/describe.js';
import { emitTypeScript } from './synthesis/emit-typescript.js';
import { inputShape, wrapInput } from './synthesis/input-shape.js';
import { printProgram } from './synthesis/program.js';
import { searchProgram, type NearestCandidate } from './synthesis/search.js';
import { inferType } from './synthesis/value-type.js';

/** Options of {@link synthesizeTool}: the search limits, and names the tool must not take. */
export interface SynthesisOptions extends SynthesisLimits {
  /** Names already in use by other tools; the new tool gets `name_2`, `name_3`, ... instead. */
  readonly takenNames?: Iterable<string>;
}

/** Why no tool was written. */
export type SynthesisFailureReason = 'no-examples' | 'shape-mismatch' | 'exhausted' | 'program-budget' | 'time-budget';

/** What {@link synthesizeTool} found. */
export type SynthesisResult =
  | {
      readonly ok: true;
      /** A complete tool spec, ready for `create_tool`: TypeScript source, input schema, the examples. */
      readonly spec: ToolSpec;
      /** The program, in canonical text, e.g. `sum(pluck(get($, "fares"), "price"))`. */
      readonly program: string;
      /** Its size in the search's measure. */
      readonly size: number;
      /** The key non-object task data is wrapped under (`values`, `items`, `value`), if any. */
      readonly wrapKey: string | undefined;
      /** The task input as the tool's argument (wrapped when needed); absent without a task input. */
      readonly toolInput: JsonObject | undefined;
      readonly programsTried: number;
      readonly durationMs: number;
    }
  | {
      readonly ok: false;
      readonly reason: SynthesisFailureReason;
      /** A sentence saying why, for people: for a search that gave up, how far it got. */
      readonly message: string;
      readonly programsTried: number;
      readonly durationMs: number;
    };

const taskSchema = z
  .object({
    text: z.string(),
    input: jsonValueSchema.optional(),
    examples: z.array(toolExampleSchema).optional(),
    tolerance: numericToleranceSchema.optional(),
  })
  .strict();

const optionsSchema = synthesisLimitsSchema.extend({ takenNames: z.array(z.string()).default([]) }).strict();

/** How far the search got, in words: its nearest candidate and where it differs. */
function nearestText(nearest: NearestCandidate | undefined, outputs: readonly JsonValue[]): string {
  if (nearest === undefined) return 'no candidate reproduced even one example';
  const { example, actual } = nearest.mismatch;
  const shown = (value: JsonValue | undefined): string => {
    const text = JSON.stringify(value) ?? 'nothing';
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  };
  return `the nearest, ${printProgram(nearest.program)} (size ${nearest.size}), reproduces ${nearest.matched} of ${outputs.length} (example ${example + 1}: expected ${shown(outputs[example])}, it gives ${shown(actual)})`;
}

/**
 * Writes a tool from examples: searches, smallest program first, for a composition of the
 * primitives that reproduces every example (numbers within `tolerance`), with constants
 * taken from the task text or the example data, and renders it as a tool spec with readable
 * TypeScript. Deterministic: the same task and limits give the same tool. Never guesses:
 * without a program that reproduces every example it returns `ok: false` and why.
 *
 * @example
 * ```ts
 * const result = synthesizeTool({
 *   text: 'Count the fares over 300',
 *   examples: [
 *     { input: { fares: [{ price: 250 }, { price: 320 }, { price: 410 }] }, output: 2 },
 *     { input: { fares: [{ price: 301 }, { price: 300 }] }, output: 1 },
 *   ],
 * });
 * if (result.ok) console.log(result.spec.name, result.program); // count_fares_where_price_over_300
 * else console.log(result.message);
 * ```
 */
export function synthesizeTool(task: TaskContext, options: SynthesisOptions = {}): SynthesisResult {
  const parsedTask = parseOrThrow(taskSchema, task, 'synthesizeTool task');
  const { takenNames, ...limits } = parseOrThrow(optionsSchema, { ...options, takenNames: [...(options.takenNames ?? [])] }, 'synthesizeTool options');
  const examples = parsedTask.examples ?? [];
  const fail = (reason: SynthesisFailureReason, message: string, programsTried = 0, durationMs = 0): SynthesisResult => ({ ok: false, reason, message, programsTried, durationMs });
  if (examples.length === 0) {
    return fail('no-examples', 'there are no examples (input → expected output) to learn from; give the task at least one, preferably three or more');
  }
  const shape = inputShape([...examples.map((example) => example.input), ...(parsedTask.input === undefined ? [] : [parsedTask.input])]);
  if (!shape.ok) return fail('shape-mismatch', shape.reason);
  const inputs = examples.map((example) => wrapInput(example.input, shape.wrapKey));
  const outputs = examples.map((example) => example.output);
  // The task's own tolerance, where it has one, is how closely its outputs must be met.
  const outcome = searchProgram(
    { inputs, outputs, text: parsedTask.text },
    { ...limits, tolerance: parsedTask.tolerance?.absolute ?? limits.tolerance, relativeTolerance: parsedTask.tolerance?.relative ?? limits.relativeTolerance },
  );
  if (!outcome.found) {
    const tried = `${outcome.programsTried} candidate programs`;
    const messages = {
      exhausted: `no program of size ${limits.maxProgramSize} or less built from the primitives reproduces all ${examples.length} example(s) (${tried} tried)`,
      'program-budget': `no program reproduces all ${examples.length} example(s) within the budget of ${limits.maxPrograms} candidate programs (every program up to size ${outcome.sizeSearched} was tried)`,
      'time-budget': `no program reproduces all ${examples.length} example(s) within the search time of ${limits.timeBudgetMs} ms (every program up to size ${outcome.sizeSearched} was tried, ${tried})`,
    } as const;
    return fail(outcome.reason, `${messages[outcome.reason]}; ${nearestText(outcome.nearest, outputs)}`, outcome.programsTried, outcome.durationMs);
  }
  const { program } = outcome;
  const name = freeName(programName(program), new Set(takenNames));
  const summary = describeProgram(program);
  const argumentNote = shape.wrapKey === undefined ? '' : ` Its argument is { "${shape.wrapKey}": <the data> }.`;
  const provenance = `Written by the Toolwright offline model from ${examples.length} example(s): the smallest program of its primitives that reproduces them.`;
  const inputType = inferType(inputs);
  if (inputType === undefined) throw new Error('unreachable: the search typed these inputs');
  const spec = parseOrThrow(
    toolSpecSchema,
    {
      name,
      description: `${summary}${argumentNote} ${provenance}\n${programLine(program)}`,
      inputSchema: inferJsonSchema(inputs),
      source: emitTypeScript(program, { name, inputType, summary: `${summary}${argumentNote}`, provenance }),
      language: 'ts',
      capabilities: [],
      examples: inputs.map((input, index) => ({ input, output: outputs[index] as JsonValue })),
    },
    `tool spec synthesised for ${printProgram(program)}`,
  );
  return {
    ok: true,
    spec,
    program: printProgram(program),
    size: outcome.size,
    wrapKey: shape.wrapKey,
    toolInput: parsedTask.input === undefined ? undefined : wrapInput(parsedTask.input, shape.wrapKey),
    programsTried: outcome.programsTried,
    durationMs: outcome.durationMs,
  };
}
