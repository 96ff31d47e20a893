import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RegistryChangeEvent } from '@toolwright/core';
import { type Database, openDatabase } from '@toolwright/memory';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRegistry, type RegistryStore } from './create-registry.js';
import { noticePostgresSkipped, POSTGRES_URL } from './test-support/backends.js';

noticePostgresSkipped('@toolwright/registry promotion-race.int.test.ts');

const workerScript = fileURLToPath(new URL('./__fixtures__/promote-worker.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist/writer.js', import.meta.url));
const ROUNDS = 40;

/** A registry writer in its own OS process, answering one line per command. */
class Worker {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  readonly #waiting: ((line: string) => void)[] = [];
  #stderr = '';

  constructor(url: string, schema: string, id: string) {
    this.#child = spawn(process.execPath, [workerScript, url, schema, id]);
    this.#child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(line);
      else this.#lines.push(line);
    });
    this.#child.on('exit', (code) => {
      for (const waiter of this.#waiting.splice(0)) waiter(`exited ${code}: ${this.#stderr}`);
    });
  }

  next(): Promise<string> {
    const line = this.#lines.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => this.#waiting.push(resolve));
  }

  async ask(command: string): Promise<string> {
    this.#child.stdin.write(`${command}\n`);
    return this.next();
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.on('exit', resolve));
    this.#child.stdin.end('exit\n');
    await exited;
  }
}

describe.skipIf(POSTGRES_URL === undefined)('two OS processes promoting one tool at the same moment (PostgreSQL)', () => {
  const schema = `tw_registry_race_${process.pid}_${randomBytes(4).toString('hex')}`;
  let db: Database;
  let observer: RegistryStore;
  let workers: Worker[] = [];

  beforeAll(async () => {
    if (!existsSync(dist)) throw new Error(`build the package first (${dist} is missing): npx pnpm@9.15.9 --filter @toolwright/registry build`);
    db = await openDatabase(POSTGRES_URL as string, { schema });
    observer = await createRegistry({ database: db });
    workers = ['a', 'b'].map((id) => new Worker(POSTGRES_URL as string, schema, id));
    for (const worker of workers) expect(await worker.next()).toBe('ready');
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await observer?.close();
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
    await db.close();
  });

  it('keeps exactly one active version every round, logs every promotion in a consistent chain, and tells other processes', async () => {
    const heard: RegistryChangeEvent[] = [];
    observer.on('change', (event) => heard.push(event));
    const [a, b] = workers as [Worker, Worker];
    let promotions = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const registered = await Promise.all([a.ask(`register ${round}`), b.ask(`register ${round}`)]);
      const versions = registered.map((line) => {
        const match = /^registered \d+ (\d+)$/.exec(line);
        if (!match) throw new Error(`unexpected answer: ${line}`);
        return Number(match[1]);
      });
      // Both processes get their command at once and race inside promote().
      const answers = await Promise.all([a.ask(`promote ${round} ${versions[0]}`), b.ask(`promote ${round} ${versions[1]}`)]);
      expect(answers, `round ${round}`).toEqual([`promoted ${round} ${versions[0]}`, `promoted ${round} ${versions[1]}`]);
      promotions += 2;

      const active = await sql<{ version: number }>`select version from registry_versions where name = 'total_fares' and status = 'active'`.execute(db.kysely);
      expect(active.rows, `round ${round}`).toHaveLength(1);
      expect(versions).toContain(active.rows[0]?.version);
    }

    const history = await observer.history('total_fares');
    expect(history).toHaveLength(2 * ROUNDS);
    expect(history.filter((version) => version.status === 'active')).toHaveLength(1);
    expect(history.filter((version) => version.status === 'retired')).toHaveLength(2 * ROUNDS - 1);

    // The log holds every promotion, and each one retired the version promoted just before it.
    const log = (await observer.changeLog('total_fares')).filter((change) => change.type === 'promoted');
    expect(log).toHaveLength(promotions);
    log.forEach((change, index) => expect(change.previous, `promotion ${index}`).toBe(index === 0 ? undefined : log[index - 1]?.version));
    expect((await observer.active('total_fares'))?.version).toBe(log.at(-1)?.version);

    // A reader in a third process heard every change through LISTEN/NOTIFY.
    await vi.waitFor(() => expect(heard.filter((event) => event.type === 'promoted')).toHaveLength(promotions), { timeout: 10_000 });
    expect(heard.filter((event) => event.type === 'registered')).toHaveLength(2 * ROUNDS);
  });
});
