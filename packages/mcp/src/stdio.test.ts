import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describeMcpTransport } from './mcp-client.suite.js';
import { testBackends } from './test-support/backends.js';

// The real thing: `toolwright-mcp` (dist/bin.js, built before the tests) in a child process,
// driven by the SDK's client over its stdin/stdout. Changes come from this test process.
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

describeMcpTransport('stdio', testBackends('stdio'), async (at, client) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, '--db', at.url, ...(at.schema === undefined ? [] : ['--schema', at.schema]), ...(at.url.startsWith('sqlite:') ? ['--poll-ms', '100'] : [])],
    stderr: 'inherit',
  });
  await client.connect(transport);
  let closed: Promise<void> | undefined;
  return { client, close: () => (closed ??= client.close()) };
});

describe('toolwright-mcp arguments', () => {
  const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env } });

  test('refuses a SQLite file that does not exist (exit 3) instead of serving an empty new database', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'toolwright-mcp-bin-')), 'missing.db');
    const result = run(['--db', `sqlite:${file}`]);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/^toolwright-mcp: STORAGE_DATABASE_NOT_FOUND: No Toolwright database at /);
    expect(existsSync(file)).toBe(false);
  });

  test('refuses HTTP without a token, and a bad port or mode (exit 2, with the usage)', () => {
    for (const args of [['--http', '8765'], ['--http', 'eighty'], ['--mode', 'all'], ['--unknown']]) {
      const result = run(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/usage: toolwright-mcp/);
    }
    expect(run(['--http', '8765']).stderr).toMatch(/Streamable HTTP needs a bearer token: set TOOLWRIGHT_MCP_TOKEN/);
  });
});
