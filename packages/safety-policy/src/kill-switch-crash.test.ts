import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createMemory } from '@toolwright/memory';
import { openDatabase } from '@toolwright/store';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicy } from './index.js';

const child = fileURLToPath(new URL('./__fixtures__/flip-until-killed.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Starts the child at flip `first`, lets it flip until it reported `after` flips, waits `delayMs`, and SIGKILLs it. */
async function flipThenKill(url: string, first: number, after: number, delayMs: number): Promise<void> {
  const flipper = spawn(process.execPath, [child, url, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  flipper.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => flipper.on('exit', (_code, signal) => resolve(signal)));
  let flipped = -1;
  for await (const line of createInterface({ input: flipper.stdout })) {
    const match = /^flipped (\d+)$/.exec(line);
    if (match) flipped = Number(match[1]);
    if (flipped >= first + after) break;
  }
  if (flipped < first + after) throw new Error(`the child stopped early (flip ${flipped}): ${stderr}`);
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  flipper.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

describe('the kill switch killed with SIGKILL while it flips (SQLite)', () => {
  let directory: string;
  beforeAll(() => {
    if (!existsSync(dist)) throw new Error(`build the package first (${dist} is missing): npx pnpm@9.15.9 --filter @toolwright/safety-policy build`);
    directory = mkdtempSync(join(tmpdir(), 'toolwright-kill-switch-crash-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('never leaves a flip without its audit entry, nor an entry without its flip, over 16 kills', async () => {
    const url = `sqlite:${join(directory, 'flips.db')}`;
    let next = 0;
    // Kill delays in ms, spread so that kills land between and inside the flips' transactions.
    for (const [round, delayMs] of [0, 1, 2, 3, 0, 5, 1, 7, 0, 2, 11, 0, 3, 1, 4, 0].entries()) {
      await flipThenKill(url, next, 3 + (round % 4), delayMs);

      const database = await openDatabase(url);
      const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(database.kysely);
      expect(integrity.rows).toEqual([{ integrity_check: 'ok' }]);
      const memory = await createMemory({ database });
      const policy = await createPolicy({ database, audit: memory });
      const state = await policy.killSwitch.state();
      const flips = (await memory.auditLog({ limit: 10_000 })).filter((entry) => entry.action.startsWith('policy.kill-switch.'));
      const newest = flips[0];
      // The state in force is the one the newest entry records: same flip, same direction.
      expect(newest?.reason, `round ${round}`).toBe(state.reason);
      expect(newest?.action).toBe(state.engaged ? 'policy.kill-switch.engage' : 'policy.kill-switch.release');
      // Every committed flip has exactly one entry, in order, none missing.
      const numbers = flips.map((entry) => Number(entry.reason.replace('flip-', ''))).reverse();
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, index) => index));
      next = (numbers.at(-1) ?? -1) + 1;
      await memory.close();
      await database.close();
    }
  }, 120_000);
});
