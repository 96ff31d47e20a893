import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { FARE_EXAMPLES, FARES } from './test-support/fixture-database.js';
import { cli } from './test-support/run-in-process.js';

// The CLI on PostgreSQL: the same commands with a postgres:// URL. Each run gets its own
// schema, named in the URL (`options=-c search_path=…`, which node-postgres passes on).

const url = process.env['TOOLWRIGHT_TEST_POSTGRES_URL'];
if (!url) console.warn('cli.int.test.ts: TOOLWRIGHT_TEST_POSTGRES_URL is unset; the PostgreSQL tests of the CLI are skipped.');

const schema = `cli_test_${process.pid}_${Date.now()}`;
const directory = mkdtempSync(join(tmpdir(), 'toolwright-cli-pg-'));
const db = url === undefined ? '' : `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

describe.skipIf(!url)('the CLI on PostgreSQL', () => {
  beforeAll(async () => {
    // Creates the schema (the CLI opens an existing one).
    const tw = await createToolwright({ database: url ?? '', databaseOptions: { schema }, improve: false });
    await tw.close();
    writeFileSync(join(directory, 'fares.json'), JSON.stringify(FARES));
    writeFileSync(join(directory, 'examples.json'), JSON.stringify(FARE_EXAMPLES));
  });
  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    const tw = await createToolwright({ database: url ?? '', improve: false });
    try {
      await tw.database.kysely.schema.dropSchema(schema).ifExists().cascade().execute();
    } finally {
      await tw.close();
    }
  });

  it('runs a task, lists and reports the tool, flips the kill switch and exports a bundle', async () => {
    const run = (...argv: string[]) => cli([...argv, '--db', db], { cwd: directory });
    const ran = await run('run', 'Total the fares', '--input', 'fares.json', '--examples', 'examples.json', '--json');
    expect(ran.code).toBe(EXIT_CODES.ok);
    expect(ran.json()).toMatchObject({ createdTools: ['sum_fares_price'], solved: true });
    expect((await run('tools', 'list', '--json')).json()).toMatchObject([{ name: 'sum_fares_price', activeVersion: 1 }]);
    expect((await run('report', '--json')).json().versions).toMatchObject([{ tool: 'sum_fares_price', version: 1, calls: 1, successRate: 1 }]);
    expect((await run('kill-switch', 'on', '--by', 'ana', '--json')).json()).toMatchObject({ engaged: true, by: 'ana' });
    expect((await run('kill-switch', 'status', '--json')).json()).toMatchObject({ engaged: true });
    expect((await run('kill-switch', 'off', '--json')).json()).toMatchObject({ engaged: false });
    expect(JSON.parse((await run('export')).stdout).versions).toHaveLength(1);
  });
});
