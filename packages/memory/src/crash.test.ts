import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@toolwright/store';
import { createMemory } from './create-memory.js';

const child = fileURLToPath(new URL('./__fixtures__/record-until-killed.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Runs the child until it reports `atLeast` committed invocations, waits `delayMs`, then SIGKILLs it. */
async function recordThenKill(url: string, atLeast: number, delayMs: number): Promise<number> {
  const recorder = spawn(process.execPath, [child, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  recorder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => recorder.on('exit', (_code, signal) => resolve(signal)));
  let committed = 0;
  for await (const line of createInterface({ input: recorder.stdout })) {
    const match = /^committed (\d+)$/.exec(line);
    if (match) committed = Number(match[1]);
    if (committed >= atLeast) break;
  }
  if (committed < atLeast) throw new Error(`the child stopped early (committed ${committed}): ${stderr}`);
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  recorder.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return committed;
}

describe('a process killed with SIGKILL in the middle of batched writes (SQLite)', () => {
  let directory: string;
  beforeAll(() => {
    if (!existsSync(dist)) throw new Error(`build the package first (${dist} is missing): npx pnpm@9.15.9 --filter @toolwright/memory build`);
    directory = mkdtempSync(join(tmpdir(), 'toolwright-crash-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  for (const [round, delayMs] of [0, 3, 11].entries()) {
    it(`leaves a database that opens cleanly with every committed batch, whole and in order (round ${round + 1})`, async () => {
      const url = `sqlite:${join(directory, `crash-${round}.db`)}`;
      const committed = await recordThenKill(url, 1_000 + round * 1_500, delayMs);

      const db = await openDatabase(url);
      const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db.kysely);
      expect(integrity.rows).toEqual([{ integrity_check: 'ok' }]);
      const memory = await createMemory({ database: db });
      const rows = await sql<{ n: number; lowest: number; highest: number }>`select count(*) as n, min(model_turn) as lowest, max(model_turn) as highest
        from memory_invocations`.execute(db.kysely);
      const { n, lowest, highest } = rows.rows[0] ?? { n: 0, lowest: -1, highest: -1 };
      // Everything the child saw committed is there...
      expect(n).toBeGreaterThanOrEqual(committed);
      // ...and what is there is a gap-free prefix: batches are whole and were written in order.
      expect(lowest).toBe(0);
      expect(highest).toBe(n - 1);
      expect((await memory.summary('crash_probe', { since: 0 })).count).toBe(n);
      await memory.close();
      await db.close();
    });
  }
});
