import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createMemory, type MemoryStore } from '@toolwright/memory';
import { createRegistry, type RegistryStore } from '@toolwright/registry';
import { createRegressionRunner } from '@toolwright/regression';
import { createPolicy, type SafetyPolicy } from '@toolwright/safety-policy';
import { createSandbox, type IsolatedSandbox } from '@toolwright/sandbox';
import { openDatabase, type Database } from '@toolwright/store';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGate, type Gate } from './create-gate.js';

const child = fileURLToPath(new URL('./__fixtures__/approve-until-killed.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Runs the child; in `loop` mode SIGKILLs it `delayMs` after it reported `after` applied approvals. */
async function runChild(url: string, mode: 'loop' | 'interrupt', first: number, after = 0, delayMs = 0): Promise<string[]> {
  const worker = spawn(process.execPath, [child, url, mode, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  worker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => worker.on('exit', (_code, signal) => resolve(signal)));
  const lines: string[] = [];
  let applied = 0;
  for await (const line of createInterface({ input: worker.stdout })) {
    lines.push(line);
    if (line.startsWith('applied ')) applied += 1;
    if (mode === 'loop' && applied >= after) break;
  }
  if (mode === 'loop') {
    if (applied < after) throw new Error(`the child stopped early (${applied} applied): ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    worker.kill('SIGKILL');
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the child was not killed (${String(signal)}): ${stderr}`);
  return lines;
}

interface Parts {
  readonly database: Database;
  readonly memory: MemoryStore;
  readonly registry: RegistryStore;
  readonly policy: SafetyPolicy;
  readonly gate: Gate;
  close(): Promise<void>;
}

async function openParts(url: string, sandbox: IsolatedSandbox): Promise<Parts> {
  const database = await openDatabase(url);
  const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(database.kysely);
  expect(integrity.rows).toEqual([{ integrity_check: 'ok' }]);
  const memory = await createMemory({ database });
  const registry = await createRegistry({ database });
  const policy = await createPolicy({ database, audit: memory, evolution: { changesPerHour: 100_000, maxTools: 100_000 } });
  const regression = await createRegressionRunner({ sandbox, database });
  const gate = await createGate({ database, registry, policy, memory, regression });
  return {
    database, memory, registry, policy, gate,
    async close() {
      await registry.close();
      await memory.close();
      await database.close();
    },
  };
}

/** Every applied request has its "applied" audit entry and its tool active; every active tool came from an applied request. */
async function expectEveryApplicationAudited(parts: Parts): Promise<void> {
  const approvals = await parts.policy.approvals.list();
  const log = await parts.memory.auditLog({ limit: 10_000 });
  const appliedEntries = log.filter((entry) => entry.action === 'create-tool.applied');
  for (const approval of approvals) {
    const name = approval.change.kind === 'create-tool' ? approval.change.name : '';
    const entries = appliedEntries.filter((entry) => entry.evidence['approvalId'] === approval.id);
    const active = await parts.registry.active(name);
    if (approval.status === 'applied') {
      expect(entries, `request ${approval.id} is applied`).toHaveLength(1);
      expect(active?.status, `request ${approval.id} is applied`).toBe('active');
    } else {
      expect(entries, `request ${approval.id} is ${approval.status}`).toEqual([]);
      expect(active, `request ${approval.id} is ${approval.status}`).toBeUndefined();
    }
    // Queued requests were audited with the queueing, in the same transaction.
    expect(log.some((entry) => entry.action === 'create-tool.queued' && entry.evidence['approvalId'] === approval.id), `request ${approval.id} queued`).toBe(true);
  }
}

describe('approvals killed with SIGKILL while the gate applies them (SQLite)', () => {
  let directory: string;
  let sandbox: IsolatedSandbox;
  beforeAll(() => {
    if (!existsSync(dist)) throw new Error(`build the package first (${dist} is missing): npx pnpm@9.15.9 --filter @toolwright/gate build`);
    directory = mkdtempSync(join(tmpdir(), 'toolwright-approval-crash-'));
    sandbox = createSandbox();
  });
  afterAll(async () => {
    await sandbox.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it('an approval killed between approve and mark-applied is finished by applyApproved, audited once, and a retry changes nothing', async () => {
    const url = `sqlite:${join(directory, 'interrupted.db')}`;
    const lines = await runChild(url, 'interrupt', 0);
    const id = lines.find((line) => line.startsWith('queued '))?.slice('queued '.length) ?? '';
    const parts = await openParts(url, sandbox);
    try {
      expect((await parts.policy.approvals.get(id))?.status).toBe('approved');
      expect(await parts.registry.active('interrupted_tool')).toBeUndefined();
      await expectEveryApplicationAudited(parts);

      const finished = await parts.gate.applyApproved(id, { by: 'ada' });
      expect(finished.status, finished.summary).toBe('applied');
      expect((await parts.policy.approvals.get(id))?.status).toBe('applied');
      await expectEveryApplicationAudited(parts);

      const changes = (await parts.registry.changeLog('interrupted_tool')).length;
      const again = await parts.gate.applyApproved(id, { by: 'ada' });
      expect(again.status).toBe('applied');
      expect(again.summary).toMatch(/already applied/);
      expect((await parts.registry.changeLog('interrupted_tool')).length).toBe(changes);
      expect((await parts.memory.auditLog({ artifact: 'interrupted_tool' })).filter((entry) => entry.action === 'create-tool.applied')).toHaveLength(1);
    } finally {
      await parts.close();
    }
  }, 60_000);

  it('never leaves an applied approval without its audit entry over 12 kills, and every interrupted one can be finished', async () => {
    const url = `sqlite:${join(directory, 'loop.db')}`;
    for (const [round, delayMs] of [0, 2, 5, 1, 9, 0, 3, 14, 1, 6, 0, 4].entries()) {
      await runChild(url, 'loop', round * 1000, 1 + (round % 3), delayMs);
      const parts = await openParts(url, sandbox);
      try {
        await expectEveryApplicationAudited(parts);
        // Finish what the kill interrupted, through the public API.
        for (const approval of await parts.policy.approvals.list({ status: ['proposed', 'approved'] })) {
          const finished = await parts.gate.applyApproved(approval.id, { by: 'ada' });
          expect(finished.status, finished.summary).toBe('applied');
        }
        await expectEveryApplicationAudited(parts);
      } finally {
        await parts.close();
      }
    }
  }, 180_000);
});
