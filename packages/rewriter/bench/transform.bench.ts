// Run: npx pnpm@9.15.9 --filter @toolwright/rewriter exec vitest bench --run
// Results are recorded in the package README. Never part of the test run.
import { contentHash, toolManifestSchema } from '@toolwright/core';
import { bench, describe } from 'vitest';
import { createTransformRewriter } from '../src/index.js';

const origin = 'http://127.0.0.1:8080';
const source = `interface QuoteInput {\n  key: string;\n}\n\nexport default async function getQuote({ key }: QuoteInput): Promise<number> {\n  const response = await fetch(\`${origin}/quote?key=\${key}\`);\n  if (!response.ok) throw new Error(\`HTTP \${response.status}\`);\n  return ((await response.json()) as { price: number }).price;\n}\n`;
const spec = toolManifestSchema.parse({
  name: 'get_quote',
  description: 'Looks up a price.',
  inputSchema: { type: 'object' },
  capabilities: [{ kind: 'fetch', origins: [origin] }],
});
const artifact = {
  kind: 'tool' as const,
  name: 'get_quote',
  version: 1,
  source,
  spec,
  contentHash: contentHash({ kind: 'tool', name: 'get_quote', source, spec }),
  parent: null,
  author: { kind: 'person' as const, id: 'bench' },
  reason: 'bench',
  status: 'active' as const,
  pinned: false,
  createdAt: 0,
};
const diagnosis = { tool: 'get_quote', version: 1, score: 0.4, components: [], status: 'degraded' as const, needsRewrite: true, reasons: [{ kind: 'failure-rate' as const, message: 'x', observed: 0.5 }], sampleSize: 50 };
const evidence = { recentErrors: [{ code: 'TIMEOUT', message: 'slow' }, { code: 'THROWN', message: 'HTTP 429' }], failingInputs: [], cases: [] };
const rewriter = createTransformRewriter();

describe('transform rewriter', () => {
  bench('propose timeout + retry for a TypeScript fetch tool (parse, plan, edit, re-parse)', async () => {
    await rewriter.propose({ artifact, diagnosis, evidence });
  });
});
