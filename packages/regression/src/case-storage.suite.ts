import type { Sandbox } from '@toolwright/core';
import { StorageError, ToolwrightError } from '@toolwright/core';
import { createSandbox } from '@toolwright/sandbox';
import { runInUnit } from '@toolwright/store';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { caseIdOf, inputHashOf, isHeldOut } from './case-identity.js';
import { createRegressionRunner } from './regression-runner.js';
import { REGRESSION_MIGRATION_TABLE } from './store/migrations.js';
import { sqliteBackend, type Backend, type TestDatabase } from './test-support/backends.js';
import { toolVersion } from './test-support/tools.js';

/** The storage behaviour every backend must have: run against memory, SQLite and PostgreSQL. */
export function describeCaseStorage(backend: Backend): void {
  describe(`case storage (${backend.name})`, () => {
    let sandbox: Sandbox;
    let database: TestDatabase | undefined;
    beforeAll(() => {
      sandbox = createSandbox();
    });
    afterAll(async () => {
      await sandbox.dispose();
    });
    beforeEach(async () => {
      database = await backend.create();
    });
    afterEach(async () => {
      await database?.cleanup();
    });
    const runner = (options: { heldOutShare?: number; captureLimit?: number } = {}) =>
      createRegressionRunner({ sandbox, ...(database === undefined ? {} : { database: database.db }), ...options });

    it('stores the spec examples as visible cases, once per input', async () => {
      const regression = runner();
      const spec = toolVersion({
        source: 'export default ({ fares }) => fares.reduce((a, b) => a + b, 0);',
        examples: [
          { input: { fares: [1, 2] }, output: 3 },
          { input: { fares: [] }, output: 0 },
        ],
      }).spec;
      if (spec === undefined) throw new Error('no spec');
      const added = await regression.addExamples(spec);
      expect(added.map((entry) => [entry.origin, entry.heldOut, entry.expect])).toEqual([
        ['example', false, { output: 3 }],
        ['example', false, { output: 0 }],
      ]);
      expect(await regression.addExamples(spec)).toEqual([]);
      expect(await regression.cases('total_fares')).toEqual(added);
      expect(added[0]?.id).toBe(caseIdOf('total_fares', inputHashOf({ fares: [1, 2] })));
    });

    const examplesSpec = () => {
      const spec = toolVersion({
        source: 'export default ({ fares }) => fares.reduce((a, b) => a + b, 0);',
        examples: [
          { input: { fares: [1, 2] }, output: 3 },
          { input: { fares: [] }, output: 0 },
        ],
      }).spec;
      if (spec === undefined) throw new Error('no spec');
      return spec;
    };

    it('adds examples inside a caller’s unit of work: none are left when it rolls back, all are kept when it commits', async () => {
      // Without a database of its own the runner still joins a unit (its cases appear on commit).
      const unitDatabase = database ?? (await sqliteBackend.create());
      if (unitDatabase === undefined) throw new Error('no SQLite database for the unit');
      try {
        const regression = runner();
        await regression.ready();
        const spec = examplesSpec();
        const rolledBack = await runInUnit(unitDatabase.db, async (unit) => {
          expect(await regression.addExamples(spec, { unit })).toHaveLength(2);
          throw new Error('the gate failed after storing the examples');
        }).catch((error: unknown) => error);
        expect((rolledBack as Error).message).toBe('the gate failed after storing the examples');
        expect(await regression.cases('total_fares', { includeHeldOut: true })).toEqual([]);

        const committed = await runInUnit(unitDatabase.db, (unit) => regression.addExamples(spec, { unit }));
        expect(committed.map((entry) => entry.expect)).toEqual([{ output: 3 }, { output: 0 }]);
        expect(await regression.cases('total_fares', { includeHeldOut: true })).toEqual(committed);
        expect(await runInUnit(unitDatabase.db, (unit) => regression.addExamples(spec, { unit }))).toEqual([]);
      } finally {
        if (database === undefined) await unitDatabase.cleanup();
      }
    });

    it.skipIf(backend.name === 'memory')('refuses a unit of work opened on another database handle', async () => {
      if (database === undefined) throw new Error('no database');
      const regression = runner();
      await regression.ready();
      const other = await database.open();
      const error = await runInUnit(other, (unit) => regression.addExamples(examplesSpec(), { unit })).catch((caught: unknown) => caught);
      expect(ToolwrightError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
      expect((error as Error).message).toContain('opened on another database handle');
      expect(await regression.cases('total_fares')).toEqual([]);
    });

    it.skipIf(backend.name !== 'sqlite')('inside a SQLite unit opened before its tables exist, asks for ready() rather than waiting forever', async () => {
      if (database === undefined) throw new Error('no database');
      const db = database.db;
      let fresh: ReturnType<typeof createRegressionRunner> | undefined;
      const error = await runInUnit(db, async (unit) => {
        fresh = createRegressionRunner({ sandbox, database: db });
        return fresh.addExamples(examplesSpec(), { unit });
      }).catch((caught: unknown) => caught);
      expect(ToolwrightError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
      expect((error as Error).message).toContain('Await regression.ready() before opening the unit');
      await fresh?.ready();
      expect(await runInUnit(db, (unit) => (fresh as NonNullable<typeof fresh>).addExamples(examplesSpec(), { unit }))).toHaveLength(2);
    });

    it('adds explicit cases, validates them, replaces one with the same input and keeps held-out ones from cases()', async () => {
      const regression = runner();
      const first = await regression.addCase({ tool: 'total_fares', input: { fares: [1] }, expect: { output: 1 } });
      const replaced = await regression.addCase({ tool: 'total_fares', input: { fares: [1] }, expect: { output: 1, tolerance: 0.01, maxLatencyMs: 50 } });
      expect(replaced.id).toBe(first.id);
      expect(replaced.expect).toEqual({ output: 1, tolerance: 0.01, maxLatencyMs: 50 });
      const hidden = await regression.addCase({ tool: 'total_fares', input: { fares: [2] }, expect: { schema: { type: 'number' } }, heldOut: true });
      expect(await regression.cases('total_fares')).toEqual([replaced]);
      expect(await regression.cases('total_fares', { includeHeldOut: true })).toEqual([replaced, hidden]);

      const noAssertion = await regression.addCase({ tool: 'total_fares', input: {}, expect: {} }).catch((error: unknown) => error);
      expect(ToolwrightError.isInstance(noAssertion) && noAssertion.code).toBe('INVALID_ARGUMENT');
      expect((noAssertion as Error).message).toContain('a case asserts at least one of');
      const badSchema = await regression.addCase({ tool: 'total_fares', input: {}, expect: { schema: { type: 'no-such-type' } } }).catch((error: unknown) => error);
      expect(ToolwrightError.isInstance(badSchema) && badSchema.code).toBe('INVALID_ARGUMENT');
      expect((badSchema as Error).message).toContain('The JSON Schema of the case for "total_fares" is invalid');
    });

    it('captures only successful calls, once per input, up to the cap per tool, with the output as golden', async () => {
      const regression = runner({ captureLimit: 3, heldOutShare: 0 });
      expect(await regression.capture({ tool: 'total_fares', version: 1, input: { fares: [9] }, result: { ok: false, error: { code: 'TIMEOUT', message: 'slow' } } })).toEqual({
        captured: false,
        reason: 'failed-call',
      });
      const captured = await regression.capture({ tool: 'total_fares', version: 1, input: { fares: [1, 2] }, result: { ok: true, value: 3 } });
      expect(captured).toEqual({
        captured: true,
        case: { id: caseIdOf('total_fares', inputHashOf({ fares: [1, 2] })), tool: 'total_fares', input: { fares: [1, 2] }, expect: { output: 3 }, origin: 'captured', heldOut: false },
      });
      // Key order does not make a new input: dedup is by content hash.
      expect(await regression.capture({ tool: 'total_fares', input: { fares: [1, 2] }, result: { ok: true, value: 4 } })).toEqual({ captured: false, reason: 'duplicate' });
      for (const fare of [10, 20]) expect((await regression.capture({ tool: 'total_fares', input: { fares: [fare] }, result: { ok: true, value: fare } })).captured).toBe(true);
      expect(await regression.capture({ tool: 'total_fares', input: { fares: [30] }, result: { ok: true, value: 30 } })).toEqual({ captured: false, reason: 'cap-reached' });
      // The cap is per tool, and explicit cases do not count against it.
      await regression.addCase({ tool: 'total_fares', input: { fares: [40] }, expect: { output: 40 } });
      expect((await regression.capture({ tool: 'other_tool', input: { fares: [30] }, result: { ok: true, value: 30 } })).captured).toBe(true);
      expect(await regression.cases('total_fares')).toHaveLength(4);
      expect(await regression.cases('other_tool')).toHaveLength(1);
      // A sandbox RunResult is accepted as it is.
      expect(
        (await regression.capture({ tool: 'third_tool', input: { n: 1 }, result: { ok: true, value: 1, durationMs: 2, logs: [] } as never })).captured,
      ).toBe(true);
    });

    it('holds out a stable share of captured cases, chosen by the case id', async () => {
      const regression = runner({ heldOutShare: 0.3 });
      for (let index = 0; index < 40; index += 1) {
        await regression.capture({ tool: 'total_fares', input: { fares: [index] }, result: { ok: true, value: index } });
      }
      const all = await regression.cases('total_fares', { includeHeldOut: true });
      const visible = await regression.cases('total_fares');
      const heldOut = all.filter((entry) => entry.heldOut);
      expect(all).toHaveLength(40);
      expect(heldOut.length).toBeGreaterThan(3);
      expect(heldOut.length).toBeLessThan(25);
      expect(visible).toEqual(all.filter((entry) => !entry.heldOut));
      for (const entry of all) expect(entry.heldOut).toBe(isHeldOut(entry.id, 0.3));
    });

    it.skipIf(backend.name === 'memory')('persists cases and the held-out split: another runner on the database sees the same, whatever its share', async () => {
      if (database === undefined) throw new Error('no database');
      const regression = runner({ heldOutShare: 0.3 });
      for (let index = 0; index < 20; index += 1) {
        await regression.capture({ tool: 'total_fares', version: 2, input: { fares: [index, 1] }, result: { ok: true, value: index + 1 } });
      }
      await regression.addCase({ tool: 'total_fares', input: { fares: [] }, expect: { output: 0 }, heldOut: true });
      const before = await regression.cases('total_fares', { includeHeldOut: true });
      const other = createRegressionRunner({ sandbox, database: await database.open(), heldOutShare: 0.9 });
      expect(await other.cases('total_fares', { includeHeldOut: true })).toEqual(before);
      expect(await other.cases('total_fares')).toEqual(before.filter((entry) => !entry.heldOut));
      // New captures on the other runner use its own share; old ones keep theirs.
      await other.capture({ tool: 'total_fares', input: { fares: [99] }, result: { ok: true, value: 99 } });
      const added = (await other.cases('total_fares', { includeHeldOut: true })).at(-1);
      expect(added?.heldOut).toBe(isHeldOut(added?.id ?? '', 0.9));
    });

    it.skipIf(backend.name === 'memory')('keeps its own migration table and refuses a database migrated by a newer version', async () => {
      if (database === undefined) throw new Error('no database');
      const regression = runner();
      await regression.cases('total_fares');
      const applied = await sql<{ name: string }>`select name from ${sql.table(REGRESSION_MIGRATION_TABLE)}`.execute(database.db.kysely);
      expect(applied.rows.map((row) => row.name)).toEqual(['0001_cases_shadow_runs', '0002_shadow_comparison_outputs', '0003_feedback_calls']);
      await sql`insert into ${sql.table(REGRESSION_MIGRATION_TABLE)} (name, timestamp) values ('9999_future', '2099-01-01T00:00:00.000Z')`.execute(database.db.kysely);
      const newer = createRegressionRunner({ sandbox, database: await database.open() });
      const error = await newer.cases('total_fares').catch((caught: unknown) => caught);
      expect(StorageError.isInstance(error) && error.code).toBe('STORAGE_SCHEMA_TOO_NEW');
      expect((error as Error).message).toContain('9999_future');
    });

    it('stores the tolerance a spec sets for its examples with their cases, and judges by it', async () => {
      const regression = runner();
      const version = toolVersion({ source: 'export default ({ fares }) => fares.reduce((a, b) => a + b, 0);', examples: [{ input: { fares: [440.5, 0.095] }, output: 440.59 }] });
      const spec = { ...(version.spec as NonNullable<typeof version.spec>), tolerance: { absolute: 0.005, relative: 1e-9 } };
      const [added] = await regression.addExamples(spec);
      expect(added?.expect).toEqual({ output: 440.59, tolerance: 0.005, relativeTolerance: 1e-9 });
      const verdict = await regression.compare({ candidate: { ...version, spec }, baseline: undefined, cases: await regression.cases('total_fares') });
      expect(verdict.decision, verdict.reasons.join('; ')).toBe('promote');
      const exact = await regression.compare({ candidate: version, baseline: undefined, cases: [{ ...(added as NonNullable<typeof added>), expect: { output: 440.59 } }] });
      expect(exact.decision).toBe('reject');
    });

    it('stores post-promotion shadow comparisons with both outputs, as shadow runs of the previous version', async () => {
      const regression = runner();
      const previous = toolVersion({ version: 1, source: 'export default ({ fares }) => fares.reduce((a, b) => a + b, 0);' });
      const side = (version: number, contentHash: string, output: number) => ({ version, contentHash, ok: true, output, durationMs: 2 });
      const hash = (n: number) => inputHashOf({ fares: [n] });
      await regression.recordShadowComparison({ tool: 'total_fares', inputHash: hash(1), active: side(2, 'a'.repeat(64), 1), reference: side(1, previous.contentHash, 1), agreed: true, at: 1 });
      await regression.recordShadowComparison({
        tool: 'total_fares',
        inputHash: hash(2),
        active: side(2, 'a'.repeat(64), 7),
        reference: side(1, previous.contentHash, 2),
        agreed: false,
        truth: 'reference',
        at: 2,
      });
      await regression.recordShadowComparison({
        tool: 'total_fares',
        inputHash: hash(3),
        active: side(2, 'a'.repeat(64), 7),
        reference: { version: 1, contentHash: previous.contentHash, ok: false, errorCode: 'TIMEOUT', durationMs: 50 },
        agreed: false,
        at: 3,
      });
      const disagreements = await regression.shadowDisagreements('total_fares');
      expect(disagreements).toEqual([
        { tool: 'total_fares', inputHash: hash(3), activeVersion: 2, shadowVersion: 1, activeOk: true, shadowOk: false, activeOutput: 7, at: 3 },
        { tool: 'total_fares', inputHash: hash(2), activeVersion: 2, shadowVersion: 1, activeOk: true, shadowOk: true, activeOutput: 7, shadowOutput: 2, truth: 'reference', at: 2 },
      ]);
      expect(await regression.shadowDisagreements('total_fares', { limit: 1 })).toHaveLength(1);
      const summary = await regression.shadowSummary(previous);
      expect(summary).toMatchObject({ runs: 3, comparable: 3, candidateFailures: 1 });
      expect(summary?.agreement).toBeCloseTo(1 / 3);
      await expect(regression.recordShadowComparison({ tool: 'total_fares', inputHash: 'nope' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('records a call id fed back as wrong once: a second record, from another runner on the same store, is already-recorded', async () => {
      const regression = runner();
      const callId = `total_fares.v2.${inputHashOf({ fares: [2, 2, 2] })}.0000abcd`;
      const record = { callId, tool: 'total_fares', version: 2, at: 1 };
      expect(await regression.recordFeedback(record)).toBe('recorded');
      expect(await regression.recordFeedback({ ...record, at: 2 })).toBe('already-recorded');
      expect(await regression.recordFeedback({ ...record, callId: `${callId.slice(0, -8)}0000abce` })).toBe('recorded');
      if (database !== undefined) {
        // Another process: its own connection (a pool on PostgreSQL, a file handle on SQLite).
        const other = createRegressionRunner({ sandbox, database: await database.open() });
        expect(await other.recordFeedback({ ...record, at: 3 })).toBe('already-recorded');
        const rows = await sql<{ call_id: string; version: number }>`select call_id, version from regression_feedback_calls where call_id = ${callId}`.execute(database.db.kysely);
        expect(rows.rows.map((row) => [row.call_id, Number(row.version)])).toEqual([[callId, 2]]);
      }
      await expect(regression.recordFeedback({ ...record, callId: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(regression.recordFeedback({ ...record, extra: 1 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it.skipIf(backend.name === 'postgres')('decides two records of one call id at once: exactly one is recorded', async () => {
      const first = runner();
      const record = { callId: `total_fares.v1.${inputHashOf({ fares: [3] })}.00000001`, tool: 'total_fares', version: 1, at: 1 };
      const outcomes = await Promise.all([first.recordFeedback(record), first.recordFeedback(record)]);
      expect([...outcomes].sort()).toEqual(['already-recorded', 'recorded']);
    });

    it.skipIf(backend.name === 'memory' || backend.name === 'sqlite')('decides two records of one call id from two pools at once: exactly one is recorded', async () => {
      if (database === undefined) throw new Error('no database');
      const first = runner();
      const second = createRegressionRunner({ sandbox, database: await database.open() });
      await Promise.all([first.cases('total_fares'), second.cases('total_fares')]);
      const record = { callId: `total_fares.v1.${inputHashOf({ fares: [3] })}.00000001`, tool: 'total_fares', version: 1, at: 1 };
      const outcomes = await Promise.all([first.recordFeedback(record), second.recordFeedback(record), first.recordFeedback(record), second.recordFeedback(record)]);
      expect(outcomes.filter((outcome) => outcome === 'recorded')).toHaveLength(1);
    });

    it.skipIf(backend.name === 'memory')('holds the capture cap when two runners capture at once', async () => {
      if (database === undefined) throw new Error('no database');
      const first = runner({ captureLimit: 5 });
      // PostgreSQL: a second pool, as another process would have. SQLite: a second runner on the same
      // handle (better-sqlite3 is synchronous, so two connections in one process would block each other).
      const second = createRegressionRunner({ sandbox, database: backend.name === 'postgres' ? await database.open() : database.db, captureLimit: 5 });
      await first.cases('total_fares');
      const outcomes = await Promise.all(
        Array.from({ length: 16 }, (_, index) =>
          (index % 2 === 0 ? first : second).capture({ tool: 'total_fares', input: { fares: [index] }, result: { ok: true, value: index } }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.captured)).toHaveLength(5);
      expect(outcomes.filter((outcome) => !outcome.captured && outcome.reason === 'cap-reached')).toHaveLength(11);
      expect(await first.cases('total_fares', { includeHeldOut: true })).toHaveLength(5);
    });
  });
}
