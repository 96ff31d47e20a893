import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as NodeHttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseOrThrow } from '@toolwright/core';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { ToolwrightMcp } from './mcp-server.js';
import { httpOptionsSchema, type HttpServerOptions } from './options.js';

/** Largest JSON-RPC body accepted, in bytes. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A running Streamable HTTP endpoint. */
export interface McpHttpServer {
  /** `http://127.0.0.1:<port>/mcp` */
  readonly url: string;
  readonly port: number;
  /** Open MCP sessions. */
  readonly sessions: number;
  /** Closes every session and stops listening. */
  close(): Promise<void>;
}

/**
 * Serves `mcp` over Streamable HTTP (protocol revisions 2025-03-26 and later), one SDK server
 * per session. Bound to 127.0.0.1 unless told otherwise; every request needs
 * `Authorization: Bearer <token>`; the `Host` header must name an allowed host and an `Origin`
 * header, when a browser sends one, an allowed origin (DNS rebinding protection, as the MCP
 * specification asks of local servers).
 *
 * @example
 * ```ts
 * const http = await startHttpServer(mcp, { port: 8765, token: process.env.TOOLWRIGHT_MCP_TOKEN! });
 * console.log(`MCP endpoint: ${http.url}`);
 * ```
 */
export async function startHttpServer(mcp: ToolwrightMcp, options: HttpServerOptions): Promise<McpHttpServer> {
  const parsed = parseOrThrow(httpOptionsSchema, options, 'MCP HTTP server options');
  const expected = digest(parsed.token);
  const sessions = new Map<string, Session>();
  let port = parsed.port;
  const allowedHosts = (): Set<string> => new Set((parsed.allowedHosts ?? ['127.0.0.1', 'localhost', '[::1]', bracketed(parsed.host)]).map((host) => host.toLowerCase()));
  const hosts = allowedHosts();
  const origins = new Set(parsed.allowedOrigins);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://placeholder');
    if (url.pathname !== parsed.path) return refuse(response, 404, `Not found: the MCP endpoint is ${parsed.path}.`);
    const host = hostnameOf(request.headers.host);
    if (host === undefined || !hosts.has(host)) return refuse(response, 403, `Host "${request.headers.host ?? ''}" is not allowed (DNS rebinding protection); connect to ${[...hosts].join(', ')}.`);
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.has(origin)) return refuse(response, 403, `Origin "${origin}" is not allowed; start the server with --allow-origin ${origin} to let that page call it.`);
    if (!authorized(request.headers.authorization, expected)) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="toolwright-mcp"');
      return refuse(response, 401, 'Unauthorized: send "Authorization: Bearer <token>" with the token the server was started with (--token or TOOLWRIGHT_MCP_TOKEN).');
    }

    const sessionId = headerValue(request.headers['mcp-session-id']);
    if (request.method === 'POST') {
      let body: unknown;
      try {
        body = await readJson(request);
      } catch (error) {
        return refuse(response, error instanceof BodyTooLarge ? 413 : 400, error instanceof Error ? error.message : 'Parse error', -32700);
      }
      if (sessionId === undefined) {
        const initializing = Array.isArray(body) ? body.some((message) => isInitializeRequest(message)) : isInitializeRequest(body);
        if (!initializing) return refuse(response, 400, 'Bad request: no Mcp-Session-Id header; start with an initialize request.');
        const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions.set(id, { transport, open: 0, lastSeen: Date.now() });
          },
        });
        transport.onclose = () => {
          if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
        };
        await mcp.connect(transport);
        await transport.handleRequest(request, response, body);
        if (transport.sessionId !== undefined) track(sessions.get(transport.sessionId), response);
        return;
      }
      const session = sessions.get(sessionId);
      if (session === undefined) return refuse(response, 404, 'Session not found: it ended, was idle too long, or the server restarted; initialize a new session.');
      track(session, response);
      return session.transport.handleRequest(request, response, body);
    }
    if (request.method === 'GET' || request.method === 'DELETE') {
      const session = sessionId === undefined ? undefined : sessions.get(sessionId);
      if (session === undefined) return refuse(response, sessionId === undefined ? 400 : 404, sessionId === undefined ? 'Bad request: no Mcp-Session-Id header.' : 'Session not found: initialize a new session.');
      track(session, response);
      return session.transport.handleRequest(request, response);
    }
    response.setHeader('Allow', 'GET, POST, DELETE');
    return refuse(response, 405, `Method ${request.method ?? ''} not allowed.`);
  };

  // A session with no request open (a listening client keeps its GET stream open) for longer
  // than sessionIdleMs is closed, so clients that vanish without DELETE do not pile up.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const session of [...sessions.values()]) {
      if (session.open === 0 && now - session.lastSeen > parsed.sessionIdleMs) void session.transport.close().catch(() => undefined);
    }
  }, Math.max(10, Math.min(60_000, Math.floor(parsed.sessionIdleMs / 4))));
  sweep.unref();

  const server: NodeHttpServer = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) refuse(response, 500, `Internal error: ${error instanceof Error ? error.message : String(error)}`, -32603);
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      clearInterval(sweep);
      reject(error);
    });
    server.listen(parsed.port, parsed.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const displayHost = parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;

  return {
    url: `http://${displayHost}:${port}${parsed.path}`,
    port,
    get sessions() {
      return sessions.size;
    },
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map((session) => session.transport.close().catch(() => undefined)));
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Session {
  readonly transport: StreamableHTTPServerTransport;
  /** Requests of the session still open (an SSE stream stays open while a client listens). */
  open: number;
  lastSeen: number;
}

/** Counts `response` as an open request of `session` until it closes. */
function track(session: Session | undefined, response: ServerResponse): void {
  if (session === undefined || response.writableFinished) return;
  session.open += 1;
  session.lastSeen = Date.now();
  response.once('close', () => {
    session.open -= 1;
    session.lastSeen = Date.now();
  });
}

class BodyTooLarge extends Error {}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge(`Request body over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new Error('Parse error: the body is not JSON.');
  }
}

function refuse(response: ServerResponse, status: number, message: string, code = -32000): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) return false;
  return timingSafeEqual(digest(match[1]), expected);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The host name of a `Host` header, lower-cased, IPv6 in brackets, without the port. */
function hostnameOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  try {
    return new URL(`http://${header}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
