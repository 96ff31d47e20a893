import { type Invocation, StorageError, ToolwrightError } from '@toolwright/core';
import { runInUnit } from '@toolwright/store';
import { caught, terminateWhileBlocked } from '@toolwright/store/testing';
import { sql } from 'kysely';
import { describe, expect, it as base, vi } from 'vitest';
import { createMemory, type CreateMemoryOptions, type MemoryStore } from './create-memory.js';
import { MAX_DURATION_MS, MAX_INVOCATION_INTEGER } from './invocation-check.js';
import type { Backend, TestDatabase } from './test-support/backends.js';
import { failure, invocation } from './test-support/invocations.js';

async function rowCount(database: TestDatabase, table: string): Promise<number> {
  const result = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(database.db.kysely);
  return Number(result.rows[0]?.n);
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return ToolwrightError.isInstance(error) ? error.code : `not a ToolwrightError: ${String(error)}`;
  }
  return undefined;
}

async function rejectionCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return ToolwrightError.isInstance(error) ? error.code : `not a ToolwrightError: ${String(error)}`;
  }
  return undefined;
}

/** A trigger that refuses the tool name `poison`: the database fails in the middle of a batch. */
async function createPoisonTrigger(dialect: Backend['name'], db: TestDatabase['db']['kysely']): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`create trigger poison before insert on memory_invocations when new.tool = 'poison'
      begin select raise(abort, 'poisoned'); end`.execute(db);
  } else {
    await sql`create function poison() returns trigger language plpgsql as $$
      begin if new.tool = 'poison' then raise exception 'poisoned'; end if; return new; end $$`.execute(db);
    await sql`create trigger poison before insert on memory_invocations for each row execute function poison()`.execute(db);
  }
}

async function dropPoisonTrigger(dialect: Backend['name'], db: TestDatabase['db']['kysely']): Promise<void> {
  await sql`drop trigger poison ${dialect === 'postgres' ? sql`on memory_invocations` : sql``}`.execute(db);
}


interface SuiteContext {
  readonly database: TestDatabase;
  readonly memories: MemoryStore[];
  open(options?: Partial<CreateMemoryOptions>): Promise<MemoryStore>;
  /** Another instance's handle. On SQLite, one process shares one handle per file: two
   * better-sqlite3 connections in one thread would block each other inside the busy timeout. */
  secondHandle(): Promise<TestDatabase['db']>;
}

function suiteTest(backend: Backend) {
  return base.extend<{ t: SuiteContext }>({
    // eslint-disable-next-line no-empty-pattern -- vitest fixtures take their dependencies by destructuring
    t: async ({}, use) => {
      const database = await backend.create();
      const memories: MemoryStore[] = [];
      await use({
        database,
        memories,
        async open(options = {}) {
          // Long defaults so that only the test decides when a flush happens.
          const memory = await createMemory({ database: database.db, batchSize: 10_000, flushIntervalMs: 3_600_000, ...options });
          memories.push(memory);
          return memory;
        },
        secondHandle: () => (backend.name === 'sqlite' ? Promise.resolve(database.db) : database.open()),
      });
      for (const memory of memories.splice(0)) await memory.close().catch(() => {});
      await database.cleanup();
    },
  });
}

/** The memory suite, run unchanged against SQLite (memory.test.ts) and PostgreSQL (memory.int.test.ts). */
export function describeMemorySuite(backend: Backend): void {
  const it = suiteTest(backend);
  // Every test gets its own database (a fresh SQLite file or PostgreSQL schema), so they run concurrently.
  describe.concurrent(`memory on ${backend.name}`, () => {
    describe('options', () => {
      it('takes the handle as `database`, and names the rename when given the old `db` option', async ({ t }) => {
        const renamed = await caught(createMemory({ db: t.database.db } as never));
        expect(renamed.code).toBe('INVALID_ARGUMENT');
        expect(renamed.message).toContain('`database`');
        expect(await rejectionCode(createMemory({ database: { dialect: 'mysql' } } as never))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(createMemory({ database: t.database.db, colour: 'blue' } as never))).toBe('INVALID_ARGUMENT');
        // Migrated when it resolves: the tables are there.
        await t.open();
        expect(await rowCount(t.database, 'memory_audit')).toBe(0);
      });
    });

    describe('invocations', () => {
      it('keeps record() off the database until a flush, then writes everything', async ({ t }) => {
        const memory = await t.open();
        for (let i = 0; i < 25; i++) memory.record(invocation({ startedAt: 1_000 + i }));
        expect(memory.stats()).toEqual({ buffered: 25, written: 0, dropped: 0, refused: 0 });
        expect(await rowCount(t.database, 'memory_invocations')).toBe(0);
        await memory.flush();
        expect(await rowCount(t.database, 'memory_invocations')).toBe(25);
        expect(memory.stats()).toEqual({ buffered: 0, written: 25, dropped: 0, refused: 0 });
      });

      it('stores every field of an invocation', async ({ t }) => {
        const memory = await t.open();
        memory.record(invocation({ taskId: 'task-7', modelTurn: 3, tokens: { inputTokens: 120, outputTokens: 30 }, durationMs: 2.5 }));
        memory.record(failure('E_RANGE', { version: 2, startedAt: 2_000 }));
        await memory.flush();
        const rows = await t.database.db.kysely.selectFrom('memory_invocations').selectAll().orderBy('id').execute();
        expect(rows.map((row) => ({ ...row, id: undefined }))).toEqual([
          {
            id: undefined,
            tool: 'total_fares',
            version: 1,
            started_at: 1_000,
            duration_ms: 2.5,
            ok: 1,
            error_code: null,
            error_message: null,
            input_hash: invocation().inputHash,
            output_hash: invocation().outputHash,
            task_id: 'task-7',
            model_turn: 3,
            input_tokens: 120,
            output_tokens: 30,
          },
          {
            id: undefined,
            tool: 'total_fares',
            version: 2,
            started_at: 2_000,
            duration_ms: 5,
            ok: 0,
            error_code: 'E_RANGE',
            error_message: 'E_RANGE happened',
            input_hash: invocation().inputHash,
            output_hash: null,
            task_id: null,
            model_turn: null,
            input_tokens: null,
            output_tokens: null,
          },
        ]);
      });

      it('flushes by itself when a batch is full', async ({ t }) => {
        const memory = await t.open({ batchSize: 10 });
        for (let i = 0; i < 9; i++) memory.record(invocation({ startedAt: i }));
        // Give a size-triggered flush every chance to run: it must not, the batch is not full.
        for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
        expect(await rowCount(t.database, 'memory_invocations')).toBe(0);
        memory.record(invocation({ startedAt: 9 }));
        await vi.waitFor(async () => expect(await rowCount(t.database, 'memory_invocations')).toBe(10));
        expect(memory.stats()).toEqual({ buffered: 0, written: 10, dropped: 0, refused: 0 });
      });

      it('flushes by itself when the interval passes', async ({ t }) => {
        const memory = await t.open({ flushIntervalMs: 20 });
        for (let i = 0; i < 3; i++) memory.record(invocation({ startedAt: i }));
        await vi.waitFor(async () => expect(await rowCount(t.database, 'memory_invocations')).toBe(3));
      });

      it('flushes on close, and refuses to be used afterwards', async ({ t }) => {
        const memory = await t.open();
        for (let i = 0; i < 7; i++) memory.record(invocation({ startedAt: i }));
        await memory.close();
        expect(await rowCount(t.database, 'memory_invocations')).toBe(7);
        expect(codeOf(() => memory.record(invocation()))).toBe('STORAGE_CLOSED');
        expect(await rejectionCode(memory.flush())).toBe('STORAGE_CLOSED');
        expect(await rejectionCode(memory.summary('total_fares', { lastN: 1 }))).toBe('STORAGE_CLOSED');
        expect(await rejectionCode(memory.addLesson({ text: 'x', source: 'person' }))).toBe('STORAGE_CLOSED');
        expect(await rejectionCode(memory.audit({ actor: { kind: 'person', id: 'ana' }, action: 'pin.applied', reason: '' }))).toBe('STORAGE_CLOSED');
        await memory.close();
      });

      it('says STORAGE_CLOSED when its database handle was closed under it', async ({ t }) => {
        const handle = await t.database.open();
        const memory = await createMemory({ database: handle, batchSize: 10_000, flushIntervalMs: 3_600_000 });
        memory.record(invocation());
        await handle.close();
        expect(await rejectionCode(memory.flush())).toBe('STORAGE_CLOSED');
        expect(await rejectionCode(memory.auditLog())).toBe('STORAGE_CLOSED');
      });

      it('refuses malformed invocations at record() with INVALID_ARGUMENT and buffers nothing of them', async ({ t }) => {
        const memory = await t.open();
        const valid = invocation();
        const malformed: unknown[] = [
          undefined,
          null,
          'total_fares',
          { ...valid, tool: 'Total Fares' },
          { ...valid, version: 0 },
          { ...valid, version: 1.5 },
          { ...valid, startedAt: -1 },
          { ...valid, durationMs: -3 },
          { ...valid, durationMs: Number.NaN },
          { ...valid, durationMs: Number.POSITIVE_INFINITY },
          { ...valid, outcome: { ok: false } },
          { ...valid, outcome: { ok: false, error: { code: '', message: 'x' } } },
          { ...valid, outcome: { ok: 'yes' } },
          { ...valid, inputHash: 'not-a-hash' },
          { ...valid, outputHash: 'A'.repeat(64) },
          { ...valid, modelTurn: -1 },
          { ...valid, tokens: { inputTokens: 1 } },
          { ...valid, unknownField: 1 },
        ];
        for (const value of malformed) {
          expect(codeOf(() => memory.record(value as Invocation)), JSON.stringify(value) ?? String(value)).toBe('INVALID_ARGUMENT');
        }
        memory.record(valid);
        expect(memory.stats().buffered).toBe(1);
        await memory.flush();
        expect(await rowCount(t.database, 'memory_invocations')).toBe(1);
      });

      it('writes a batch whole or not at all, keeps a failed batch and retries it', async ({ t }) => {
        const memory = await t.open();
        await createPoisonTrigger(backend.name, t.database.db.kysely);
        for (let i = 0; i < 10; i++) memory.record(invocation({ startedAt: i }));
        memory.record(invocation({ tool: 'poison', startedAt: 10 }));
        for (let i = 11; i < 15; i++) memory.record(invocation({ startedAt: i }));

        const error = await memory.flush().catch((caught: unknown) => caught);
        expect(StorageError.isInstance(error) && error.code).toBe('STORAGE_FAILED');
        expect((error as Error).message).toContain('poisoned');
        expect(await rowCount(t.database, 'memory_invocations')).toBe(0);
        expect(memory.stats()).toMatchObject({ buffered: 15, written: 0 });

        await dropPoisonTrigger(backend.name, t.database.db.kysely);
        await memory.flush();
        expect(await rowCount(t.database, 'memory_invocations')).toBe(15);
        const tools = await t.database.db.kysely.selectFrom('memory_invocations').select('tool').orderBy('id').execute();
        expect(tools.map((row) => row.tool)).toContain('poison');
      });

      it('writes a backlog of batches whole, yielding to the event loop between them; other queries never join a group', async ({ t }) => {
        const memory = await t.open({ batchSize: 5 });
        await createPoisonTrigger(backend.name, t.database.db.kysely);
        for (let i = 0; i < 10; i++) memory.record(invocation({ startedAt: i }));
        memory.record(invocation({ tool: 'poison', startedAt: 10 }));
        for (let i = 11; i < 15; i++) memory.record(invocation({ startedAt: i }));

        // A ticker on the event loop, and an audit entry appended as soon as the loop turns.
        let turns = 0;
        let ticking = true;
        const tick = (): void => {
          turns += 1;
          if (ticking) setImmediate(tick);
        };
        setImmediate(tick);
        let appended: Promise<unknown> | undefined;
        setImmediate(() => (appended = memory.audit({ actor: { kind: 'person', id: 'ana' }, action: 'pin.applied', reason: 'during a flush' })));

        const error = await memory.flush().catch((caught: unknown) => caught);
        ticking = false;
        expect((error as Error).message).toContain('poisoned');
        await appended;
        expect((await memory.auditLog()).map((entry) => entry.reason)).toEqual(['during a flush']);
        if (backend.name === 'sqlite') {
          // Group commit: the three waiting batches were one transaction, so none of them stays,
          // and the loop turned between the batches' statements.
          expect(await rowCount(t.database, 'memory_invocations')).toBe(0);
          expect(memory.stats()).toMatchObject({ buffered: 15, written: 0 });
          expect(turns).toBeGreaterThanOrEqual(2);
        } else {
          // One batch per transaction: the two batches before the poisoned one are committed.
          expect(await rowCount(t.database, 'memory_invocations')).toBe(10);
          expect(memory.stats()).toMatchObject({ buffered: 5, written: 10 });
        }

        await dropPoisonTrigger(backend.name, t.database.db.kysely);
        await memory.flush();
        expect(await rowCount(t.database, 'memory_invocations')).toBe(15);
        const order = await t.database.db.kysely.selectFrom('memory_invocations').select('started_at').orderBy('id').execute();
        expect(order.map((row) => Number(row.started_at))).toEqual(Array.from({ length: 15 }, (_, i) => i));
      });

      it('reports a failed background flush to onFlushError and keeps the batch', async ({ t }) => {
        const errors: StorageError[] = [];
        const memory = await t.open({ batchSize: 5, onFlushError: (error) => errors.push(error) });
        await sql`alter table memory_invocations rename to memory_invocations_away`.execute(t.database.db.kysely);
        for (let i = 0; i < 5; i++) memory.record(invocation({ startedAt: i }));
        await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0));
        expect(errors[0]?.code).toBe('STORAGE_FAILED');
        expect(memory.stats().buffered).toBe(5);
        await sql`alter table memory_invocations_away rename to memory_invocations`.execute(t.database.db.kysely);
        await memory.flush();
        expect(await rowCount(t.database, 'memory_invocations')).toBe(5);
      });

      it('drops (and counts) invocations beyond maxBufferedInvocations, and says so once with STORAGE_BUFFER_FULL', async ({ t }) => {
        const dropped: StorageError[] = [];
        const memory = await t.open({ maxBufferedInvocations: 3, onInvocationsDropped: (error) => dropped.push(error) });
        for (let i = 0; i < 5; i++) memory.record(invocation({ startedAt: i }));
        expect(memory.stats()).toEqual({ buffered: 3, written: 0, dropped: 2, refused: 0 });
        expect(dropped.map((error) => error.code)).toEqual(['STORAGE_BUFFER_FULL']);
        expect(dropped[0]?.message).toContain('maxBufferedInvocations');
        // Once it drained, a buffer that fills up again says so again.
        await memory.flush();
        for (let i = 0; i < 4; i++) memory.record(invocation({ startedAt: 10 + i }));
        expect(dropped.map((error) => error.code)).toEqual(['STORAGE_BUFFER_FULL', 'STORAGE_BUFFER_FULL']);
        expect(memory.stats()).toMatchObject({ dropped: 3 });
      });

      it('replaces a NUL in an error code, error message or task id with U+FFFD, alike on both databases', async ({ t }) => {
        const memory = await t.open();
        memory.record(failure('bad\0code', { startedAt: 1, taskId: 'task\0one', outcome: { ok: false, error: { code: 'bad\0code', message: 'bad\0byte' } } }));
        memory.record(invocation({ startedAt: 2 }));
        await memory.flush();
        const rows = await t.database.db.kysely.selectFrom('memory_invocations').select(['error_code', 'error_message', 'task_id']).orderBy('id').execute();
        expect(rows).toEqual([
          { error_code: 'bad\uFFFDcode', error_message: 'bad\uFFFDbyte', task_id: 'task\uFFFDone' },
          { error_code: null, error_message: null, task_id: null },
        ]);
        const summary = await memory.summary('total_fares', { lastN: 10 });
        expect(summary.errors).toEqual([{ code: 'bad\uFFFDcode', count: 1 }]);
        expect(summary.writeError).toBeUndefined();
      });

      it('refuses integers beyond the 32-bit columns and durations beyond 24 hours at record(), alike on both databases', async ({ t }) => {
        const memory = await t.open();
        const beyond = MAX_INVOCATION_INTEGER + 1;
        const refused: Partial<Invocation>[] = [
          { version: beyond },
          { modelTurn: beyond },
          { tokens: { inputTokens: beyond, outputTokens: 1 } },
          { tokens: { inputTokens: 1, outputTokens: 2 ** 40 } },
          { durationMs: 1e308 },
          { durationMs: MAX_DURATION_MS + 1 },
        ];
        for (const overrides of refused) {
          let message = '';
          expect(codeOf(() => {
            try {
              memory.record(invocation(overrides));
            } catch (error) {
              message = (error as Error).message;
              throw error;
            }
          }), JSON.stringify(overrides)).toBe('INVALID_ARGUMENT');
          expect(message).toMatch(/version|modelTurn|Tokens|durationMs/);
        }
        expect(memory.stats().buffered).toBe(0);
        // The largest values that fit are stored as they are.
        memory.record(invocation({ version: MAX_INVOCATION_INTEGER, modelTurn: MAX_INVOCATION_INTEGER, durationMs: MAX_DURATION_MS, tokens: { inputTokens: MAX_INVOCATION_INTEGER, outputTokens: 0 } }));
        await memory.flush();
        const summary = await memory.summary('total_fares', { lastN: 1, version: MAX_INVOCATION_INTEGER });
        expect(summary).toMatchObject({ count: 1, latency: { max: MAX_DURATION_MS } });
      });

      it('drops a row the database refuses on its own, says so, and writes the calls around it', async ({ t }) => {
        const dropped: StorageError[] = [];
        const memory = await t.open({ batchSize: 4, onInvocationsDropped: (error) => dropped.push(error) });
        // A constraint the rows can break: one task id per call.
        await sql`create unique index one_call_per_task on memory_invocations (task_id)`.execute(t.database.db.kysely);
        for (let i = 0; i < 10; i++) memory.record(invocation({ startedAt: i, taskId: i === 6 ? 'task-2' : `task-${i}` }));
        await memory.flush();
        const written = await t.database.db.kysely.selectFrom('memory_invocations').select('started_at').orderBy('id').execute();
        expect(written.map((row) => Number(row.started_at))).toEqual([0, 1, 2, 3, 4, 5, 7, 8, 9]);
        expect(memory.stats()).toMatchObject({ buffered: 0, written: 9, refused: 1 });
        expect(dropped.map((error) => error.code)).toEqual(['STORAGE_INVOCATION_REFUSED']);
        expect(dropped[0]?.details).toMatchObject({ tool: 'total_fares', version: 1, startedAt: 6 });
        // Later calls are written as usual.
        memory.record(invocation({ startedAt: 10, taskId: 'task-10' }));
        await memory.flush();
        expect(await rowCount(t.database, 'memory_invocations')).toBe(10);
      });

      it('still answers a summary when the flush before it fails, reporting the write error beside it', async ({ t }) => {
        const memory = await t.open();
        memory.record(invocation({ startedAt: 1 }));
        await memory.flush();
        await createPoisonTrigger(backend.name, t.database.db.kysely);
        memory.record(invocation({ tool: 'poison', startedAt: 2 }));
        memory.record(invocation({ startedAt: 3 }));
        const summary = await memory.summary('total_fares', { lastN: 10 });
        expect(summary.count).toBe(1);
        expect(summary.writeError?.code).toBe('STORAGE_FAILED');
        expect(summary.writeError?.message).toContain('2 recorded calls could not be written');
        expect(memory.stats().buffered).toBe(2);
        await dropPoisonTrigger(backend.name, t.database.db.kysely);
        const after = await memory.summary('total_fares', { lastN: 10 });
        expect(after.count).toBe(2);
        expect(after.writeError).toBeUndefined();
      });

      it('on PostgreSQL, survives its connection terminated mid-flush: the flush fails with STORAGE_UNREACHABLE and the next one writes everything', async ({ t, skip }) => {
        if (backend.name !== 'postgres') skip();
        const memory = await t.open();
        for (let i = 0; i < 20; i++) memory.record(invocation({ startedAt: i }));
        const { result, terminated } = await terminateWhileBlocked(await t.database.open(), 'memory_invocations', () => memory.flush());
        expect(terminated).toBeGreaterThan(0);
        expect(result.status).toBe('rejected');
        expect(result.status === 'rejected' && StorageError.isInstance(result.reason) && result.reason.code).toBe('STORAGE_UNREACHABLE');
        expect(memory.stats().buffered).toBe(20);
        await memory.flush();
        expect(await rowCount(t.database, 'memory_invocations')).toBe(20);
        expect((await memory.summary('total_fares', { lastN: 100 })).count).toBe(20);
      });

      it('adds up the writes of two instances sharing the database', async ({ t }) => {
        const second = await t.secondHandle();
        const a = await t.open({ batchSize: 7 });
        const b = await createMemory({ database: second, batchSize: 7, flushIntervalMs: 3_600_000 });
        t.memories.push(b);
        for (let i = 0; i < 100; i++) {
          a.record(invocation({ startedAt: i, taskId: 'a' }));
          b.record(invocation({ startedAt: i, taskId: 'b' }));
        }
        await Promise.all([a.flush(), b.flush()]);
        expect(await rowCount(t.database, 'memory_invocations')).toBe(200);
        expect((await a.summary('total_fares', { since: 0 })).count).toBe(200);
      });
    });

    describe('summary', () => {
      // Latencies 1..20 ms, one call per ms of startedAt; calls 5, 10, 15, 20 fail.
      const seed = (memory: MemoryStore, version = 1, offset = 0): void => {
        for (let i = 1; i <= 20; i++) {
          const at = { startedAt: offset + i * 10, durationMs: i, version };
          memory.record(i % 5 === 0 ? failure(i === 20 ? 'E_TIMEOUT' : 'E_RANGE', at) : invocation(at));
        }
      };

      it('computes count, success rate, latencies and errors over the last N calls', async ({ t }) => {
        const memory = await t.open();
        seed(memory);
        const summary = await memory.summary('total_fares', { lastN: 10 });
        // The last 10 calls: latencies 11..20, failures at 15 (E_RANGE) and 20 (E_TIMEOUT).
        expect(summary).toMatchObject({
          tool: 'total_fares',
          version: undefined,
          window: { lastN: 10 },
          count: 10,
          successCount: 8,
          successRate: 0.8,
          errors: [
            { code: 'E_RANGE', count: 1 },
            { code: 'E_TIMEOUT', count: 1 },
          ],
          recentErrors: [
            { code: 'E_TIMEOUT', message: 'E_TIMEOUT happened', version: 1, startedAt: 200 },
            { code: 'E_RANGE', message: 'E_RANGE happened', version: 1, startedAt: 150 },
          ],
          firstAt: 110,
          lastAt: 200,
        });
        expect(summary.latency.mean).toBeCloseTo(15.5, 10);
        // Nearest rank: p50 is the 5th of 10 ordered latencies, p95 the 10th.
        expect(summary.latency.p50).toBe(15);
        expect(summary.latency.p95).toBe(20);
        expect(summary.latency.max).toBe(20);
        // Population standard deviation of 11..20.
        expect(summary.latency.spread).toBeCloseTo(Math.sqrt(8.25), 10);
      });

      it('orders error classes by count, then code', async ({ t }) => {
        const memory = await t.open();
        seed(memory);
        const summary = await memory.summary('total_fares', { lastN: 1_000 });
        expect(summary.errors).toEqual([
          { code: 'E_RANGE', count: 3 },
          { code: 'E_TIMEOUT', count: 1 },
        ]);
        expect(summary.count).toBe(20);
        expect(summary.latency.p50).toBe(10);
        expect(summary.latency.p95).toBe(19);
      });

      it('summarises one version, or all versions', async ({ t }) => {
        const memory = await t.open();
        seed(memory, 1, 0);
        seed(memory, 2, 1_000);
        memory.record(invocation({ version: 2, startedAt: 5_000, durationMs: 100 }));
        const v2 = await memory.summary('total_fares', { lastN: 100, version: 2 });
        expect(v2).toMatchObject({ version: 2, count: 21, successCount: 17, lastAt: 5_000 });
        expect(v2.latency.max).toBe(100);
        const all = await memory.summary('total_fares', { lastN: 100 });
        expect(all).toMatchObject({ version: undefined, count: 41, successCount: 33, firstAt: 10 });
      });

      it('summarises a time range, until exclusive', async ({ t }) => {
        const memory = await t.open();
        seed(memory);
        const summary = await memory.summary('total_fares', { since: 50, until: 100 });
        expect(summary).toMatchObject({ window: { since: 50, until: 100 }, count: 5, firstAt: 50, lastAt: 90 });
        expect(summary.errors).toEqual([{ code: 'E_RANGE', count: 1 }]);
        const openEnded = await memory.summary('total_fares', { since: 150 });
        expect(openEnded).toMatchObject({ window: { since: 150 }, count: 6, lastAt: 200 });
      });

      it('takes the most recent calls by startedAt for lastN, not by insertion order', async ({ t }) => {
        const memory = await t.open();
        memory.record(invocation({ startedAt: 300, durationMs: 3 }));
        memory.record(invocation({ startedAt: 100, durationMs: 1 }));
        memory.record(invocation({ startedAt: 200, durationMs: 2 }));
        const summary = await memory.summary('total_fares', { lastN: 2 });
        expect(summary).toMatchObject({ count: 2, firstAt: 200, lastAt: 300 });
        expect(summary.latency.mean).toBe(2.5);
      });

      it('limits the recent errors it lists', async ({ t }) => {
        const memory = await t.open({ recentErrorLimit: 2 });
        for (let i = 0; i < 5; i++) memory.record(failure(`E_${i}`, { startedAt: i }));
        const summary = await memory.summary('total_fares', { lastN: 10 });
        expect(summary.recentErrors.map((error) => error.code)).toEqual(['E_4', 'E_3']);
        expect(summary.errors).toHaveLength(5);
      });

      it('gives an empty summary for a tool never called', async ({ t }) => {
        const memory = await t.open();
        expect(await memory.summary('never_called', { lastN: 50 })).toEqual({
          tool: 'never_called',
          version: undefined,
          window: { lastN: 50 },
          count: 0,
          successCount: 0,
          successRate: 0,
          latency: { mean: 0, p50: 0, p95: 0, max: 0, spread: 0 },
          errors: [],
          recentErrors: [],
          firstAt: undefined,
          lastAt: undefined,
        });
      });

      it('refuses bad summary requests with INVALID_ARGUMENT', async ({ t }) => {
        const memory = await t.open();
        expect(await rejectionCode(memory.summary('Bad Name', { lastN: 5 }))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.summary('total_fares', { lastN: 0 }))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.summary('total_fares', { since: 10, until: 5 }))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.summary('total_fares', { lastN: 5, since: 1 } as never))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.summary('total_fares', { lastN: 5, version: 0 }))).toBe('INVALID_ARGUMENT');
      });
    });

    describe('series', () => {
      // Two versions over [0, 1000): v1 latencies 1..N and v2 latencies 10·i, with failures.
      const seedSeries = (memory: MemoryStore): void => {
        for (let i = 0; i < 60; i++) {
          const at = { startedAt: i * 16 + (i % 3), durationMs: 1 + ((i * 37) % 23), version: 1 };
          memory.record(i % 7 === 0 ? failure('E_RANGE', at) : invocation(at));
        }
        for (let i = 0; i < 25; i++) {
          const at = { startedAt: 400 + i * 20, durationMs: 10 * ((i * 11) % 13) + 0.5, version: 2 };
          memory.record(i % 4 === 0 ? failure('E_TIMEOUT', at) : invocation(at));
        }
        // Outside the range and another tool: never counted.
        memory.record(invocation({ startedAt: 1_000, durationMs: 999 }));
        memory.record(invocation({ tool: 'other_tool', startedAt: 500, durationMs: 999 }));
      };

      it('gives per bucket and version what summary({ since, until, version }) gives for that bucket', async ({ t }) => {
        const memory = await t.open();
        seedSeries(memory);
        const series = await memory.series('total_fares', { since: 0, until: 1_000, bucketMs: 150 });
        expect(series).toMatchObject({ tool: 'total_fares', version: undefined, since: 0, until: 1_000, bucketMs: 150, bucketCount: 7 });
        let covered = 0;
        for (let index = 0; index < 7; index++) {
          for (const version of [1, 2]) {
            const since = index * 150;
            const summary = await memory.summary('total_fares', { since, until: Math.min(since + 150, 1_000), version });
            const bucket = series.buckets.find((entry) => entry.index === index && entry.version === version);
            if (summary.count === 0) {
              expect(bucket).toBeUndefined();
              continue;
            }
            covered += summary.count;
            expect(bucket).toMatchObject({ start: since, count: summary.count, successCount: summary.successCount, firstAt: summary.firstAt, lastAt: summary.lastAt });
            expect(bucket?.successRate).toBeCloseTo(summary.successRate, 12);
            expect(bucket?.latency.p50).toBe(summary.latency.p50);
            expect(bucket?.latency.p95).toBe(summary.latency.p95);
            expect(bucket?.latency.max).toBe(summary.latency.max);
            expect(bucket?.latency.mean).toBeCloseTo(summary.latency.mean, 9);
            expect(bucket?.latency.spread).toBeCloseTo(summary.latency.spread, 9);
          }
        }
        expect(covered).toBe(85);
        expect(series.buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(85);
        // Ordered by bucket, then version.
        const order = series.buckets.map((bucket) => bucket.index * 10 + bucket.version);
        expect(order).toEqual([...order].sort((a, b) => a - b));
      });

      it('computes nearest-rank percentiles, the success rate and the spread of each bucket', async ({ t }) => {
        const memory = await t.open();
        // Bucket 0: latencies 1..10, call 10 fails; bucket 2: one call of 7 ms. Bucket 1 is empty.
        for (let i = 1; i <= 10; i++) {
          const at = { startedAt: 100 + i, durationMs: i };
          memory.record(i === 10 ? failure('E_RANGE', at) : invocation(at));
        }
        memory.record(invocation({ startedAt: 350, durationMs: 7, version: 3 }));
        const series = await memory.series('total_fares', { since: 100, until: 400, bucketMs: 100 });
        expect(series.bucketCount).toBe(3);
        expect(series.buckets).toHaveLength(2);
        const [first, last] = series.buckets;
        expect(first).toMatchObject({ start: 100, index: 0, version: 1, count: 10, successCount: 9, successRate: 0.9, firstAt: 101, lastAt: 110 });
        expect(first?.latency).toMatchObject({ p50: 5, p95: 10, max: 10 });
        expect(first?.latency.mean).toBeCloseTo(5.5, 10);
        expect(first?.latency.spread).toBeCloseTo(Math.sqrt(8.25), 10);
        expect(last).toMatchObject({ start: 300, index: 2, version: 3, count: 1, successRate: 1, latency: { mean: 7, p50: 7, p95: 7, max: 7, spread: 0 } });
      });

      it('keeps to one version, counts until exclusive, and reads its own writes', async ({ t }) => {
        const memory = await t.open();
        seedSeries(memory);
        const v2 = await memory.series('total_fares', { since: 0, until: 1_000, bucketMs: 500, version: 2 });
        expect(v2.version).toBe(2);
        expect(v2.buckets.map((bucket) => [bucket.index, bucket.version, bucket.count])).toEqual([
          [0, 2, 5],
          [1, 2, 20],
        ]);
        // A call at `until` is outside; the last bucket may reach past `until`.
        const short = await memory.series('total_fares', { since: 900, until: 1_000, bucketMs: 300 });
        expect(short.bucketCount).toBe(1);
        expect(short.buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe((await memory.summary('total_fares', { since: 900, until: 1_000 })).count);
        memory.record(invocation({ startedAt: 999, durationMs: 1 }));
        const again = await memory.series('total_fares', { since: 900, until: 1_000, bucketMs: 300 });
        expect(again.buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(short.buckets.reduce((sum, bucket) => sum + bucket.count, 0) + 1);
        expect(await memory.series('never_called', { since: 0, until: 10, bucketMs: 1 })).toEqual({
          tool: 'never_called', version: undefined, since: 0, until: 10, bucketMs: 1, bucketCount: 10, buckets: [],
        });
      });

      it('handles epoch-sized times and buckets of one millisecond', async ({ t }) => {
        const memory = await t.open();
        const now = 1_764_800_000_123;
        for (let i = 0; i < 5; i++) memory.record(invocation({ startedAt: now + i * 2, durationMs: i + 1 }));
        const series = await memory.series('total_fares', { since: now, until: now + 1_000, bucketMs: 1 });
        expect(series.buckets.map((bucket) => [bucket.index, bucket.start, bucket.count])).toEqual([0, 2, 4, 6, 8].map((index) => [index, now + index, 1]));
        const wide = await memory.series('total_fares', { since: now - 86_400_000 * 7, until: now + 86_400_000, bucketMs: 86_400_000 });
        expect(wide.buckets).toHaveLength(1);
        expect(wide.buckets[0]).toMatchObject({ index: 7, start: now, count: 5, latency: { p50: 3, p95: 5 } });
      });

      it('refuses bad series requests with INVALID_ARGUMENT, and at most 1,000 buckets', async ({ t }) => {
        const memory = await t.open();
        expect((await memory.series('total_fares', { since: 0, until: 1_000, bucketMs: 1 })).bucketCount).toBe(1_000);
        const tooMany = await caught(memory.series('total_fares', { since: 0, until: 1_001, bucketMs: 1 }));
        expect(tooMany.code).toBe('INVALID_ARGUMENT');
        expect(tooMany.message).toContain('1000 buckets');
        expect(await rejectionCode(memory.series('Bad Name', { since: 0, until: 10, bucketMs: 1 }))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.series('total_fares', { since: 10, until: 10, bucketMs: 1 }))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.series('total_fares', { since: 10, until: 5, bucketMs: 1 }))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.series('total_fares', { since: 0, until: 10, bucketMs: 0 }))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.series('total_fares', { since: 0, until: 10, bucketMs: 1.5 }))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.series('total_fares', { since: 0, until: 10, bucketMs: 1, version: 0 }))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.series('total_fares', { since: 0, bucketMs: 1 } as never))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.series('total_fares', { since: 0, until: 10, bucketMs: 1, lastN: 5 } as never))).toBe('INVALID_ARGUMENT');
        await memory.close();
        expect(await rejectionCode(memory.series('total_fares', { since: 0, until: 10, bucketMs: 1 }))).toBe('STORAGE_CLOSED');
      });
    });

    describe('lessons', () => {
      it('adds lessons and lists the current ones, newest first, optionally by tag', async ({ t }) => {
        let now = 5_000;
        const memory = await t.open({ now: () => now++ });
        const first = await memory.addLesson({
          text: 'Fares can be negative refunds',
          source: 'failure',
          tags: ['fares', 'refunds', 'fares'],
          provenance: { taskId: 'task-1', invocationId: '42' },
        });
        expect(first).toEqual({
          id: first.id,
          text: 'Fares can be negative refunds',
          source: 'failure',
          tags: ['fares', 'refunds'],
          provenance: { taskId: 'task-1', invocationId: '42' },
          helpful: 0,
          harmful: 0,
          supersedes: undefined,
          superseded: false,
          createdAt: 5_000,
        });
        const second = await memory.addLesson({ text: 'Prefer cents', source: 'person', tags: ['money'] });
        expect(second.provenance).toEqual({});
        expect((await memory.lessons()).map((lesson) => lesson.id)).toEqual([second.id, first.id]);
        expect((await memory.lessons({ tags: ['refunds'] })).map((lesson) => lesson.id)).toEqual([first.id]);
        expect((await memory.lessons({ tags: ['money', 'fares'] })).map((lesson) => lesson.id)).toEqual([second.id, first.id]);
        expect(await memory.lessons({ tags: ['unknown'] })).toEqual([]);
        expect(await memory.lessons({ limit: 1 })).toHaveLength(1);
      });

      it('appends an update that supersedes the old lesson, which stays stored', async ({ t }) => {
        const memory = await t.open();
        const old = await memory.addLesson({ text: 'Round fares', source: 'failure', tags: ['fares'] });
        const updated = await memory.updateLesson(old.id, { text: 'Round fares to cents', source: 'person', tags: ['fares'] });
        expect(updated).toMatchObject({ supersedes: old.id, superseded: false, text: 'Round fares to cents' });
        expect((await memory.lessons()).map((lesson) => lesson.id)).toEqual([updated.id]);
        const stored = await t.database.db.kysely.selectFrom('memory_lessons').select(['id', 'text']).orderBy('id').execute();
        expect(stored.map((row) => row.text)).toEqual(['Round fares', 'Round fares to cents']);
        // Rating the old one shows it superseded.
        expect(await memory.rateLesson(old.id, 'harmful')).toMatchObject({ id: old.id, superseded: true, harmful: 1 });
      });

      it('refuses to supersede a lesson twice, or one that does not exist', async ({ t }) => {
        const memory = await t.open();
        const old = await memory.addLesson({ text: 'a', source: 'failure' });
        await memory.updateLesson(old.id, { text: 'b', source: 'failure' });
        expect(await rejectionCode(memory.updateLesson(old.id, { text: 'c', source: 'failure' }))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.updateLesson('9999', { text: 'c', source: 'failure' }))).toBe('STORAGE_NOT_FOUND');
        expect(await rejectionCode(memory.updateLesson('not-an-id', { text: 'c', source: 'failure' }))).toBe('STORAGE_NOT_FOUND');
        expect(await rowCount(t.database, 'memory_lessons')).toBe(2);
      });

      it('lets only one of two concurrent updates of a lesson win', async ({ t }) => {
        const memory = await t.open();
        const other = await createMemory({ database: await t.secondHandle() });
        t.memories.push(other);
        const old = await memory.addLesson({ text: 'a', source: 'failure' });
        const results = await Promise.allSettled([
          memory.updateLesson(old.id, { text: 'b', source: 'failure' }),
          other.updateLesson(old.id, { text: 'c', source: 'failure' }),
        ]);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        expect(await memory.lessons()).toHaveLength(1);
      });

      it('counts helpful and harmful uses', async ({ t }) => {
        const memory = await t.open();
        const lesson = await memory.addLesson({ text: 'a', source: 'success' });
        await memory.rateLesson(lesson.id, 'helpful');
        await memory.rateLesson(lesson.id, 'helpful');
        expect(await memory.rateLesson(lesson.id, 'harmful')).toMatchObject({ helpful: 2, harmful: 1 });
        expect(await rejectionCode(memory.rateLesson('12345', 'helpful'))).toBe('STORAGE_NOT_FOUND');
        expect(await rejectionCode(memory.rateLesson(lesson.id, 'great' as never))).toBe('INVALID_ARGUMENT');
      });

      it('refuses malformed lessons with INVALID_ARGUMENT and writes nothing', async ({ t }) => {
        const memory = await t.open();
        for (const bad of [{ text: '', source: 'failure' }, { text: 'a', source: 'guess' }, { text: 'a', source: 'person', tags: [''] }, { text: 'a', source: 'person', extra: 1 }]) {
          expect(await rejectionCode(memory.addLesson(bad as never))).toBe('INVALID_ARGUMENT');
        }
        expect(await rowCount(t.database, 'memory_lessons')).toBe(0);
        expect(await rowCount(t.database, 'memory_lesson_tags')).toBe(0);
      });

      it('cannot be rewritten or deleted even with raw SQL', async ({ t }) => {
        const memory = await t.open();
        const lesson = await memory.addLesson({ text: 'a', source: 'failure' });
        await expect(sql`update memory_lessons set text = 'b' where id = ${Number(lesson.id)}`.execute(t.database.db.kysely)).rejects.toThrow(/append-only/);
        await expect(sql`delete from memory_lessons`.execute(t.database.db.kysely)).rejects.toThrow(/append-only/);
      });
    });

    describe('audit log', () => {
      it('appends entries and lists them newest first, by artifact', async ({ t }) => {
        let now = 100;
        const memory = await t.open({ now: () => now++ });
        const promote = await memory.audit({
          actor: { kind: 'system', id: 'improvement-cycle' },
          action: 'rewrite-tool.applied',
          artifact: 'total_fares',
          fromVersion: 1,
          toVersion: 2,
          reason: 'candidate passed 12/12 cases',
          evidence: { verdict: { passed: 12, failed: 0 }, cases: ['a', 'b'] },
        });
        expect(promote).toEqual({
          id: promote.id,
          at: 100,
          actor: { kind: 'system', id: 'improvement-cycle' },
          action: 'rewrite-tool.applied',
          artifact: 'total_fares',
          fromVersion: 1,
          toVersion: 2,
          reason: 'candidate passed 12/12 cases',
          evidence: { verdict: { passed: 12, failed: 0 }, cases: ['a', 'b'] },
        });
        const pin = await memory.audit({ actor: { kind: 'person', id: 'ana' }, action: 'pin.applied', artifact: 'other_tool', reason: 'critical' });
        const kill = await memory.audit({ actor: { kind: 'person', id: 'ana' }, action: 'policy.kill-switch.engage', reason: 'incident' });
        expect(kill.evidence).toEqual({});
        expect((await memory.auditLog()).map((entry) => entry.id)).toEqual([kill.id, pin.id, promote.id]);
        expect(await memory.auditLog({ artifact: 'total_fares' })).toEqual([promote]);
        expect((await memory.auditLog({ limit: 2 })).map((entry) => entry.id)).toEqual([kill.id, pin.id]);
      });

      it('refuses malformed entries with INVALID_ARGUMENT and writes nothing', async ({ t }) => {
        const memory = await t.open();
        const bad: unknown[] = [
          { actor: { kind: 'robot', id: 'x' }, action: 'pin.applied', reason: '' },
          { actor: { kind: 'person', id: 'ana' }, action: '', reason: '' },
          // Not an action of core's AUDIT_ACTIONS (older versions wrote it).
          { actor: { kind: 'person', id: 'ana' }, action: 'promote', reason: '' },
          { actor: { kind: 'person', id: 'ana' }, action: 'pin.applied', reason: '', toVersion: 0 },
          { actor: { kind: 'person', id: 'ana' }, action: 'pin.applied', reason: '', evidence: { f: () => 1 } },
        ];
        for (const entry of bad) expect(await rejectionCode(memory.audit(entry as never))).toBe('INVALID_ARGUMENT');
        expect(await rejectionCode(memory.auditLog({ limit: 0 }))).toBe('INVALID_ARGUMENT');
        expect(await rowCount(t.database, 'memory_audit')).toBe(0);
      });

      it('writes an entry in a unit of work that then rolls back: it is not in auditLog()', async ({ t }) => {
        const memory = await t.open();
        const failure = new Error('the registry transition failed');
        await expect(
          runInUnit(t.database.db, async (unit) => {
            const entry = await memory.audit(
              { actor: { kind: 'model', id: 'gpt' }, action: 'create-tool.applied', artifact: 'total_fares', toVersion: 1, reason: 'new tool' },
              { unit },
            );
            expect(entry).toMatchObject({ action: 'create-tool.applied', artifact: 'total_fares' });
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await memory.auditLog()).toEqual([]);
        expect(await rowCount(t.database, 'memory_audit')).toBe(0);
      });

      it('writes an entry in a unit of work that commits: it is in auditLog() once the unit has committed', async ({ t }) => {
        const memory = await t.open();
        const seenAfterCommit: Promise<unknown>[] = [];
        let written: Awaited<ReturnType<MemoryStore['audit']>> | undefined;
        await runInUnit(t.database.db, async (unit) => {
          written = await memory.audit(
            { actor: { kind: 'person', id: 'ana' }, action: 'rollback.applied', artifact: 'total_fares', fromVersion: 3, toVersion: 2, reason: 'v3 broke refunds' },
            { unit },
          );
          // Another connection sees nothing of the unit yet (on SQLite, the unit holds the one connection).
          if (backend.name === 'postgres') expect(await memory.auditLog()).toEqual([]);
          unit.afterCommit(() => seenAfterCommit.push(memory.auditLog()));
        });
        expect(written).toMatchObject({ action: 'rollback.applied', fromVersion: 3, toVersion: 2 });
        expect(await memory.auditLog()).toEqual([written]);
        expect(await Promise.all(seenAfterCommit)).toEqual([[written]]);
      });

      it('refuses a unit of work of another database handle, a malformed one and a malformed entry with INVALID_ARGUMENT', async ({ t }) => {
        const memory = await t.open();
        const entry = { actor: { kind: 'person', id: 'ana' }, action: 'pin.applied', artifact: 'total_fares', reason: 'critical' } as const;
        const other = await t.database.open();
        await runInUnit(other, async (unit) => {
          expect(await rejectionCode(memory.audit(entry, { unit }))).toBe('INVALID_ARGUMENT');
        });
        await runInUnit(t.database.db, async (unit) => {
          expect(await rejectionCode(memory.audit({ ...entry, action: 'promote' } as never, { unit }))).toBe('INVALID_ARGUMENT');
          expect(await rejectionCode(memory.audit(entry, { unit: 'the gate' } as never))).toBe('INVALID_ARGUMENT');
          expect(await rejectionCode(memory.audit(entry, { unit, extra: 1 } as never))).toBe('INVALID_ARGUMENT');
          // The unit is untouched by the refusals: it still writes and commits.
          await memory.audit(entry, { unit });
        });
        expect((await memory.auditLog()).map((stored) => stored.reason)).toEqual(['critical']);
      });

      it('has no API to edit or delete an entry, and the table refuses raw UPDATE and DELETE', async ({ t }) => {
        const memory = await t.open();
        const entry = await memory.audit({ actor: { kind: 'person', id: 'ana' }, action: 'pin.applied', reason: 'r' });
        const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(memory)).filter((name) => name !== 'constructor');
        expect(methods.sort()).toEqual(
          ['addLesson', 'audit', 'auditLog', 'close', 'flush', 'lessons', 'rateLesson', 'record', 'series', 'stats', 'summary', 'updateLesson'].sort(),
        );
        await expect(sql`update memory_audit set reason = 'forged' where id = ${Number(entry.id)}`.execute(t.database.db.kysely)).rejects.toThrow(/append-only/);
        await expect(sql`delete from memory_audit`.execute(t.database.db.kysely)).rejects.toThrow(/append-only/);
        expect((await memory.auditLog())[0]?.reason).toBe('r');
      });
    });
  });
}
