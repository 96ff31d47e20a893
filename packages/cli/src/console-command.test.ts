import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createToolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { FARE_EXAMPLES, FARES } from './test-support/fixture-database.js';
import { cli } from './test-support/run-in-process.js';

// `toolwright console` as a user runs it: the built bin in its own process, until SIGTERM.
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const directory = mkdtempSync(join(tmpdir(), 'toolwright-cli-console-'));
const db = `sqlite:${join(directory, 'console.db')}`;

beforeAll(async () => {
  const toolwright = await createToolwright({ database: db, improve: false, reflect: false });
  try {
    await toolwright.run('Total the fares', { input: FARES, examples: FARE_EXAMPLES });
  } finally {
    await toolwright.close();
  }
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('toolwright console', () => {
  it('prints a token URL on 127.0.0.1, serves the tools behind it, and stops on SIGTERM with exit 0', async () => {
    const child = spawn(process.execPath, [bin, 'console', '--port', '0', '--db', db, '--by', 'ada'], { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const found = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(stdout);
        if (found?.[1] !== undefined) resolve(found[1]);
      });
      child.once('exit', (code) => reject(new Error(`toolwright console exited (${code}) before printing its URL: ${stdout}`)));
    });
    try {
      expect(stdout).toContain('acting as ada');
      const origin = new URL(url).origin;
      expect((await fetch(`${origin}/api/tools`)).status).toBe(401);
      const login = await fetch(url, { redirect: 'manual' });
      expect(login.status).toBe(303);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const body = (await (await fetch(`${origin}/api/tools`, { headers: { cookie } })).json()) as { tools: { name: string }[] };
      expect(body.tools.map((tool) => tool.name)).toEqual(['sum_fares_price']);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(EXIT_CODES.ok);
    }
  });

  it('refuses a port that is not a number and a short token (exit 2)', async () => {
    const port = await cli(['console', '--port', 'http', '--db', db], { cwd: directory });
    expect(port.code).toBe(EXIT_CODES.usage);
    expect(port.stderr).toContain('--port takes a port number');
    const token = await cli(['console', '--token', 'short', '--db', db], { cwd: directory });
    expect(token.code).toBe(EXIT_CODES.usage);
    expect(token.stderr).toContain('at least 16 characters');
  });
});
