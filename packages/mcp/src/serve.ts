import type { Readable, Writable } from 'node:stream';
import { ValidationError } from '@toolwright/core';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createToolwrightMcp, type McpSource, type ToolwrightMcp } from './mcp-server.js';
import { startHttpServer, type McpHttpServer } from './http-server.js';
import type { HttpServerOptions, ToolwrightMcpOptions } from './options.js';

/** Options of {@link serveToolwright}: the server's, plus the transport. */
export interface ServeOptions extends ToolwrightMcpOptions {
  /** Streamable HTTP on this port and address, with this bearer token; absent: stdio. */
  readonly http?: HttpServerOptions;
  /** stdio only: the streams (default: the process's). */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
}

/** A running server, over stdio or HTTP. */
export interface ServingMcp {
  readonly mcp: ToolwrightMcp;
  /** Set for HTTP. */
  readonly http?: McpHttpServer;
  /** Resolves when serving ended: stdin closed (stdio), or `close()` was called. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves an open Toolwright over stdio (the default, for desktop clients) or Streamable HTTP.
 * The caller keeps ownership of `toolwright` and closes it after `closed` resolves.
 *
 * @example
 * ```ts
 * const toolwright = await createToolwright({ database: 'sqlite:./toolwright.db' });
 * const serving = await serveToolwright(toolwright, { http: { port: 8765, token } });
 * await serving.closed;
 * await toolwright.close();
 * ```
 */
export async function serveToolwright(toolwright: McpSource, options: ServeOptions = {}): Promise<ServingMcp> {
  const { http, stdin, stdout, ...serverOptions } = options;
  const mcp = await createToolwrightMcp(toolwright, serverOptions);
  let finish!: () => void;
  const closed = new Promise<void>((resolve) => (finish = resolve));
  let closing: Promise<void> | undefined;
  let httpServer: McpHttpServer | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await httpServer?.close();
        await mcp.close();
      } finally {
        finish();
      }
    })());

  try {
    if (http !== undefined) {
      httpServer = await startHttpServer(mcp, http);
    } else {
      const input = stdin ?? process.stdin;
      const transport = new StdioServerTransport(input, stdout ?? process.stdout);
      const server = await mcp.connect(transport);
      const end = (): void => void close();
      input.once('end', end);
      input.once('close', end);
      server.onclose = ((previous) => () => {
        previous?.();
        void close();
      })(server.onclose);
    }
  } catch (error) {
    await mcp.close();
    throw error;
  }
  return { mcp, ...(httpServer === undefined ? {} : { http: httpServer }), closed, close };
}

/** The bearer token: the one given, else `TOOLWRIGHT_MCP_TOKEN`; refuses to serve HTTP without one. */
export function requireToken(given: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const token = given ?? env['TOOLWRIGHT_MCP_TOKEN'];
  if (token === undefined || token === '') {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      'Streamable HTTP needs a bearer token: set TOOLWRIGHT_MCP_TOKEN (e.g. `export TOOLWRIGHT_MCP_TOKEN=$(openssl rand -hex 32)`) or pass --token; clients send it as "Authorization: Bearer <token>".',
    );
  }
  if (token.length < 16) throw new ValidationError('INVALID_ARGUMENT', 'The bearer token needs at least 16 characters (e.g. `openssl rand -hex 32`).');
  return token;
}

/** Parses `--http <port>`. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ValidationError('INVALID_ARGUMENT', `--http takes a port number from 0 to 65535 (0: any free port), not "${value}".`);
  }
  return port;
}
