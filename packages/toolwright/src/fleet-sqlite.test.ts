import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FlakyService, ScriptedModel, startFlakyService } from '@toolwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolwright } from './create-toolwright.js';
import { IMPROVE_QUEUE } from './index.js';

// The embedded default with `worker`: on SQLite the improvement jobs run in-process, behind the
// same JobQueue as a fleet's on PostgreSQL — one job per tool and episode however often the
// scheduler asks, its outcome in `jobs.stats()`.

const KEYS = ['ams', 'ber', 'cph', 'dub', 'lis', 'osl'];
const directory = mkdtempSync(join(tmpdir(), 'toolwright-fleet-sqlite-'));
let service: FlakyService;
beforeAll(async () => {
  service = await startFlakyService({ schedule: (_request, index) => (index % 2 === 0 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 }) });
});
afterAll(async () => {
  await service.close();
  rmSync(directory, { recursive: true, force: true });
});

const source = (origin: string): string => `export default async function getQuote({ key }: { key: string }): Promise<number> {
  const response = await fetch(\`${origin}/quote?key=\${encodeURIComponent(key)}\`);
  if (!response.ok) throw new Error(\`quote service answered HTTP \${response.status}\`);
  return ((await response.json()) as { price: number }).price;
}
`;

describe('createToolwright({ worker }) on SQLite', () => {
  it('runs the improvement as one in-process job, however often the scheduler asks', async () => {
    const calls = [...KEYS, ...KEYS].map((key) => ({ toolCalls: [{ name: 'get_quote', input: { key } }] }));
    const tw = await createToolwright({
      database: `sqlite:${join(directory, 'fleet.sqlite')}`,
      model: new ScriptedModel({ script: [...calls, { text: 'done' }] }),
      network: { allow: [service.origin] },
      sandbox: { timeoutMs: 10_000 },
      // Every 3 calls: the scheduler asks four times in one run; the key makes one job.
      improve: { everyNCalls: 3, inBackground: true, lastN: 50 },
      evaluator: { rewriteBelow: 0.8 },
      heldOutShare: 0.34,
      reflect: false,
      shadow: false,
      maxSteps: 20,
      worker: { concurrency: 1 },
    });
    try {
      expect(tw.jobs?.backend).toBe('in-process');
      const installed = await tw.gate.propose(
        {
          kind: 'create-tool',
          origin: 'person',
          name: 'get_quote',
          source: source(service.origin),
          spec: { name: 'get_quote', description: 'The price of a key.', inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] }, language: 'ts', capabilities: [{ kind: 'fetch', origins: [service.origin] }], examples: [] },
        },
        { by: 'integrator', reason: 'no retry' },
      );
      expect(installed.status, installed.summary).toBe('applied');
      await tw.run('Quote every key twice');
      await tw.idle();
      const deadline = Date.now() + 30_000;
      const busy = async (): Promise<boolean> => {
        const stats = (await tw.jobs?.stats())?.find((entry) => entry.queue === IMPROVE_QUEUE);
        return stats === undefined || stats.queued + stats.running + stats.failed > 0;
      };
      while ((await busy()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const stats = (await tw.jobs?.stats())?.find((entry) => entry.queue === IMPROVE_QUEUE);
      expect(stats).toMatchObject({ queued: 0, running: 0, parked: 0 });
      const requests = await tw.policy.approvals.list({ name: 'get_quote' });
      expect(requests).toHaveLength(1);
      expect(requests[0]?.change).toMatchObject({ kind: 'rewrite-tool', fromVersion: 1 });
    } finally {
      await tw.close();
    }
  });
});
