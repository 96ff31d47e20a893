import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { caught, noticePostgresSkipped, POSTGRES_URL, terminateWhileBlocked } from '../testing/index.js';
import { runInUnit } from '../unit-of-work.js';
import type { Database } from './database.js';
import { openDatabase } from './open-database.js';

noticePostgresSkipped('@toolwright/store open-database.int.test.ts');

function variant(change: (url: URL) => void): string {
  const url = new URL(POSTGRES_URL ?? 'postgres://localhost/test');
  change(url);
  return url.toString();
}

describe.skipIf(POSTGRES_URL === undefined)('openDatabase on PostgreSQL', () => {
  const handles: Database[] = [];
  const schemas: string[] = [];
  const open = async (schema?: string): Promise<Database> => {
    const db = await openDatabase(POSTGRES_URL as string, schema === undefined ? {} : { schema });
    handles.push(db);
    return db;
  };
  const newSchema = (): string => {
    const schema = `tw_open_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    return schema;
  };

  afterEach(async () => {
    const admin = await openDatabase(POSTGRES_URL as string);
    for (const schema of schemas.splice(0)) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.kysely);
    await admin.close();
    for (const db of handles.splice(0)) await db.close();
  });

  it('connects, and reads int8 and numeric as numbers', async () => {
    const db = await open();
    expect(db.dialect).toBe('postgres');
    const row = await sql<{ big: number; count: number; ratio: number }>`select 1700000000000::int8 as big, count(*) as count, 1.5::numeric as ratio from (values (1), (2)) as t(x)`.execute(db.kysely);
    expect(row.rows).toEqual([{ big: 1_700_000_000_000, count: 2, ratio: 1.5 }]);
  });

  it('redacts the password in its url', async () => {
    // Trust authentication ignores the password, so this connects.
    const db = await openDatabase(variant((url) => (url.password = 'hunter2')));
    handles.push(db);
    expect(db.url).not.toContain('hunter2');
    expect(db.url).toContain('***');
  });

  it('says STORAGE_UNREACHABLE, never a driver stack, when nothing listens on the port', async () => {
    const error = await caught(openDatabase(variant((url) => {
      url.port = '1';
      url.password = 'hunter2';
    })));
    expect(error.code).toBe('STORAGE_UNREACHABLE');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toMatch(/\n\s+at /);
  });

  it('says STORAGE_UNREACHABLE when the database does not exist', async () => {
    const error = await caught(openDatabase(variant((url) => (url.pathname = '/toolwright_no_such_database'))));
    expect(error.code).toBe('STORAGE_UNREACHABLE');
    expect(error.message).toContain('does not exist');
  });

  it('gives up after connectTimeoutMs on a host that never answers', async () => {
    // 10.255.255.1 is unroutable here: either the connect times out or the network says so at once.
    const error = await caught(openDatabase(variant((url) => (url.hostname = '10.255.255.1')), { connectTimeoutMs: 300 }));
    expect(error.code).toBe('STORAGE_UNREACHABLE');
  });

  it('keeps tables in its own schema, created on open', async () => {
    const a = await open(newSchema());
    const b = await open(newSchema());
    await sql`create table things (id int)`.execute(a.kysely);
    await sql`insert into things values (1)`.execute(a.kysely);
    await expect(sql`select * from things`.execute(b.kysely)).rejects.toThrow(/does not exist/);
    const [schemaA] = schemas;
    const located = await sql<{ table_schema: string }>`select table_schema from information_schema.tables where table_name = 'things'`.execute(a.kysely);
    expect(located.rows.map((row) => row.table_schema)).toContain(schemaA);
    expect((await caught(openDatabase(POSTGRES_URL as string, { schema: 'Robert"); drop table x;--' }))).code).toBe('INVALID_ARGUMENT');
  });

  it('delivers notifications across connections, scoped to the schema', async () => {
    const schema = newSchema();
    const listener = await open(schema);
    const sender = await open(schema);
    const stranger = await open(newSchema());
    const received: string[] = [];
    const strangerReceived: string[] = [];
    const unsubscribe = await listener.listen('toolwright_test', (payload) => received.push(payload));
    await stranger.listen('toolwright_test', (payload) => strangerReceived.push(payload));
    await sender.notify('toolwright_test', 'hello');
    await vi.waitFor(() => expect(received).toEqual(['hello']));
    await unsubscribe();
    await sender.notify('toolwright_test', 'again');
    await stranger.notify('toolwright_test', 'to strangers');
    await vi.waitFor(() => expect(strangerReceived).toEqual(['to strangers']));
    expect(received).toEqual(['hello']);
  });

  it('listens again after its LISTEN connection is killed', async () => {
    const schema = newSchema();
    const listener = await open(schema);
    const sender = await open(schema);
    const received: string[] = [];
    let reconnects = 0;
    const events: string[] = [];
    await listener.listen('survivor', (payload) => received.push(payload), {
      onReconnect: () => {
        reconnects += 1;
        events.push('reconnected');
      },
      onLost: () => events.push('lost'),
    });
    expect(reconnects).toBe(0);
    const killed = await sql<{ killed: boolean }>`select pg_terminate_backend(pid) as killed from pg_stat_activity
      where query = ${`listen "${schema}:survivor"`}`.execute(sender.kysely);
    expect(killed.rows).toEqual([{ killed: true }]);
    let n = 0;
    await vi.waitFor(
      async () => {
        await sender.notify('survivor', `after-${n++}`);
        expect(received.length).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 200 },
    );
    // Told that it listens again, so that it re-reads what was sent while it was down; and, before, that it was lost.
    expect(reconnects).toBe(1);
    expect(events).toEqual(['lost', 'reconnected']);
  });

  it('survives a connection terminated between two queries of a unit of work, and runs the unit again', async () => {
    // The client sits idle in a transaction when its backend is terminated: pg emits 'error'
    // on a checked-out client, which ended the process before the pool's 'connect' handler.
    const schema = newSchema();
    const db = await open(schema);
    const admin = await open(schema);
    await sql`create table notes (id int primary key, text text)`.execute(db.kysely);
    let attempts = 0;
    await runInUnit(db, async (unit) => {
      attempts += 1;
      await sql`insert into notes values (1, 'once')`.execute(unit.kysely);
      if (attempts === 1) {
        const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(unit.kysely)).rows[0]?.pid;
        await sql`select pg_terminate_backend(${pid}::int)`.execute(admin.kysely);
        await vi.waitFor(async () => {
          const left = await sql`select 1 from pg_stat_activity where pid = ${pid}::int`.execute(admin.kysely);
          expect(left.rows).toEqual([]);
        });
        // Let the client read the server's FATAL message and emit 'error' while checked out.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await sql`select count(*) from notes`.execute(unit.kysely);
    });
    expect(attempts).toBe(2);
    expect((await sql`select text from notes`.execute(db.kysely)).rows).toEqual([{ text: 'once' }]);
  });

  it('survives a connection terminated in the middle of a query of a unit of work, and runs the unit again', async () => {
    const schema = newSchema();
    const db = await open(schema);
    await sql`create table notes (id int primary key, text text)`.execute(db.kysely);
    let attempts = 0;
    const { result, terminated } = await terminateWhileBlocked(await open(schema), 'notes', () =>
      runInUnit(db, async (unit) => {
        attempts += 1;
        await sql`insert into notes values (1, 'once')`.execute(unit.kysely);
      }),
    );
    expect(terminated).toBe(1);
    expect(result.status).toBe('fulfilled');
    expect(attempts).toBe(2);
    expect((await sql`select text from notes`.execute(db.kysely)).rows).toEqual([{ text: 'once' }]);
  });

  it('fails a unit with STORAGE_UNREACHABLE, writing nothing, when its connection drops on every attempt', async () => {
    const schema = newSchema();
    const db = await open(schema);
    const admin = await open(schema);
    await sql`create table notes (id int primary key, text text)`.execute(db.kysely);
    let attempts = 0;
    const error = await caught(
      runInUnit(db, async (unit) => {
        attempts += 1;
        await sql`insert into notes values (1, 'never')`.execute(unit.kysely);
        const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(unit.kysely)).rows[0]?.pid;
        await sql`select pg_terminate_backend(${pid}::int)`.execute(admin.kysely);
        await sql`select pg_sleep(5)`.execute(unit.kysely);
      }),
    );
    expect(error.code).toBe('STORAGE_UNREACHABLE');
    expect(error.message).toContain('nothing was written');
    expect(attempts).toBe(3);
    expect((await sql`select count(*) as n from notes`.execute(db.kysely)).rows).toEqual([{ n: 0 }]);
    // The pool dropped the dead clients: the handle keeps working.
    await sql`insert into notes values (2, 'after')`.execute(db.kysely);
  });

  it('answers a query on an idle pooled connection that was terminated (the pool reconnects)', async () => {
    const schema = newSchema();
    const db = await open(schema);
    const admin = await open(schema);
    const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.kysely)).rows[0]?.pid;
    await sql`select pg_terminate_backend(${pid}::int)`.execute(admin.kysely);
    await vi.waitFor(async () => {
      const rows = await sql<{ one: number }>`select 1 as one`.execute(db.kysely).then((r) => r.rows, () => []);
      expect(rows).toEqual([{ one: 1 }]);
    });
  });

  it('refuses use after close with STORAGE_CLOSED', async () => {
    const db = await openDatabase(POSTGRES_URL as string);
    await db.close();
    expect((await caught(db.notify('x', 'y'))).code).toBe('STORAGE_CLOSED');
    expect((await caught(db.listen('x', () => {}))).code).toBe('STORAGE_CLOSED');
  });
});
