import { contentHash, toolSpecSchema, ToolwrightError, parseOrThrow, type ToolSpec } from '@toolwright/core';
import { ScriptedModel } from '@toolwright/core/testing';
import { z } from 'zod';

/** What one demo run shows; printed by `main.ts`, asserted by `demo.test.ts`. */
export interface DemoReport {
  readonly stage: string;
  readonly tool: { readonly name: string; readonly contentHash: string; readonly examples: number };
  readonly rejected: { readonly code: string; readonly message: string };
  readonly modelTurn: { readonly toolCalls: readonly string[]; readonly inputTokens: number; readonly outputTokens: number };
  readonly pending: readonly string[];
}

const fareInput = z.object({ fares: z.array(z.number()).describe('fares in EUR') });

/**
 * The foundation stage of the demo: what exists today is the shared spec. It validates
 * a tool spec the way every package will, hashes it the way the registry will, shows the
 * coded error an invalid spec gets, and drives one scripted model turn. The agent loop,
 * the sandbox and the stores arrive with their issues; `pending` lists them.
 */
export async function runDemo(): Promise<DemoReport> {
  const spec: ToolSpec = parseOrThrow(
    toolSpecSchema,
    {
      name: 'total_fares',
      description: 'Sums a list of fares.',
      inputSchema: z.toJSONSchema(fareInput),
      source: 'export default ({ fares }: { fares: number[] }) => fares.reduce((sum, fare) => sum + fare, 0);',
      examples: [{ input: { fares: [229.92, 360.67] }, output: 590.59 }],
    },
    'tool spec',
  );

  let rejected: DemoReport['rejected'] = { code: 'none', message: '' };
  try {
    parseOrThrow(toolSpecSchema, { ...spec, name: 'Total Fares!' }, 'tool spec');
  } catch (error) {
    if (!ToolwrightError.isInstance(error)) throw error;
    rejected = { code: error.code, message: error.message };
  }

  const model = new ScriptedModel({
    script: [{ toolCalls: [{ name: spec.name, input: { fares: [229.92, 360.67] } }], usage: { inputTokens: 120, outputTokens: 14 } }],
  });
  const turn = await model.generate({
    messages: [{ role: 'user', content: 'Total these fares: 229.92, 360.67' }],
    tools: [{ name: spec.name, description: spec.description, inputSchema: spec.inputSchema }],
  });

  return {
    stage: 'foundation: the shared spec (@toolwright/core) is in place; the packages below implement it next',
    tool: { name: spec.name, contentHash: contentHash(spec), examples: spec.examples.length },
    rejected,
    modelTurn: {
      toolCalls: turn.toolCalls.map((call) => call.name),
      inputTokens: turn.usage.inputTokens,
      outputTokens: turn.usage.outputTokens,
    },
    pending: [
      '@toolwright/sandbox — isolated-vm sandbox',
      '@toolwright/memory, @toolwright/registry — SQLite / PostgreSQL stores',
      '@toolwright/evaluator, @toolwright/rewriter, @toolwright/regression — the improvement pipeline',
      '@toolwright/safety-policy — the gate every change passes',
      'the agent loop, the offline model, the CLI and the full demo scenarios',
    ],
  };
}
