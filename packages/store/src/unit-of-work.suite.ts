import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SchemalessKysely } from './run-migrations.js';
import type { Backend, TestDatabase } from './test-support/backends.js';
import { caught } from './testing/index.js';
import { joinOrRunUnit, runInUnit, type UnitOfWork } from './unit-of-work.js';

async function notes(db: SchemalessKysely): Promise<string[]> {
  const result = await sql<{ text: string }>`select text from notes order by id`.execute(db);
  return result.rows.map((row) => row.text);
}

async function addNote(db: SchemalessKysely, id: number, text: string): Promise<void> {
  await sql`insert into notes (id, text) values (${id}, ${text})`.execute(db);
}

/** Units of work, run unchanged against SQLite (unit-of-work.test.ts) and PostgreSQL (unit-of-work.int.test.ts). */
export function describeUnitOfWorkSuite(backend: Backend): void {
  describe(`units of work on ${backend.name}`, () => {
    let database: TestDatabase;
    beforeEach(async () => {
      database = await backend.create();
      await sql`create table notes (id integer primary key, text text not null)`.execute(database.db.kysely);
    });
    afterEach(async () => {
      await database.cleanup();
    });

    it('runs afterCommit callbacks only once the transaction has committed, in the order registered', async () => {
      const events: string[] = [];
      let seenAfterCommit: Promise<string[]> | undefined;
      const value = await runInUnit(database.db, async (unit) => {
        await addNote(unit.kysely, 1, 'kept');
        unit.afterCommit(() => {
          events.push('first callback');
          // A query outside the transaction, started from the callback: the row is committed.
          seenAfterCommit = notes(database.db.kysely);
        });
        unit.afterCommit(() => events.push('second callback'));
        events.push('work done');
        return 42;
      });
      expect(value).toBe(42);
      expect(events).toEqual(['work done', 'first callback', 'second callback']);
      expect(await seenAfterCommit).toEqual(['kept']);
    });

    it('on PostgreSQL, another connection sees nothing of the unit before the callbacks run', async ({ skip }) => {
      if (backend.name !== 'postgres') skip();
      const other = await database.open();
      let seenInside: string[] | undefined;
      let seenAfterCommit: Promise<string[]> | undefined;
      await runInUnit(database.db, async (unit) => {
        await addNote(unit.kysely, 1, 'pending');
        seenInside = await notes(other.kysely);
        unit.afterCommit(() => (seenAfterCommit = notes(other.kysely)));
      });
      expect(seenInside).toEqual([]);
      expect(await seenAfterCommit).toEqual(['pending']);
    });

    it('rolls back every write and runs no callback when the work fails', async () => {
      const callback = vi.fn();
      const failure = new Error('the registry refused');
      await expect(
        runInUnit(database.db, async (unit) => {
          await addNote(unit.kysely, 1, 'lost');
          unit.afterCommit(callback);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(callback).not.toHaveBeenCalled();
      expect(await notes(database.db.kysely)).toEqual([]);
    });

    it('on PostgreSQL, rolls back and runs no callback when the commit itself fails', async ({ skip }) => {
      // A deferred constraint is checked at COMMIT; SQLite has none that fails there.
      if (backend.name !== 'postgres') skip();
      await sql`create table checked (id integer primary key, note integer references notes (id) deferrable initially deferred)`.execute(database.db.kysely);
      const callback = vi.fn();
      const error = await runInUnit(database.db, async (unit) => {
        unit.afterCommit(callback);
        await addNote(unit.kysely, 1, 'lost');
        await sql`insert into checked (id, note) values (1, 999)`.execute(unit.kysely);
      }).catch((caughtError: unknown) => caughtError);
      expect(String(error)).toMatch(/foreign key/);
      expect(callback).not.toHaveBeenCalled();
      expect(await notes(database.db.kysely)).toEqual([]);
    });

    it('reports a throwing callback as a warning, and still runs the others and resolves', async () => {
      const warnings: string[] = [];
      const onWarning = (warning: Error): void => void warnings.push(warning.message);
      process.on('warning', onWarning);
      try {
        const later = vi.fn();
        const value = await runInUnit(database.db, async (unit) => {
          unit.afterCommit(() => {
            throw new Error('listener broke');
          });
          unit.afterCommit(later);
          return 'done';
        });
        expect(value).toBe('done');
        expect(later).toHaveBeenCalledOnce();
        await vi.waitFor(() => expect(warnings.some((message) => message.includes('listener broke'))).toBe(true));
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('joinOrRunUnit without a unit opens one of its own and commits it', async () => {
      const callback = vi.fn();
      await joinOrRunUnit(database.db, undefined, async (unit) => {
        await addNote(unit.kysely, 1, 'own unit');
        unit.afterCommit(callback);
      });
      expect(callback).toHaveBeenCalledOnce();
      expect(await notes(database.db.kysely)).toEqual(['own unit']);
    });

    it('joinOrRunUnit joins a unit of the same handle: its writes commit or roll back with the unit', async () => {
      const callback = vi.fn();
      await expect(
        runInUnit(database.db, async (unit) => {
          await joinOrRunUnit(database.db, unit, async (joined) => {
            expect(joined).toBe(unit);
            await addNote(joined.kysely, 1, 'joined, then rolled back');
            joined.afterCommit(callback);
          });
          throw new Error('a later write failed');
        }),
      ).rejects.toThrow('a later write failed');
      expect(callback).not.toHaveBeenCalled();
      expect(await notes(database.db.kysely)).toEqual([]);

      await runInUnit(database.db, (unit) => joinOrRunUnit(database.db, unit, (joined) => addNote(joined.kysely, 2, 'joined, committed')));
      expect(await notes(database.db.kysely)).toEqual(['joined, committed']);
    });

    it('joinOrRunUnit refuses a unit opened on another handle with INVALID_ARGUMENT, and runs nothing', async () => {
      const other = await database.open();
      const work = vi.fn(async (_unit: UnitOfWork) => {});
      await runInUnit(database.db, async (unit) => {
        const error = await caught(Promise.resolve().then(() => joinOrRunUnit(other, unit, work)));
        expect(error.code).toBe('INVALID_ARGUMENT');
        expect(error.message).toContain('another database handle');
      });
      expect(work).not.toHaveBeenCalled();
    });
  });
}
