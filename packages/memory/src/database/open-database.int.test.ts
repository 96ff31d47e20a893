import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { caught } from '@toolwright/store/testing';
import { noticePostgresSkipped, POSTGRES_URL } from '../test-support/backends.js';
import type { Database } from './database.js';
import { openDatabase } from './open-database.js';

noticePostgresSkipped('@toolwright/memory open-database.int.test.ts');

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
    await listener.listen('survivor', (payload) => received.push(payload));
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
  });

  it('refuses use after close with STORAGE_CLOSED', async () => {
    const db = await openDatabase(POSTGRES_URL as string);
    await db.close();
    expect((await caught(db.notify('x', 'y'))).code).toBe('STORAGE_CLOSED');
    expect((await caught(db.listen('x', () => {}))).code).toBe('STORAGE_CLOSED');
  });
});
