import type { SummaryWindow, ToolSummary } from '@toolwright/core';
import { type RawBuilder, sql } from 'kysely';
import type { SchemalessKysely } from '@toolwright/store';

/** What one summary covers. */
export interface SummaryRequest {
  readonly tool: string;
  readonly version: number | undefined;
  readonly window: SummaryWindow;
  readonly recentErrorLimit: number;
}

/** The columns {@link CALL_FIGURES} selects. */
export interface CallFiguresRow {
  count: number;
  success_count: number | null;
  mean: number | null;
  variance: number | null;
  max: number | null;
  p50: number | null;
  p95: number | null;
}

interface StatsRow extends CallFiguresRow {
  first_at: number | null;
  last_at: number | null;
}

/**
 * The figures of a group of calls, over `r` (the calls, `rn` numbering their latencies in
 * order) joined with `t` (their count `n` and mean `m`): count, successes, mean, two-pass
 * variance, max and the nearest-rank p50 / p95 (rank ⌈p·n⌉ in integer arithmetic), and the
 * first and last call. The summary and the series both select them, so both agree exactly.
 */
export const CALL_FIGURES = sql`count(*) as count,
        sum(r.ok) as success_count,
        max(t.m) as mean,
        avg((r.duration_ms - t.m) * (r.duration_ms - t.m)) as variance,
        max(r.duration_ms) as max,
        max(case when r.rn = (t.n + 1) / 2 then r.duration_ms end) as p50,
        max(case when r.rn = (95 * t.n + 99) / 100 then r.duration_ms end) as p95,
        min(r.started_at) as first_at,
        max(r.started_at) as last_at`;

/** Count, successes and latency of a {@link CALL_FIGURES} row, as a summary reports them. */
export function callFiguresOf(row: CallFiguresRow): Pick<ToolSummary, 'count' | 'successCount' | 'successRate' | 'latency'> {
  const count = Number(row.count);
  const successCount = Number(row.success_count ?? 0);
  return {
    count,
    successCount,
    successRate: successCount / count,
    latency: {
      mean: Number(row.mean ?? 0),
      p50: Number(row.p50 ?? 0),
      p95: Number(row.p95 ?? 0),
      max: Number(row.max ?? 0),
      // Rounding can leave a tiny negative variance when every latency is equal.
      spread: Math.sqrt(Math.max(0, Number(row.variance ?? 0))),
    },
  };
}

/** The oldest call of a last-N window, as `(started_at, id)`; `undefined` when there are fewer than N calls. */
type LowerBound = { readonly startedAt: number; readonly id: number } | undefined;

/**
 * The `where` clause of a window. A last-N window is turned into a range first (its oldest
 * call, found by walking the index N entries back), so that every query of a summary is a
 * range scan of an index: `memory_invocations_tool_time` / `…_tool_version_time` (which
 * cover the statistics) and their partial `…_failures` twins (which hold only failures).
 */
export function windowCondition(request: Pick<SummaryRequest, 'tool' | 'version' | 'window'>, lowerBound: LowerBound): RawBuilder<unknown> {
  const { tool, version, window } = request;
  const conditions = [sql`tool = ${tool}`];
  if (version !== undefined) conditions.push(sql`version = ${version}`);
  if ('lastN' in window) {
    if (lowerBound !== undefined) conditions.push(sql`(started_at, id) >= (${lowerBound.startedAt}, ${lowerBound.id})`);
  } else {
    conditions.push(sql`started_at >= ${window.since}`);
    if (window.until !== undefined) conditions.push(sql`started_at < ${window.until}`);
  }
  return sql.join(conditions, sql` and `);
}

/** The query that finds the oldest call of a last-N window. */
export function lowerBoundQuery(request: Pick<SummaryRequest, 'tool' | 'version'>, lastN: number): RawBuilder<{ started_at: number; id: number }> {
  const conditions = [sql`tool = ${request.tool}`];
  if (request.version !== undefined) conditions.push(sql`version = ${request.version}`);
  return sql<{ started_at: number; id: number }>`select started_at, id from memory_invocations where ${sql.join(conditions, sql` and `)}
    order by started_at desc, id desc limit 1 offset ${lastN - 1}`;
}

/**
 * Computes a {@link ToolSummary} in SQL, never loading the window's rows into JS: count,
 * success count, mean, variance, max and the nearest-rank p50/p95 (row_number over the
 * ordered latencies, rank ⌈p·n⌉ in integer arithmetic, the same on both databases) come out
 * of one statement over a covering index; error classes and the most recent errors come from the failures-only
 * partial index. Everything runs in one snapshot (a REPEATABLE READ transaction on
 * PostgreSQL, a read transaction on SQLite), so the parts agree with each other.
 */
export async function querySummary(kysely: SchemalessKysely, dialect: 'sqlite' | 'postgres', request: SummaryRequest): Promise<ToolSummary> {
  const { tool, version, window } = request;

  const run = async (db: SchemalessKysely) => {
    let lowerBound: LowerBound;
    if ('lastN' in window) {
      const bound = (await lowerBoundQuery(request, window.lastN).execute(db)).rows[0];
      lowerBound = bound === undefined ? undefined : { startedAt: Number(bound.started_at), id: Number(bound.id) };
    }
    const where = windowCondition(request, lowerBound);
    // Two index range scans of the window: one numbers the latencies in order (for the
    // nearest-rank percentiles), the other gives n and the mean (for the ranks and a two-pass
    // variance). No window function over the whole partition, no loading rows into JS.
    const stats = await sql<StatsRow>`select ${CALL_FIGURES}
      from (select ok, started_at, duration_ms, row_number() over (order by duration_ms) as rn
            from memory_invocations where ${where}) as r
      cross join (select count(*) as n, avg(duration_ms) as m from memory_invocations where ${where}) as t`.execute(db);
    const row = stats.rows[0];
    if (row === undefined || Number(row.count) === 0) return { row: undefined, errors: [], recent: [] };
    // `ok = 0` is written literally so that the planner can match the partial index.
    const errors = await sql<{ code: string; count: number }>`select error_code as code, count(*) as count
      from memory_invocations where ${where} and ok = 0
      group by error_code order by count(*) desc, error_code asc`.execute(db);
    const recent = await sql<{ code: string; message: string; version: number; started_at: number }>`select error_code as code,
        error_message as message, version, started_at
      from memory_invocations where ${where} and ok = 0
      order by started_at desc, id desc limit ${request.recentErrorLimit}`.execute(db);
    return { row, errors: errors.rows, recent: recent.rows };
  };

  const { row, errors, recent } =
    dialect === 'postgres'
      ? await kysely.transaction().setIsolationLevel('repeatable read').execute(run)
      : await kysely.transaction().execute(run);

  if (row === undefined) {
    return {
      tool,
      version,
      window,
      count: 0,
      successCount: 0,
      successRate: 0,
      latency: { mean: 0, p50: 0, p95: 0, max: 0, spread: 0 },
      errors: [],
      recentErrors: [],
      firstAt: undefined,
      lastAt: undefined,
    };
  }
  return {
    tool,
    version,
    window,
    ...callFiguresOf(row),
    errors: errors.map((error) => ({ code: error.code, count: Number(error.count) })),
    recentErrors: recent.map((error) => ({
      code: error.code,
      message: error.message,
      version: Number(error.version),
      startedAt: Number(error.started_at),
    })),
    firstAt: row.first_at === null ? undefined : Number(row.first_at),
    lastAt: row.last_at === null ? undefined : Number(row.last_at),
  };
}
