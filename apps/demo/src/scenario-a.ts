import type { JsonValue, ToolExample } from '@toolwright/core';
import type { Toolwright } from 'toolwright';
import { EXAMPLE_FARE_LISTS, FARES, type Fare } from './data/fares.js';

/** One task of scenario A: its text, and its ground truth computed in plain code. */
export interface FareTask {
  readonly text: string;
  readonly truth: (fares: readonly Fare[]) => number;
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** The comparison that motivated the project: three capabilities, the first asked for twice. */
export const FARE_TASKS: readonly FareTask[] = [
  { text: 'Total the fares.', truth: (fares) => sum(fares.map((fare) => fare.price)) },
  { text: 'Count the fares over 300 EUR.', truth: (fares) => fares.filter((fare) => fare.price > 300).length },
  { text: 'Sum the 2 cheapest fares.', truth: (fares) => sum([...fares.map((fare) => fare.price)].sort((a, b) => a - b).slice(0, 2)) },
  { text: 'Total the fares again.', truth: (fares) => sum(fares.map((fare) => fare.price)) },
];

/** How one task went, for one way of solving it. */
export interface TaskRow {
  readonly task: string;
  readonly mode: 'self-improving' | 'static baseline';
  readonly model: string;
  readonly answer: JsonValue;
  readonly truth: number;
  readonly exact: boolean;
  /** `built`, `reused`, `reused from an earlier run`, or `none`. */
  readonly tool: string;
  readonly toolName: string | undefined;
  readonly tokens: number;
  readonly ms: number;
}

const asInput = (fares: readonly Fare[]): JsonValue => ({ fares: fares.map((fare) => ({ ...fare })) });

/** Exact to the cent: answers are money or counts, computed in floating point on both sides. */
function isExact(answer: JsonValue, truth: number): boolean {
  return typeof answer === 'number' && Math.abs(answer - truth) < 1e-6;
}

function examplesFor(task: FareTask): ToolExample[] {
  return EXAMPLE_FARE_LISTS.map((fares) => ({ input: asInput(fares), output: task.truth(fares) }));
}

/**
 * Scenario A: the four fare tasks, self-improving. `known` names the tools that existed before
 * this demo run, so a tool reused from an earlier run is reported as such.
 */
export async function runFareTasks(agent: Toolwright, known: ReadonlySet<string>, progress: (line: string) => void): Promise<TaskRow[]> {
  const rows: TaskRow[] = [];
  const builtThisRun = new Set<string>();
  for (const task of FARE_TASKS) {
    progress(`  · ${task.text}`);
    const truth = task.truth(FARES);
    const started = performance.now();
    let answer: JsonValue = null;
    let tool = 'none';
    let toolName: string | undefined;
    let tokens = 0;
    try {
      const result = await agent.run(task.text, { input: asInput(FARES), examples: examplesFor(task) });
      answer = result.output;
      tokens = result.tokens.input + result.tokens.output;
      toolName = result.createdTools[0] ?? result.reusedTools[0] ?? result.toolCalls[0]?.name;
      if (result.createdTools.length > 0) {
        tool = 'built';
        for (const name of result.createdTools) builtThisRun.add(name);
      } else if (toolName !== undefined) {
        tool = known.has(toolName) && !builtThisRun.has(toolName) ? 'reused from an earlier run' : 'reused';
      }
    } catch (error) {
      answer = `failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    rows.push({ task: task.text, mode: 'self-improving', model: agent.model.modelId, answer, truth, exact: isExact(answer, truth), tool, toolName, tokens, ms: performance.now() - started });
  }
  return rows;
}

/** The static baseline on a real model: structured output, no tools. */
export async function runStaticBaseline(agent: Toolwright, progress: (line: string) => void): Promise<TaskRow[]> {
  const { z } = await import('zod');
  const rows: TaskRow[] = [];
  for (const task of FARE_TASKS) {
    progress(`  · (static) ${task.text}`);
    const truth = task.truth(FARES);
    const started = performance.now();
    let answer: JsonValue = null;
    let tokens = 0;
    try {
      const result = await agent.run(task.text, { input: asInput(FARES), examples: examplesFor(task), tools: 'none', schema: z.object({ answer: z.number() }) });
      answer = (result.output as { answer: number }).answer;
      tokens = result.tokens.input + result.tokens.output;
    } catch (error) {
      answer = `failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    rows.push({ task: task.text, mode: 'static baseline', model: agent.model.modelId, answer, truth, exact: isExact(answer, truth), tool: 'none', toolName: undefined, tokens, ms: performance.now() - started });
  }
  return rows;
}
