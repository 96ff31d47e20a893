import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FlakyService, startFlakyService } from '@toolwright/core/testing';
import { openDatabase, type Database } from '@toolwright/store';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend, type TestDatabase } from '@toolwright/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolwright, type Toolwright } from './create-toolwright.js';
import { IMPROVE_QUEUE, readJobStats } from './index.js';

// The fleet on PostgreSQL (issue 17), with three real processes on the built dist sharing one
// schema: a quote tool degrades (the service answers every other request with 429), every
// instance asks for an improvement, the fleet makes one job; the instance that takes it first is
// killed (SIGKILL) mid-cycle, after its diagnosis; another finishes it from the checkpointed
// steps; a person approves the one request; every surviving instance serves v2.

noticePostgresSkipped('toolwright fleet.int.test.ts');

const KEYS = ['ams', 'ber', 'cph', 'dub', 'lis', 'osl'];
const fixture = fileURLToPath(new URL('./__fixtures__/fleet-instance.mjs', import.meta.url));

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

interface Instance {
  readonly child: ChildProcess;
  readonly lines: string[];
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
}

function startInstance(env: Record<string, string>): Instance {
  const child = spawn(process.execPath, [fixture], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffered = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  return {
    child,
    lines,
    async waitFor(prefix, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.find((entry) => entry.startsWith(prefix));
        if (line !== undefined) return line;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`instance ${child.pid} ended (${child.exitCode ?? child.signalCode}) before "${prefix}"; stdout: ${lines.join(' | ')}; stderr: ${errors.slice(0, 2500)}`);
        if (Date.now() > deadline) throw new Error(`instance ${child.pid} never said "${prefix}"; stdout: ${lines.join(' | ')}; stderr: ${errors.slice(0, 2500)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, context: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; ${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(POSTGRES_URL === undefined)('a fleet of three processes on one PostgreSQL schema', () => {
  let service: FlakyService;
  let database: TestDatabase<Database>;
  let holdDir: string;
  const instances: Instance[] = [];
  beforeAll(async () => {
    service = await startFlakyService({ schedule: (_request, index) => (index % 2 === 0 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 }) });
    database = await postgresBackend(openDatabase, 'fleet').create();
    holdDir = mkdtempSync(join(tmpdir(), 'toolwright-fleet-'));
  });
  afterAll(async () => {
    for (const instance of instances) instance.child.kill('SIGKILL');
    await service?.close();
    await database?.cleanup();
    rmSync(holdDir, { recursive: true, force: true });
  });

  it('improves a degrading tool once across the fleet, survives the death of the worker mid-cycle, and every instance serves the new version', { timeout: 180_000 }, async () => {
    const url = database.url;
    const schema = database.options.schema as string;
    const person: Toolwright = await createToolwright({ database: url, databaseOptions: { schema }, network: { allow: [service.origin] }, sandbox: { timeoutMs: 10_000 }, improve: false, reflect: false, shadow: false });
    try {
      const installed = await person.gate.propose(
        {
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
        },
        { by: 'integrator', reason: "yesterday's tool: no retry, no timeout" },
      );
      expect(installed.status, installed.summary).toBe('applied');

      const env = { FLEET_DATABASE: url, FLEET_SCHEMA: schema, FLEET_ORIGIN: service.origin, FLEET_HOLD_DIR: holdDir, FLEET_KEYS: JSON.stringify(KEYS) };
      for (let index = 0; index < 3; index += 1) instances.push(startInstance(env));
      await Promise.all(instances.map((instance) => instance.waitFor('QUOTED')));

      // One instance took the one job and stopped after its diagnosis: kill it there.
      const said = (): string => instances.map((instance) => `${instance.child.pid}: ${instance.lines.join(' | ')}`).join('; ');
      await until('an instance to hold the job', async () => instances.some((instance) => instance.lines.includes('HOLDING')), 60_000, said);
      const holder = instances.find((instance) => instance.lines.includes('HOLDING')) as Instance;
      expect(Number(readFileSync(join(holdDir, 'held'), 'utf8'))).toBe(holder.child.pid);
      expect((await person.memory.auditLog({ artifact: 'get_quote' })).filter((entry) => entry.action === 'improve.diagnose')).toHaveLength(1);
      holder.child.kill('SIGKILL');
      const survivors = instances.filter((instance) => instance !== holder);

      // Another instance finishes it: the candidate is proven and queued for a person.
      await until('the approval request', async () => (await person.policy.approvals.list({ name: 'get_quote' })).length > 0, 90_000);
      // The request is written inside the job (the gate's step); the job's report comes once the handler returns.
      await until('the finisher to report', async () => survivors.some((instance) => instance.lines.some((line) => line.startsWith('IMPROVED'))), 30_000, said);
      const finisher = survivors.find((instance) => instance.lines.some((line) => line.startsWith('IMPROVED')));
      expect(finisher?.lines).toContain('IMPROVED queued');
      const [request, ...others] = await person.policy.approvals.list({ name: 'get_quote' });
      expect(others).toEqual([]);
      expect(request?.change).toMatchObject({ kind: 'rewrite-tool', fromVersion: 1 });

      const applied = await person.approve(request?.id ?? '', { by: 'alice', note: 'retry with backoff looks right' });
      const approvedAt = Date.now();
      expect(applied.status, applied.summary).toBe('applied');

      // Every surviving instance hears of the promotion and serves v2.
      const heard = await Promise.all(survivors.map((instance) => instance.waitFor('ACTIVE 2')));
      const propagationMs = heard.map((line) => Number(line.split(' ')[2]) - approvedAt);
      console.info(`[fleet] promotion propagation to the other processes (ms): ${propagationMs.join(', ')}`);
      for (const instance of survivors) expect(await instance.waitFor('SERVED')).toBe('SERVED [2]');

      // Nothing happened twice: one diagnosis, one rewrite, one request, one promotion, one job.
      const audit = (await person.memory.auditLog({ artifact: 'get_quote' })).map((entry) => entry.action);
      const count = (action: string): number => audit.filter((entry) => entry === action).length;
      expect({ diagnose: count('improve.diagnose'), queued: count('rewrite-tool.queued'), applied: count('rewrite-tool.applied'), audit }).toEqual({ diagnose: 1, queued: 1, applied: 1, audit });
      expect((await person.registry.history('get_quote')).map((version) => [version.version, version.status])).toEqual([
        [1, 'retired'],
        [2, 'active'],
      ]);
      const stats = (await readJobStats(person.database)).find((entry) => entry.queue === IMPROVE_QUEUE);
      expect(stats).toMatchObject({ completed: 1, queued: 0, running: 0, failed: 0, parked: 0 });
    } finally {
      for (const instance of instances) instance.child.stdin?.end();
      await person.close();
    }
  });
});
