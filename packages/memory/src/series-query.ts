import type { SeriesBucket, ToolSeriesSummary } from '@toolwright/core';
import { type RawBuilder, sql } from 'kysely';
import type { SchemalessKysely } from '@toolwright/store';
import { CALL_FIGURES, callFiguresOf, type CallFiguresRow } from './summary-query.js';

/** What one series covers (already validated). */
export interface SeriesRequest {
  readonly tool: string;
  readonly version: number | undefined;
  readonly since: number;
  readonly until: number;
  readonly bucketMs: number;
}

interface BucketRow extends CallFiguresRow {
  bucket: number;
  version: number;
  first_at: number;
  last_at: number;
}

/** The grouped statement of {@link querySeries}. */
export function seriesStatement(request: SeriesRequest): RawBuilder<BucketRow> {
  const { tool, version, since, until, bucketMs } = request;
  const conditions = [sql`tool = ${tool}`, sql`started_at >= ${since}`, sql`started_at < ${until}`];
  if (version !== undefined) conditions.push(sql`version = ${version}`);
  const where = sql.join(conditions, sql` and `);
  const calls = sql`select (started_at - cast(${since} as bigint)) / cast(${bucketMs} as bigint) as bucket,
      version, ok, started_at, duration_ms
    from memory_invocations where ${where}`;
  // Two scans of the range, as in the summary: one numbers each bucket's latencies in order
  // (for the nearest-rank percentiles), the other gives each bucket's n and mean (for the
  // ranks and a two-pass variance). One window function only: SQLite sorts once per window.
  return sql<BucketRow>`select r.bucket as bucket, r.version as version, ${CALL_FIGURES}
    from (select bucket, version, ok, started_at, duration_ms,
            row_number() over (partition by bucket, version order by duration_ms) as rn
          from (${calls}) as c) as r
    join (select bucket, version, count(*) as n, avg(duration_ms) as m from (${calls}) as c group by bucket, version) as t
      on t.bucket = r.bucket and t.version = r.version
    group by r.bucket, r.version
    order by r.bucket, r.version`;
}

/**
 * Computes a {@link ToolSeriesSummary} in one grouped statement over one index range (read twice), never
 * loading the rows into JS: with a version, the covering index `memory_invocations_tool_version_time`
 * alone; for every version, a range of `memory_invocations_tool_time` (which has no version
 * column, so each row is looked up). Each call's bucket is `(started_at − since) div bucketMs` (integer division:
 * the bounds are cast to bigint so that both databases divide integers). Per (bucket, version)
 * the latencies are numbered in order and counted by window functions, so p50 and p95 are the
 * exact nearest-rank percentiles that `querySummary` computes (rank ⌈p·n⌉ in integer arithmetic),
 * and the spread is the same two-pass population standard deviation: no approximation. The
 * cost is one sort of the range's rows by (bucket, version, duration).
 */
export async function querySeries(kysely: SchemalessKysely, request: SeriesRequest): Promise<ToolSeriesSummary> {
  const { tool, version, since, until, bucketMs } = request;
  const result = await seriesStatement(request).execute(kysely);
  const buckets: SeriesBucket[] = result.rows.map((row) => {
    const index = Number(row.bucket);
    return {
      start: since + index * bucketMs,
      index,
      version: Number(row.version),
      ...callFiguresOf(row),
      firstAt: Number(row.first_at),
      lastAt: Number(row.last_at),
    };
  });
  return { tool, version, since, until, bucketMs, bucketCount: Math.ceil((until - since) / bucketMs), buckets };
}
