import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FlakyService, ScriptedModel } from '@toolwright/core/testing';
import { createToolwright } from 'toolwright';
import { cli } from './run-in-process.js';

export const FARE_EXAMPLES = [
  { input: { fares: [{ price: 1 }, { price: 2 }] }, output: 3 },
  { input: { fares: [{ price: 10 }] }, output: 10 },
];
export const FARES = { fares: [{ price: 229.92 }, { price: 360.67 }] };
export const QUOTE_KEYS = ['ams', 'ber', 'cph', 'dub', 'lis', 'osl'];

const V1 = (origin: string): string => `interface QuoteInput {
  key: string;
}

/** The price of a key at the quote service. */
export default async function getQuote({ key }: QuoteInput): Promise<number> {
  const response = await fetch(\`${origin}/quote?key=\${encodeURIComponent(key)}\`);
  if (!response.ok) throw new Error(\`quote service answered HTTP \${response.status}\`);
  const body = (await response.json()) as { price: number };
  return body.price;
}
`;

/**
 * Makes a database the way the demo does, by running the agent:
 * 1. `toolwright run` (the CLI, offline model) totals fares twice: the first run writes
 *    `sum_fares_price`, the second reuses it;
 * 2. yesterday's `get_quote` v1 (no retry) serves a quote service that answers every other
 *    request with 429; after six calls the improvement cycle rewrites it, regression proves v2,
 *    and the policy queues it for a person (a network tool);
 * 3. a second network tool change waits for a person too (`get_rate`, untested).
 */
export async function makeFixtureDatabase(directory: string, service: FlakyService): Promise<{ readonly db: string; readonly runs: readonly unknown[] }> {
  const db = `sqlite:${join(directory, 'fixture.db')}`;
  writeFileSync(join(directory, 'fares.json'), JSON.stringify(FARES));
  writeFileSync(join(directory, 'examples.json'), JSON.stringify(FARE_EXAMPLES));
  const runs = [];
  for (let run = 0; run < 2; run += 1) {
    const result = await cli(['run', 'Total the fares', '--input', 'fares.json', '--examples', 'examples.json', '--db', db, '--json'], { cwd: directory });
    if (result.code !== 0) throw new Error(`toolwright run failed (${result.code}): ${result.stderr}`);
    runs.push(result.json());
  }

  const script = new ScriptedModel({ script: [...QUOTE_KEYS.map((key) => ({ toolCalls: [{ name: 'get_quote', input: { key } }] })), { text: 'done' }] });
  const tw = await createToolwright({
    database: db,
    model: script,
    network: { allow: [service.origin] },
    improve: { everyNCalls: QUOTE_KEYS.length, inBackground: false, lastN: 50 },
    evaluator: { rewriteBelow: 0.8 },
    heldOutShare: 0.34,
    reflect: false,
  });
  try {
    const spec = {
      name: 'get_quote',
      description: 'The price of a key at the quote service.',
      inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
      language: 'ts' as const,
      capabilities: [{ kind: 'fetch' as const, origins: [service.origin] }],
      examples: [],
    };
    const v1 = await tw.gate.propose({ kind: 'create-tool', origin: 'person', name: 'get_quote', source: V1(service.origin), spec }, { by: 'integrator', reason: "yesterday's tool: no retry, no timeout" });
    if (v1.status !== 'applied') throw new Error(`installing get_quote failed: ${v1.summary}`);
    await tw.run('Quote every key');

    const rateSpec = { ...spec, name: 'get_rate', description: 'An exchange rate from the quote service.' };
    const rateSource = V1(service.origin).replace('getQuote', 'getRate');
    const rate = await tw.gate.propose({ kind: 'create-tool', origin: 'agent', name: 'get_rate', spec: rateSpec, source: rateSource }, { author: { kind: 'model', id: 'scripted' }, reason: 'new capability' });
    if (rate.status !== 'queued') throw new Error(`proposing get_rate did not queue it: ${rate.summary}`);
  } finally {
    await tw.close();
  }
  return { db, runs };
}
