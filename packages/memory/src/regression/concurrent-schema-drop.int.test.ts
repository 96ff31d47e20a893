import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '@toolwright/store';
import { createMemory } from '../create-memory.js';
import { noticePostgresSkipped, POSTGRES_URL } from '../test-support/backends.js';

noticePostgresSkipped('@toolwright/memory concurrent-schema-drop.int.test.ts');

// kysely's stock PostgreSQL introspector, which its Migrator uses, read every table of every
// schema and failed with 'schema "…" does not exist' whenever another schema was dropped at
// the same moment (parallel test runs, several deployments on one server). Migrations now
// introspect only their own schema.
describe.skipIf(POSTGRES_URL === undefined)('migrating while other schemas are dropped (PostgreSQL)', () => {
  it('never fails because of what happens in other schemas', async () => {
    const failures: string[] = [];
    const prefix = `tw_drop_race_${process.pid}_${randomBytes(3).toString('hex')}`;
    await Promise.all(
      Array.from({ length: 5 }, async (_, worker) => {
        for (let round = 0; round < 6; round++) {
          const schema = `${prefix}_${worker}_${round}`;
          const db = await openDatabase(POSTGRES_URL as string, { schema });
          try {
            await (await createMemory({ database: db })).close();
          } catch (error) {
            failures.push(String(error));
          } finally {
            await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
            await db.close();
          }
        }
      }),
    );
    expect(failures).toEqual([]);
  });
});
