import { createToolwright, type Toolwright } from 'toolwright';

/** What `toolwright.run` totals with the offline model: it writes `sum_fares_price` from these examples. */
export const FARE_EXAMPLES = [
  { input: { fares: [{ price: 1 }, { price: 2 }] }, output: 3 },
  { input: { fares: [{ price: 10 }] }, output: 10 },
];
export const FARES = { fares: [{ price: 229.92 }, { price: 360.67 }] };

/** `divide`: a person's tool that fails (a tool error) when asked to divide by zero. */
const DIVIDE = {
  name: 'divide',
  description: 'Divides a by b; refuses b = 0.',
  inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'], additionalProperties: false },
  language: 'ts' as const,
  capabilities: [],
  examples: [{ input: { a: 6, b: 3 }, output: 2 }],
};
const DIVIDE_SOURCE = `interface DivideInput { a: number; b: number }

/** Divides a by b. */
export default function divide({ a, b }: DivideInput): number {
  if (b === 0) throw new Error('cannot divide by zero');
  return a / b;
}
`;

const MULTIPLY = {
  name: 'multiply',
  description: 'Multiplies a by b.',
  inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
  language: 'ts' as const,
  capabilities: [],
  examples: [{ input: { a: 6, b: 7 }, output: 42 }],
};
const MULTIPLY_SOURCE = `export default function multiply({ a, b }: { a: number; b: number }): number {
  return a * b;
}
`;

/** Where a test's database lives: a URL and, on PostgreSQL, the schema. */
export interface DatabaseAt {
  readonly url: string;
  readonly schema?: string;
}

/** Opens the real umbrella on `at` (offline model, no improvement cycle in the way of a test). */
export function openToolwright(at: DatabaseAt): Promise<Toolwright> {
  return createToolwright({ database: at.url, ...(at.schema === undefined ? {} : { databaseOptions: { schema: at.schema } }), improve: false, reflect: false });
}

/**
 * Fills a database the way an agent does: the offline model writes `sum_fares_price` from
 * examples in a `run` (proved and promoted by the gate), and a person adds `divide`.
 */
export async function makeToolDatabase(at: DatabaseAt): Promise<void> {
  const toolwright = await openToolwright(at);
  try {
    const run = await toolwright.run('Total the fares', { input: FARES, examples: FARE_EXAMPLES });
    if (!run.createdTools.includes('sum_fares_price')) throw new Error(`the offline model did not create sum_fares_price: ${JSON.stringify(run.createdTools)}`);
    const divide = await toolwright.gate.propose({ kind: 'create-tool', origin: 'person', name: 'divide', spec: DIVIDE, source: DIVIDE_SOURCE }, { by: 'ada', reason: 'a calculator tool' });
    if (divide.status !== 'applied') throw new Error(`installing divide failed: ${divide.summary}`);
  } finally {
    await toolwright.close();
  }
}

/** Promotes a new tool, `multiply`, through the gate of `toolwright`. */
export async function promoteMultiply(toolwright: Toolwright): Promise<void> {
  const outcome = await toolwright.gate.propose({ kind: 'create-tool', origin: 'person', name: 'multiply', spec: MULTIPLY, source: MULTIPLY_SOURCE }, { by: 'grace', reason: 'needed by a client' });
  if (outcome.status !== 'applied') throw new Error(`promoting multiply failed: ${outcome.summary}`);
}

/** A promise, and the function that resolves it. */
export function deferred<T = void>(): { readonly promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}
