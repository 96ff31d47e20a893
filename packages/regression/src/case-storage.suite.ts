import type { Sandbox } from '@toolwright/core';
import { StorageError, ToolwrightError } from '@toolwright/core';
import { createSandbox } from '@toolwright/sandbox';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { caseIdOf, inputHashOf, isHeldOut } from './case-identity.js';
import { createRegressionRunner } from './regression-runner.js';
import { REGRESSION_MIGRATION_TABLE } from './store/migrations.js';
import type { Backend, TestDatabase } from './test-support/backends.js';
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
      expect(applied.rows.map((row) => row.name)).toEqual(['0001_cases_shadow_runs']);
      await sql`insert into ${sql.table(REGRESSION_MIGRATION_TABLE)} (name, timestamp) values ('9999_future', '2099-01-01T00:00:00.000Z')`.execute(database.db.kysely);
      const newer = createRegressionRunner({ sandbox, database: await database.open() });
      const error = await newer.cases('total_fares').catch((caught: unknown) => caught);
      expect(StorageError.isInstance(error) && error.code).toBe('STORAGE_SCHEMA_TOO_NEW');
      expect((error as Error).message).toContain('9999_future');
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
