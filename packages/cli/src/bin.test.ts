import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { FARE_EXAMPLES, FARES } from './test-support/fixture-database.js';

// The bin as a user runs it: the package's built `dist/cli.js` (turbo builds the package before
// its tests, see turbo.json), a separate process with real stdio and exit code.

const run = promisify(execFile);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(packageRoot, 'dist', 'cli.js');
const directory = mkdtempSync(join(tmpdir(), 'toolwright-cli-bin-'));

async function toolwright(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: directory, env: { ...process.env, TOOLWRIGHT_DB: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(() => {
  writeFileSync(join(directory, 'fares.json'), JSON.stringify(FARES));
  writeFileSync(join(directory, 'examples.json'), JSON.stringify(FARE_EXAMPLES));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('the toolwright bin', () => {
  it('prints its help and exits 0', async () => {
    const result = await toolwright('--help');
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toMatch(/^Usage: toolwright <command> \[options\]/);
  });

  it('runs a task on a SQLite file, then lists the tool it wrote, with the exit codes scripts rely on', async () => {
    const ran = await toolwright('run', 'Total the fares', '--input', 'fares.json', '--examples', 'examples.json', '--db', 'sqlite:./bin.db', '--json');
    expect(ran.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(ran.stdout)).toMatchObject({ createdTools: ['sum_fares_price'], solved: true });
    const listed = await toolwright('tools', 'list', '--db', 'bin.db', '--json');
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: 'sum_fares_price', activeVersion: 1 }]);
    const wrong = await toolwright('tools', 'show');
    expect(wrong.code).toBe(EXIT_CODES.usage);
    expect(wrong.stderr.split('\n')[0]).toBe('toolwright tools show: missing <name>.');
    expect((await toolwright('tools', 'show', 'nope', '--db', 'bin.db')).code).toBe(EXIT_CODES.notFound);
  });
});
