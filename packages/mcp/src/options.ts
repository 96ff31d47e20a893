import { z } from 'zod';

/** Which tools the server lists. */
export const MCP_MODES = ['both', 'tools', 'stable'] as const;
/**
 * `tools`: one MCP tool per active Toolwright tool; `stable`: only `toolwright_tools` and
 * `toolwright_call`, a list that never changes (for clients that ignore `list_changed`, and to
 * keep a client's prompt cache); `both` (default): the stable pair and every active tool.
 */
export type McpMode = (typeof MCP_MODES)[number];

/** Options of {@link createToolwrightMcp}. */
export interface ToolwrightMcpOptions {
  /** Default `both`. */
  readonly mode?: McpMode;
  /** How often to re-read the active tools for changes made elsewhere, in ms (0: never). Default 1,000 on SQLite, 0 on PostgreSQL. */
  readonly pollIntervalMs?: number;
  /** The server name clients see. Default `toolwright`. */
  readonly name?: string;
  /** Called with failures that have no client to go to (a watch check, a notification). */
  readonly onError?: (error: unknown) => void;
}

/** The longest `pollIntervalMs`: an hour. */
export const MAX_POLL_INTERVAL_MS = 3_600_000;

export const mcpOptionsSchema = z
  .object({
    mode: z.enum(MCP_MODES).default('both'),
    pollIntervalMs: z.number().int().min(0).max(MAX_POLL_INTERVAL_MS).optional(),
    name: z.string().min(1).max(100).default('toolwright'),
    onError: z.custom<(error: unknown) => void>((value) => typeof value === 'function').optional(),
  })
  .strict();

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  /** The port; 0 picks a free one. */
  readonly port: number;
  /** The address to bind. Default `127.0.0.1` (loopback only). */
  readonly host?: string;
  /** The bearer token every request must carry (`Authorization: Bearer <token>`); at least 16 characters. */
  readonly token: string;
  /** Browser origins allowed to call (an `Origin` header outside this list is refused). Default: none. */
  readonly allowedOrigins?: readonly string[];
  /** Host names the `Host` header may name (DNS rebinding protection). Default: `127.0.0.1`, `localhost`, `[::1]` and `host`. */
  readonly allowedHosts?: readonly string[];
  /** The path of the MCP endpoint. Default `/mcp`. */
  readonly path?: string;
  /** A session with no open request for this long is closed (its client initializes again). Default 30 minutes. */
  readonly sessionIdleMs?: number;
}

export const httpOptionsSchema = z
  .object({
    port: z.number().int().min(0).max(65_535),
    host: z.string().min(1).default('127.0.0.1'),
    token: z.string().min(16, 'the bearer token needs at least 16 characters (e.g. `openssl rand -hex 32`)'),
    allowedOrigins: z.array(z.string().min(1)).default([]),
    allowedHosts: z.array(z.string().min(1)).optional(),
    path: z.string().startsWith('/').default('/mcp'),
    sessionIdleMs: z.number().int().min(1).default(30 * 60_000),
  })
  .strict();
