import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ImprovementReport } from '@toolwright/core';
import { type FlakyService, ScriptedModel, flakyServicePrice, startFlakyService } from '@toolwright/core/testing';
import { offlineModel, type OfflineModelEvent } from '@toolwright/offline';
import { createModelRewriter } from '@toolwright/rewriter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolwright, type Toolwright } from './create-toolwright.js';

// The improvement cycle with no key and no network: the offline model answers the model
// rewriter's repair request by choosing transforms from the diagnosis, and the rewriter writes
// them into v1's source. The same regression, policy and approval path as any rewrite follows.

const QUOTE_V1 = (origin: string): string => `interface QuoteInput {
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

/** Wrong logic, not a flaky dependency: it fails for every key longer than three letters. */
const CODE_V1 = `/** The airport code of a city key. */
export default function airportCode({ key }: { key: string }): string {
  const codes: Record<string, string> = { ams: 'AMS', ber: 'BER', osl: 'OSL' };
  return codes[key].toUpperCase();
}
`;

const KEYS = ['ams', 'ber', 'cph', 'dub', 'lis', 'osl'];
const directory = mkdtempSync(join(tmpdir(), 'toolwright-offline-repair-'));
let service: FlakyService;
beforeAll(async () => {
  service = await startFlakyService({ schedule: (_request, index) => (index % 2 === 0 ? { status: 429 } : { status: 200 }) });
});
afterAll(async () => {
  await service.close();
  rmSync(directory, { recursive: true, force: true });
});

const calling = (tool: string, keys: readonly string[]): ScriptedModel =>
  new ScriptedModel({ script: [...keys.map((key) => ({ toolCalls: [{ name: tool, input: { key } }] })), { text: 'done' }] });

async function install(tw: Toolwright, name: string, source: string, capabilities: { kind: 'fetch'; origins: string[] }[]): Promise<void> {
  const outcome = await tw.gate.propose({
    kind: 'create-tool',
    origin: 'person',
    name,
    source,
    spec: {
      name,
      description: `${name}, as written yesterday`,
      inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
      language: 'ts',
      capabilities,
      examples: [],
    },
  }, { by: 'integrator', reason: "yesterday's tool" });
  expect(outcome.status, outcome.summary).toBe('applied');
}

describe('repair by the offline model through the model rewriter', () => {
  it('retries a rate-limited network tool: v2 is proven, approved, and serves every call', async () => {
    const repairs: OfflineModelEvent[] = [];
    const reports: ImprovementReport[] = [];
    const rewriter = createModelRewriter({
      model: offlineModel({ onEvent: (event) => repairs.push(event) }),
      transforms: { retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 } },
    });
    const database = `sqlite:${join(directory, 'quote.sqlite')}`;
    const tw = await createToolwright({
      database,
      model: calling('get_quote', KEYS),
      rewriter,
      network: { allow: [service.origin] },
      // A run deadline generous next to a loopback answer, so a loaded machine adds no timeouts.
      sandbox: { timeoutMs: 10_000 },
      improve: { everyNCalls: KEYS.length, inBackground: false, lastN: 50 },
      evaluator: { rewriteBelow: 0.8 },
      heldOutShare: 0.34,
      reflect: false,
      onEvent: (event) => {
        if (event.type === 'improvement') reports.push(event.report);
      },
    });
    try {
      await install(tw, 'get_quote', QUOTE_V1(service.origin), [{ kind: 'fetch', origins: [service.origin] }]);
      const first = await tw.run('Quote every key');
      expect(first.toolCalls.filter((call) => call.ok)).toHaveLength(KEYS.length / 2);

      // Half the calls were rate-limited: retry, whatever else the diagnosis calls for; never
      // memoise (a network tool is not pure) nor fallback (no secondary origin is declared).
      // The list of transient kinds names HTTP 429, whatever else a loaded machine added to it.
      const transient = /transient \([^)]*HTTP 429 ×\d+/;
      expect(repairs).toEqual([{ type: 'repair', tool: 'get_quote', version: 1, transforms: expect.arrayContaining(['retry']), reason: expect.stringMatching(transient) }]);
      expect(repairs[0]?.type === 'repair' ? repairs[0].transforms : []).not.toContain('fallback');
      expect(reports.flatMap((report) => report.tools).find((tool) => tool.tool === 'get_quote')?.outcome).toBe('queued');
      const [, v2] = await tw.registry.history('get_quote');
      expect(v2?.status).toBe('candidate');
      expect(v2?.author).toEqual({ kind: 'model', id: 'offline-synthesis' });
      expect(v2?.source).toContain('fetchWithRetry');
      expect(v2?.source).toContain('const RETRY_BASE_DELAY_MS = 5;');
      expect(v2?.reason).toMatch(transient);
      expect(v2?.reason).toContain('Retry: transient failures');

      const [request] = await tw.policy.approvals.list({ status: 'proposed', name: 'get_quote' });
      // A network rewrite that needs a person ran with no capability before the approval: no live verdict yet.
      expect(request?.evidence.verdict).toBeUndefined();
      expect((await tw.approve(request?.id ?? '', { by: 'alice' })).status).toBe('applied');
    } finally {
      await tw.close();
    }

    const next = await createToolwright({
      database,
      model: calling('get_quote', KEYS),
      network: { allow: [service.origin] },
      sandbox: { timeoutMs: 10_000 },
      improve: false,
      reflect: false,
    });
    try {
      const second = await next.run('Quote every key again');
      expect(second.toolCalls.map((call) => [call.version, call.ok])).toEqual(KEYS.map(() => [2, true]));
      expect(second.toolCalls.map((call) => call.output)).toEqual(KEYS.map(flakyServicePrice));
    } finally {
      await next.close();
    }
  });

  it('says plainly why it cannot repair wrong logic: no candidate, nothing registered, and the run still answers', async () => {
    const reports: ImprovementReport[] = [];
    const tw = await createToolwright({
      database: 'sqlite::memory:',
      model: calling('airport_code', KEYS),
      rewriter: createModelRewriter({ model: offlineModel() }),
      improve: { everyNCalls: KEYS.length, inBackground: false, lastN: 50 },
      evaluator: { rewriteBelow: 0.8 },
      reflect: false,
      onEvent: (event) => {
        if (event.type === 'improvement') reports.push(event.report);
      },
    });
    try {
      await install(tw, 'airport_code', CODE_V1, []);
      const run = await tw.run('Code every key');
      expect(run.output).toBe('done');
      expect(run.toolCalls.filter((call) => call.ok)).toHaveLength(3);

      const outcome = reports.flatMap((report) => report.tools).find((tool) => tool.tool === 'airport_code');
      expect(outcome?.outcome).toBe('no-candidate');
      expect(outcome?.reasons[0]).toMatch(/cannot repair this tool: the diagnosis of airport_code v1 names failures whose errors are not transient \(THROWN: .*TypeError/);
      expect(outcome?.reasons[0]).toContain('a transform cannot fix wrong logic');
      expect((await tw.registry.history('airport_code')).map((version) => version.version)).toEqual([1]);
      const audit = await tw.memory.auditLog({ artifact: 'airport_code' });
      expect(audit.find((entry) => entry.action === 'improve.no-candidate')?.reason).toContain('a transform cannot fix wrong logic');
    } finally {
      await tw.close();
    }
  });
});
