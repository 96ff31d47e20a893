import { MAX_POLL_INTERVAL_MS, MCP_MODES, parsePort, requireToken, serveToolwright, type McpMode } from '@toolwright/mcp';
import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';
import { ALLOW_OPTION } from './shared-options.js';

/** `toolwright mcp [--http PORT] [--token …]`: serve every active tool to MCP clients (`@toolwright/mcp`). */
export const mcpCommand: CommandDefinition = {
  path: ['mcp'],
  summary: 'Serve every active tool to MCP clients (Claude Desktop, Cursor, VS Code, agents) over stdio, or Streamable HTTP with --http.',
  details:
    'Calls run through the same metered path as the agent\'s (sandbox, memory, improvement) and are refused while the kill switch is on. ' +
    'Clients are told (tools/list_changed) when a tool is promoted, rolled back, pinned or retired, here or by another process on the database. ' +
    'HTTP binds 127.0.0.1 and needs a bearer token: --token, else TOOLWRIGHT_MCP_TOKEN. Runs until stdin closes (stdio) or SIGINT / SIGTERM.',
  positionals: [],
  options: {
    http: { type: 'string', valueName: '<port>', description: 'serve Streamable HTTP at http://127.0.0.1:<port>/mcp instead of stdio (0: any free port)' },
    host: { type: 'string', valueName: '<address>', description: 'the address HTTP binds (default 127.0.0.1)' },
    token: { type: 'string', valueName: '<token>', description: 'the bearer token HTTP clients send (default: TOOLWRIGHT_MCP_TOKEN; at least 16 characters)' },
    'allow-origin': { type: 'string', multiple: true, valueName: '<origin>', description: 'a browser origin allowed to call the HTTP endpoint (repeatable; default: none)' },
    mode: { type: 'string', valueName: '<mode>', description: 'both (default), tools (one MCP tool per tool) or stable (only toolwright_tools and toolwright_call)' },
    'poll-ms': { type: 'string', valueName: '<ms>', description: 'how often to look for changes by other processes (default 1000 on SQLite, 0 on PostgreSQL)' },
    ...ALLOW_OPTION,
  },
  async run(context) {
    const mode = typeof context.options['mode'] === 'string' ? context.options['mode'] : 'both';
    if (!(MCP_MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode must be one of ${MCP_MODES.join(', ')}; got "${mode}".`, 'mcp');
    const pollMs = context.options['poll-ms'];
    // Checked here (against @toolwright/mcp's own limit) so that the message names --poll-ms.
    if (typeof pollMs === 'string' && (!/^\d+$/.test(pollMs) || Number(pollMs) > MAX_POLL_INTERVAL_MS)) {
      throw new UsageError(`--poll-ms takes a whole number of milliseconds from 0 to ${MAX_POLL_INTERVAL_MS} (an hour; 0: never); got "${pollMs}".`, 'mcp');
    }
    const port = context.options['http'];
    const httpOnly = ['host', 'token', 'allow-origin'].filter((name) => context.options[name] !== undefined || (context.lists[name]?.length ?? 0) > 0);
    if (port === undefined && httpOnly.length > 0) {
      throw new UsageError(`${httpOnly.map((name) => `--${name}`).join(', ')} only apply with --http <port>; give --http, or leave ${httpOnly.length === 1 ? 'it' : 'them'} out to serve over stdio.`, 'mcp');
    }
    let http;
    try {
      http =
        typeof port === 'string'
          ? {
              port: parsePort(port),
              token: requireToken(typeof context.options['token'] === 'string' ? context.options['token'] : undefined, context.env),
              ...(typeof context.options['host'] === 'string' ? { host: context.options['host'] } : {}),
              allowedOrigins: [...(context.lists['allow-origin'] ?? [])],
            }
          : undefined;
    } catch (error) {
      throw new UsageError((error as Error).message, 'mcp');
    }
    const toolwright = await context.open({ improve: true });
    try {
      const serving = await serveToolwright(toolwright, { mode: mode as McpMode, ...(typeof pollMs === 'string' ? { pollIntervalMs: Number(pollMs) } : {}), ...(http === undefined ? {} : { http }) });
      if (serving.http !== undefined) context.stderr.write(`toolwright mcp: serving ${serving.http.url} (Authorization: Bearer <token>); Ctrl-C stops it\n`);
      const stop = (): void => void serving.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await serving.closed;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};
