import type { ToolManifest } from '@toolwright/core';

/** `sum_values`, the tool the live-experiment tests run as baseline and candidate. */
export const SUM_SPEC: ToolManifest = {
  name: 'sum_values',
  description: 'Sums a list of numbers.',
  inputSchema: { type: 'object', properties: { values: { type: 'array', items: { type: 'number' } } }, required: ['values'] },
  language: 'ts',
  capabilities: [],
  examples: [
    { input: { values: [1, 2, 3] }, output: 6 },
    { input: { values: [10, -4] }, output: 6 },
  ],
};
/** The first version: a reduce. */
export const SUM = 'export default function sum({ values }: { values: number[] }): number {\n  return values.reduce((total, value) => total + value, 0);\n}\n';
/** A rewrite that computes the same: a loop. */
export const LOOP_SUM = 'export default function sum({ values }: { values: number[] }): number {\n  let total = 0;\n  for (const value of values) total += value;\n  return total;\n}\n';
