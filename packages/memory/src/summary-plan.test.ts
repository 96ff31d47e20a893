import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '@toolwright/store';
import { createMemory } from './create-memory.js';
import { seriesStatement } from './series-query.js';
import { lowerBoundQuery, windowCondition } from './summary-query.js';

// Summaries are computed in SQL over indexes: every part is an index range scan, never a
// table scan, and the statistics never touch the table at all (covering index).
describe('summary query plans on SQLite', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase('sqlite::memory:');
    await (await createMemory({ database: db })).close();
  });
  afterAll(() => db.close());

  const plan = async (query: ReturnType<typeof sql>): Promise<string> => {
    const rows = await sql<{ detail: string }>`explain query plan ${query}`.execute(db.kysely);
    return rows.rows.map((row) => row.detail).join('\n');
  };
  const bound = { startedAt: 100, id: 7 };

  it('finds the start of a last-N window by walking the index backwards, without sorting', async () => {
    const all = await plan(lowerBoundQuery({ tool: 'total_fares', version: undefined }, 50));
    expect(all).toContain('USING COVERING INDEX memory_invocations_tool_time');
    expect(all).not.toContain('TEMP B-TREE');
    const one = await plan(lowerBoundQuery({ tool: 'total_fares', version: 2 }, 50));
    expect(one).toContain('USING COVERING INDEX memory_invocations_tool_version_time');
    expect(one).not.toContain('TEMP B-TREE');
  });

  it('computes the statistics from the covering index alone', async () => {
    for (const [version, index] of [
      [undefined, 'memory_invocations_tool_time'],
      [3, 'memory_invocations_tool_version_time'],
    ] as const) {
      for (const window of [{ lastN: 50 }, { since: 10, until: 20 }]) {
        const where = windowCondition({ tool: 'total_fares', version, window }, bound);
        const detail = await plan(sql`select count(*), avg(duration_ms), sum(ok) from memory_invocations where ${where}`);
        expect(detail, JSON.stringify({ version, window })).toContain(`USING COVERING INDEX ${index}`);
      }
    }
  });

  it('reads error classes and recent errors from the failures-only partial index', async () => {
    const where = windowCondition({ tool: 'total_fares', version: undefined, window: { lastN: 50 } }, bound);
    const classes = await plan(sql`select error_code, count(*) from memory_invocations where ${where} and ok = 0 group by error_code`);
    expect(classes).toContain('USING COVERING INDEX memory_invocations_tool_failures');
    const recent = await plan(sql`select error_message from memory_invocations where ${where} and ok = 0 order by started_at desc, id desc limit 10`);
    expect(recent).toContain('USING INDEX memory_invocations_tool_failures');
    expect(recent).not.toContain('TEMP B-TREE');
  });

  it('computes a series in one statement over an index range, from the covering index alone for one version', async () => {
    // One version: `…_tool_version_time` covers every column the statement reads.
    const one = await plan(seriesStatement({ tool: 'total_fares', version: 3, since: 0, until: 1_000, bucketMs: 10 }));
    expect(one).toContain('SEARCH memory_invocations USING COVERING INDEX memory_invocations_tool_version_time (tool=? AND version=? AND started_at>? AND started_at<?)');
    // Every version: a range of `…_tool_time` (which has no version column, so rows are looked up), never a scan of the table.
    const all = await plan(seriesStatement({ tool: 'total_fares', version: undefined, since: 0, until: 1_000, bucketMs: 10 }));
    expect(all).toContain('SEARCH memory_invocations USING INDEX memory_invocations_tool_time (tool=? AND started_at>? AND started_at<?)');
    for (const detail of [one, all]) expect(detail).not.toMatch(/SCAN memory_invocations/);
  });
});
