import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Turn } from './test-support/models.js';
import { type FlakyService, ScriptedModel, flakyServicePrice, startFlakyService } from '@toolwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolwright, type Toolwright } from './create-toolwright.js';

// The improvement cycle end to end, on a real degrading tool: a quote service on 127.0.0.1
// that answers every other request with 429. v1 (no retry) fails half its calls; after N
// calls the cycle diagnoses it, the transform rewriter proposes v2, regression proves it on
// the captured cases, the policy queues it (a network tool needs a person), a person approves,
// and the next calls are served by v2.

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

const KEYS = ['ams', 'ber', 'cph', 'dub', 'lis', 'osl'];
const directory = mkdtempSync(join(tmpdir(), 'toolwright-improve-'));
let service: FlakyService;
beforeAll(async () => {
  service = await startFlakyService({ schedule: (_request, index) => (index % 2 === 0 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 }) });
});
afterAll(async () => {
  await service.close();
  rmSync(directory, { recursive: true, force: true });
});

const callsOf = (keys: readonly string[]): Turn[] => keys.map((key) => ({ calls: [{ name: 'get_quote', input: { key } }] }));
const script = (turns: readonly Turn[]): ScriptedModel =>
  new ScriptedModel({
    script: turns.map((turn) => ('text' in turn ? { text: turn.text } : 'calls' in turn ? { toolCalls: turn.calls.map((call) => ({ name: call.name, input: call.input ?? {} })) } : { text: '' })),
  });

async function installV1(tw: Toolwright): Promise<void> {
  const outcome = await tw.gate.propose({
    kind: 'create-tool',
    origin: 'person',
    name: 'get_quote',
    source: V1(service.origin),
    spec: {
      name: 'get_quote',
      description: 'The price of a key at the quote service.',
      inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
      language: 'ts',
      capabilities: [{ kind: 'fetch', origins: [service.origin] }],
      examples: [],
    },
  }, { by: 'integrator', reason: "yesterday's tool: no retry, no timeout" });
  expect(outcome.status, outcome.summary).toBe('applied');
}

describe('the improvement cycle on a real degrading tool', () => {
  it('rewrites v1 after N calls, proves v2, and serves the next calls with v2 once a person approves', async () => {
    const database = `sqlite:${join(directory, 'improve.sqlite')}`;
    const events: string[] = [];
    const model = script([...callsOf(KEYS), { text: 'done' }]);
    const tw = await createToolwright({
      database,
      model,
      network: { allow: [service.origin] },
      // A run deadline generous next to a loopback answer, so a loaded machine adds no timeouts.
      sandbox: { timeoutMs: 10_000 },
      improve: { everyNCalls: KEYS.length, inBackground: false, lastN: 50 },
      evaluator: { rewriteBelow: 0.8 },
      heldOutShare: 0.34,
      reflect: false,
      onEvent: (event) => events.push(event.type),
    });
    try {
      await installV1(tw);
      const first = await tw.run('Quote every key');
      const v1Calls = first.toolCalls;
      expect(v1Calls).toHaveLength(KEYS.length);
      expect(v1Calls.every((call) => call.version === 1)).toBe(true);
      const v1SuccessRate = v1Calls.filter((call) => call.ok).length / v1Calls.length;
      expect(v1SuccessRate).toBe(0.5);
      expect(events).toContain('improvement');

      // The cycle proved v2 and queued it: a network tool needs a person.
      const history = await tw.registry.history('get_quote');
      expect(history.map((version) => [version.version, version.status])).toEqual([
        [1, 'active'],
        [2, 'candidate'],
      ]);
      expect(history[1]?.author).toMatchObject({ kind: 'transform' });
      expect(history[1]?.source).toContain('fetchWithRetry');
      const [request] = await tw.policy.approvals.list({ status: 'proposed', name: 'get_quote' });
      expect(request?.change).toMatchObject({ kind: 'rewrite-tool', fromVersion: 1 });
      // A network rewrite that needs a person ran with no capability before the approval: no live verdict yet.
      expect(request?.evidence.verdict).toBeUndefined();
      const audit = (await tw.memory.auditLog({ artifact: 'get_quote' })).map((entry) => entry.action);
      expect(audit).toEqual(expect.arrayContaining(['improve.diagnose', 'rewrite-tool.queued']));

      const applied = await tw.approve(request?.id ?? '', { by: 'alice', note: 'retry with backoff looks right' });
      expect(applied.status, applied.summary).toBe('applied');
      expect(applied.status === 'applied' && applied.version).toMatchObject({ version: 2, status: 'active' });

      // The next calls are served by v2, and all of them succeed against the same flaky service.
      await tw.close();
      const next = await createToolwright({ database, model: script([...callsOf(KEYS), { text: 'done' }]), network: { allow: [service.origin] }, sandbox: { timeoutMs: 10_000 }, improve: false, reflect: false });
      try {
        const second = await next.run('Quote every key again');
        expect(second.toolCalls.map((call) => call.version)).toEqual(KEYS.map(() => 2));
        expect(second.toolCalls.every((call) => call.ok)).toBe(true);
        expect(second.toolCalls.map((call) => call.output)).toEqual(KEYS.map(flakyServicePrice));
        await next.memory.flush();
        const v2 = await next.memory.summary('get_quote', { version: 2, lastN: 50 });
        const v1 = await next.memory.summary('get_quote', { version: 1, lastN: 50 });
        expect(v2.successRate - v1.successRate).toBe(0.5);
      } finally {
        await next.close();
      }
    } finally {
      await tw.close();
    }
  });
});
