#!/usr/bin/env node
/**
 * `toolwright-mcp [--db URL] [--http PORT] [--token …]`: serves the active tools of a Toolwright
 * database to MCP clients over stdio (default) or Streamable HTTP. `toolwright mcp` of
 * `@toolwright/cli` does the same.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StorageError, ToolwrightError, ValidationError } from '@toolwright/core';
import { createToolwright } from 'toolwright';
import { MCP_MODES, type McpMode } from './options.js';
import { parsePort, requireToken, serveToolwright } from './serve.js';

const USAGE = `usage: toolwright-mcp [--db <url>] [--schema <name>] [--http <port>] [--host <address>] [--token <token>]
                      [--allow <origin>]… [--allow-origin <origin>]… [--mode both|tools|stable] [--poll-ms <ms>]
Serves every active Toolwright tool over stdio (default) or Streamable HTTP (--http).
  --db            sqlite:./toolwright.db (default) or postgres://…
  --schema        PostgreSQL schema of the tables
  --http          serve Streamable HTTP on this port (0: any free port), at /mcp
  --host          the address to bind (default 127.0.0.1)
  --token         the bearer token HTTP clients send (default: $TOOLWRIGHT_MCP_TOKEN)
  --allow         an origin tools may fetch from (repeatable)
  --allow-origin  a browser origin allowed to call the HTTP endpoint (repeatable)
  --mode          both (default), tools (one MCP tool per Toolwright tool) or stable (toolwright_tools + toolwright_call)
  --poll-ms       how often to look for changes made by other processes (default 1000 on SQLite, 0 on PostgreSQL)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      schema: { type: 'string' },
      http: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      allow: { type: 'string', multiple: true },
      'allow-origin': { type: 'string', multiple: true },
      mode: { type: 'string' },
      'poll-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const mode = values.mode ?? 'both';
  if (!(MCP_MODES as readonly string[]).includes(mode)) throw new ValidationError('INVALID_ARGUMENT', `--mode is one of ${MCP_MODES.join(', ')}, not "${mode}".`);
  const pollIntervalMs = values['poll-ms'] === undefined ? undefined : Number(values['poll-ms']);
  const http = values.http === undefined ? undefined : { port: parsePort(values.http), token: requireToken(values.token, process.env), ...(values.host === undefined ? {} : { host: values.host }), allowedOrigins: values['allow-origin'] ?? [] };
  const allow = values.allow ?? [];
  const database = values.db ?? 'sqlite:./toolwright.db';
  assertSqliteFileExists(database);
  const toolwright = await createToolwright({
    database,
    ...(values.schema === undefined ? {} : { databaseOptions: { schema: values.schema } }),
    ...(allow.length > 0 ? { network: { allow } } : {}),
  });
  try {
    const serving = await serveToolwright(toolwright, { mode: mode as McpMode, ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }), ...(http === undefined ? {} : { http }) });
    if (serving.http !== undefined) process.stderr.write(`toolwright-mcp: serving ${serving.http.url}\n`);
    const stop = (): void => void serving.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await serving.closed;
  } finally {
    await toolwright.close();
  }
  return 0;
}

/** A server never creates a database: a wrong path in a client's configuration would serve nothing, silently. */
function assertSqliteFileExists(database: string): void {
  if (!database.startsWith('sqlite:') || database === 'sqlite::memory:') return;
  let path = database.slice('sqlite:'.length);
  if (path.startsWith('//')) path = path.slice(2);
  const file = resolve(path);
  if (!existsSync(file)) {
    throw new StorageError('STORAGE_DATABASE_NOT_FOUND', `No Toolwright database at ${file} (from --db ${database}). Pass --db with the absolute path of an existing database (\`toolwright run\` creates one).`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // 2: wrong arguments (with the usage), 3: no database there, 1: anything else.
    const usage = (ToolwrightError.isInstance(error) && error.code === 'INVALID_ARGUMENT') || String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
    const notFound = ToolwrightError.isInstance(error) && error.code === 'STORAGE_DATABASE_NOT_FOUND';
    const message = ToolwrightError.isInstance(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`toolwright-mcp: ${message}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(usage ? 2 : notFound ? 3 : 1);
  },
);
