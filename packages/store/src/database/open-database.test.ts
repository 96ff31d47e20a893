import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { runMigrations, type SchemalessKysely } from '../run-migrations.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { caught, thrown } from '../testing/index.js';
import { parseDatabaseUrl, redactDatabaseUrl } from './database-url.js';
import { openDatabase } from './open-database.js';

describe('parseDatabaseUrl', () => {
  it('reads SQLite paths and PostgreSQL URLs', () => {
    expect(parseDatabaseUrl('sqlite:./toolwright.db')).toMatchObject({ dialect: 'sqlite', path: './toolwright.db' });
    expect(parseDatabaseUrl('sqlite::memory:')).toMatchObject({ dialect: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('sqlite:///var/lib/tw.db')).toMatchObject({ dialect: 'sqlite', path: '/var/lib/tw.db' });
    expect(parseDatabaseUrl('SQLite:data/tw.db')).toMatchObject({ dialect: 'sqlite', path: 'data/tw.db' });
    expect(parseDatabaseUrl('postgres://u:p@db.example.com:5432/tw')).toMatchObject({
      dialect: 'postgres',
      redacted: 'postgres://u:***@db.example.com:5432/tw',
    });
    expect(parseDatabaseUrl('postgresql://db/tw')).toMatchObject({ dialect: 'postgres' });
  });

  it('refuses malformed and unsupported URLs with STORAGE_BAD_URL', () => {
    for (const url of ['', '   ', 'toolwright.db', 'sqlite:', 'sqlite://', 'mysql://root@localhost/tw', 'postgres://', 'postgres://host:99999/db', 'http://x', 42, null, undefined]) {
      const error = thrown(() => parseDatabaseUrl(url));
      expect(error.code, String(url)).toBe('STORAGE_BAD_URL');
    }
  });

  it('never repeats a password in its messages', () => {
    const error = thrown(() => parseDatabaseUrl('mysql://root:hunter2@localhost/tw'));
    expect(error.message).not.toContain('hunter2');
    expect(redactDatabaseUrl('postgres://user:s3cret@host/db')).toBe('postgres://user:***@host/db');
    expect(redactDatabaseUrl('postgres://user@host/db')).toBe('postgres://user@host/db');
  });
});

describe('openDatabase on SQLite', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'toolwright-open-'));
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('opens a file in WAL mode and an in-memory database', async () => {
    const file = await openDatabase(`sqlite:${join(directory, 'tw.db')}`);
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(file.kysely);
    expect(mode.rows[0]?.journal_mode).toBe('wal');
    expect(file.dialect).toBe('sqlite');
    await file.close();
    await file.close();
    const memory = await openDatabase('sqlite::memory:');
    expect((await sql<{ one: number }>`select 1 as one`.execute(memory.kysely)).rows).toEqual([{ one: 1 }]);
    await memory.close();
  });

  it('leaves an existing file refused as too new in its journal mode; switches one the migrations accept to WAL', async () => {
    const plan = { owner: '@acme/notes', table: 'acme_notes_migrations', migrations: { '0001_notes': { up: async (db: SchemalessKysely) => void (await sql`create table notes (id integer)`.execute(db)) } } };
    const modeOf = async (db: { kysely: SchemalessKysely }) => (await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db.kysely)).rows[0]?.journal_mode;
    for (const [file, newer] of [['newer.db', true], ['older.db', false]] as const) {
      const url = `sqlite:${join(directory, file)}`;
      // A file in rollback-journal mode, with the migration table a store keeps.
      const setup = await openDatabase(url);
      await sql`pragma journal_mode = delete`.execute(setup.kysely);
      await runMigrations(setup, plan);
      if (newer) await sql`insert into acme_notes_migrations (name, timestamp) values ('0002_from_the_future', '2030-01-01')`.execute(setup.kysely);
      await setup.close();

      const db = await openDatabase(url);
      expect(await modeOf(db)).toBe('delete');
      if (newer) {
        expect((await caught(runMigrations(db, plan))).code).toBe('STORAGE_SCHEMA_TOO_NEW');
        expect(await modeOf(db)).toBe('delete');
        expect(existsSync(join(directory, `${file}-wal`))).toBe(false);
      } else {
        await runMigrations(db, plan);
        expect(await modeOf(db)).toBe('wal');
      }
      await db.close();
    }
  });

  it('says STORAGE_BAD_URL for a bad URL, before touching anything', async () => {
    expect((await caught(openDatabase('mysql://localhost/tw'))).code).toBe('STORAGE_BAD_URL');
  });

  it('says STORAGE_UNREACHABLE, without a driver stack, for a missing directory or a file that is not SQLite', async () => {
    const missing = await caught(openDatabase(`sqlite:${join(directory, 'no', 'such', 'dir', 'tw.db')}`));
    expect(missing.code).toBe('STORAGE_UNREACHABLE');
    expect(missing.message).not.toMatch(/\n\s+at /);
    const text = join(directory, 'notes.txt');
    writeFileSync(text, 'this is not a database, it is a text file with enough bytes to have a header'.repeat(20));
    const notSqlite = await caught(openDatabase(`sqlite:${text}`));
    expect(notSqlite.code).toBe('STORAGE_UNREACHABLE');
    expect(notSqlite.message).toContain('not a database');
  });

  it('refuses unknown options with INVALID_ARGUMENT', async () => {
    expect((await caught(openDatabase('sqlite::memory:', { busyTimeoutMs: -1 }))).code).toBe('INVALID_ARGUMENT');
    expect((await caught(openDatabase('sqlite::memory:', { colour: 'blue' } as never))).code).toBe('INVALID_ARGUMENT');
  });

  it('delivers notifications to this handle’s listeners, asynchronously, until they unsubscribe', async () => {
    const db = await openDatabase('sqlite::memory:');
    const received: string[] = [];
    const unsubscribe = await db.listen('changes', (payload) => received.push(`a:${payload}`));
    await db.listen('changes', (payload) => received.push(`b:${payload}`));
    await db.listen('elsewhere', (payload) => received.push(`other:${payload}`));
    await db.notify('changes', 'one');
    expect(received).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(received.sort()).toEqual(['a:one', 'b:one']);
    await unsubscribe();
    await db.notify('changes', 'two');
    await new Promise((resolve) => setImmediate(resolve));
    expect(received.sort()).toEqual(['a:one', 'b:one', 'b:two']);
    expect((await caught(db.notify('bad channel!', 'x'))).code).toBe('INVALID_ARGUMENT');
    expect((await caught(db.listen('', () => {}))).code).toBe('INVALID_ARGUMENT');
    await db.close();
    expect((await caught(db.notify('changes', 'three'))).code).toBe('STORAGE_CLOSED');
  });
});
