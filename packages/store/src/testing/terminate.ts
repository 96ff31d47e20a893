import { sql } from 'kysely';
import type { TestHandle } from './backends.js';

/** What {@link terminateWhileBlocked} saw. */
export interface TerminatedOperation<T> {
  /** How the operation settled after its connection(s) were terminated. */
  readonly result: PromiseSettledResult<T>;
  /** How many PostgreSQL backends were terminated (at least one). */
  readonly terminated: number;
}

/** Options of {@link terminateWhileBlocked}. */
export interface TerminateOptions {
  /**
   * The lock taken on the table: `access exclusive` (default) blocks every query on it,
   * reads too; `exclusive` blocks only writes, so the operation reads freely and is
   * terminated at its first write.
   */
  readonly mode?: 'access exclusive' | 'exclusive';
  /** How many times to terminate: each time, the next backend that blocks (a retry) is terminated too. Default 1. */
  readonly times?: number;
  /** How long to wait for the operation to block, each time. Default 10,000 ms. */
  readonly timeoutMs?: number;
}

/**
 * PostgreSQL only: terminates the connection an operation uses in the middle of it, the way a
 * server restart or failover would. `other` (a second handle on the same schema, e.g. from
 * `TestDatabase.open()`) locks `table`, `operation` starts and blocks on that lock, every
 * backend waiting for the lock is terminated with `pg_terminate_backend` (`times` rounds:
 * retries that block again are terminated too, until the operation settles), and the lock is
 * released. Resolves with how the operation settled; it never rejects because of it.
 *
 * @example
 * ```ts
 * const { result } = await terminateWhileBlocked(await database.open(), 'memory_invocations', () => memory.flush());
 * ```
 */
export async function terminateWhileBlocked<T>(other: TestHandle, table: string, operation: () => Promise<T>, options: TerminateOptions = {}): Promise<TerminatedOperation<T>> {
  const times = options.times ?? 1;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const mode = options.mode === 'exclusive' ? sql`exclusive` : sql`access exclusive`;
  let settled: Promise<PromiseSettledResult<T>> | undefined;
  let done = false;
  const terminated = await other.kysely.transaction().execute(async (trx) => {
    await sql`lock table ${sql.id(table)} in ${mode} mode`.execute(trx);
    const locker = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]?.pid;
    settled = Promise.resolve()
      .then(operation)
      .then(
        (value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
      )
      .finally(() => (done = true));
    let total = 0;
    for (let round = 0; round < times && !done; round++) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // pg_stat_activity is a snapshot kept for the whole transaction: take a fresh one.
        await sql`select pg_stat_clear_snapshot()`.execute(trx);
        const blocked = await sql<{ pid: number }>`select pid from pg_stat_activity where ${locker}::int = any(pg_blocking_pids(pid))`.execute(trx);
        if (blocked.rows.length > 0) {
          for (const row of blocked.rows) await sql`select pg_terminate_backend(${row.pid}::int)`.execute(trx);
          total += blocked.rows.length;
          // Wait until they are gone, so that the next round sees only new backends.
          const pids = blocked.rows.map((row) => row.pid);
          for (;;) {
            await sql`select pg_stat_clear_snapshot()`.execute(trx);
            if ((await sql`select 1 from pg_stat_activity where pid = any(${pids}::int[])`.execute(trx)).rows.length === 0) break;
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          break;
        }
        if (done) break;
        if (Date.now() > deadline) {
          if (total > 0) break;
          throw new Error(`terminateWhileBlocked: nothing blocked on "${table}" in time; does the operation ${options.mode === 'exclusive' ? 'write to' : 'touch'} that table?`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    return total;
  });
  return { result: await (settled as Promise<PromiseSettledResult<T>>), terminated };
}
