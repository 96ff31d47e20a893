import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOrThrow, ToolwrightError, ValidationError } from '@toolwright/core';
import { z } from 'zod';
import { type ConsoleSource, listApprovals, listExperiments, listTools, toolDetail, toolDiff, toolSeries } from './data.js';
import { liveFeed, type LiveEvent } from './live.js';
import { consoleOptionsSchema, defaultPerson, type ConsoleOptions } from './options.js';

/** The cookie that carries the session once the token URL was opened. */
export const SESSION_COOKIE = 'toolwright_console';
/** The header every POST carries: the CSRF token the page reads from its `<meta name="toolwright-csrf">`. */
export const CSRF_HEADER = 'x-toolwright-csrf';
const MAX_BODY_BYTES = 64 * 1024;
const SERIES_BUCKETS = { default: 24, max: 200 };

/** A running console. */
export interface ConsoleServer {
  /** `http://127.0.0.1:<port>/?token=…`: opening it sets the session cookie. Print it; it is the key. */
  readonly url: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** Who acts for approve, reject and the kill switch. */
  readonly person: string;
  /** Open event streams. */
  readonly listeners: number;
  /** Closes the event streams and stops listening (the Toolwright instance stays open). */
  close(): Promise<void>;
}

const approveBodySchema = z.object({ note: z.string().max(4000).optional() }).strict();
const killSwitchBodySchema = z.object({ engaged: z.boolean(), reason: z.string().min(1).max(4000).optional() }).strict();
const approvalStatusSchema = z.enum(['proposed', 'approved', 'rejected', 'applied', 'all']);

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** An HTTP failure the client is told about as `{ error: { code, message } }`. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Serves the web console for `toolwright` (an instance of `createToolwright()`): the tool list,
 * a tool's plots over time, version history and diffs, the approval queue, the audit log, the
 * kill switch and, when the umbrella carries a rollout, experiments; live over server-sent events.
 *
 * Every action goes through the same API as the CLI's (`toolwright.approve` / `reject`, the
 * policy's kill switch), so each is audited once, in the same log. Bound to 127.0.0.1 by
 * default; every request needs the token (the start URL sets an HttpOnly, SameSite=Strict
 * cookie; scripts may send `Authorization: Bearer <token>`); the `Host` header must name an
 * allowed host, a POST must come from the console's own origin and carry the CSRF token.
 *
 * @example
 * ```ts
 * const toolwright = await createToolwright({ database: 'sqlite:./toolwright.db' });
 * const console_ = await startConsole(toolwright, { port: 4780 });
 * process.stdout.write(`open ${console_.url}\n`);
 * ```
 */
export async function startConsole(toolwright: ConsoleSource, options: ConsoleOptions = {}): Promise<ConsoleServer> {
  const parsed = parseOrThrow(consoleOptionsSchema, options, 'console options');
  const token = parsed.token ?? randomBytes(32).toString('base64url');
  const person = parsed.person ?? defaultPerson();
  const assetsDir = resolveAssets(parsed.assetsDir);
  const session = hmac(token, 'session');
  const csrf = hmac(token, 'csrf');
  const hosts = new Set((parsed.allowedHosts ?? ['127.0.0.1', 'localhost', '[::1]', bracketed(parsed.host)]).map((host) => host.toLowerCase()));
  const feed = liveFeed(toolwright, { pollIntervalMs: parsed.pollIntervalMs });
  const streams = new Set<ServerResponse>();
  let port = parsed.port;
  let indexHtml: string | undefined;

  const origins = (): Set<string> => new Set([...hosts].map((host) => `http://${host}:${port}`));

  const authenticated = (request: IncomingMessage): boolean => {
    const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (cookie !== undefined && same(cookie, session)) return true;
    const header = request.headers.authorization;
    return header !== undefined && header.startsWith('Bearer ') && same(header.slice('Bearer '.length).trim(), token);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://console.invalid');
    const host = hostnameOf(request.headers.host);
    if (host === undefined || !hosts.has(host)) throw new HttpFailure(403, 'CONSOLE_HOST_REFUSED', `Host "${request.headers.host ?? ''}" is not allowed (DNS rebinding protection); open the console at ${[...hosts].map((name) => `http://${name}:${port}`).join(' or ')}.`);
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null' && !origins().has(origin)) throw new HttpFailure(403, 'CONSOLE_ORIGIN_REFUSED', `Origin "${origin}" may not call the console; only its own pages may.`);

    // The token URL: check it, set the session cookie, and drop the token from the address bar.
    const offered = url.searchParams.get('token');
    if (offered !== null && request.method === 'GET') {
      if (!same(offered, token)) throw new HttpFailure(401, 'CONSOLE_UNAUTHORIZED', 'That token is not this console\'s. Open the URL `toolwright console` printed when it started.');
      url.searchParams.delete('token');
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        'Set-Cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
        Location: `${url.pathname}${url.search}`,
      });
      response.end();
      return;
    }
    if (!authenticated(request)) {
      throw new HttpFailure(401, 'CONSOLE_UNAUTHORIZED', 'Unauthorized: open the URL `toolwright console` printed when it started (it carries the token), or send "Authorization: Bearer <token>".');
    }

    if (url.pathname.startsWith('/api/')) {
      if (request.method === 'POST') {
        checkPost(request, csrf);
        const result = await post(url.pathname, await readJson(request));
        void feed.check();
        return sendJson(response, 200, result);
      }
      if (request.method !== 'GET') {
        response.setHeader('Allow', 'GET, POST');
        throw new HttpFailure(405, 'CONSOLE_METHOD', `Method ${request.method ?? ''} is not allowed.`);
      }
      if (url.pathname === '/api/events') return openStream(request, response);
      return sendJson(response, 200, await get(url));
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpFailure(405, 'CONSOLE_METHOD', `Method ${request.method ?? ''} is not allowed here.`);
    return serveAsset(url.pathname, response);
  };

  const get = async (url: URL): Promise<unknown> => {
    const path = url.pathname;
    if (path === '/api/overview') {
      const [killSwitch, proposed] = await Promise.all([toolwright.policy.killSwitch.state(), toolwright.policy.approvals.list({ status: 'proposed' })]);
      const experiments = await listExperiments(toolwright);
      return { person, killSwitch, proposedApprovals: proposed.length, experiments: experiments.available };
    }
    if (path === '/api/tools') return { tools: await listTools(toolwright) };
    const tool = /^\/api\/tools\/([^/]+)(\/series|\/diff)?$/.exec(path);
    if (tool !== null) {
      const name = decodeURIComponent(tool[1] ?? '');
      if (tool[2] === '/series') {
        const buckets = integerParam(url, 'buckets', SERIES_BUCKETS.default, 1, SERIES_BUCKETS.max);
        return toolSeries(toolwright, name, buckets);
      }
      if (tool[2] === '/diff') return toolDiff(toolwright, name, integerParam(url, 'from', 1, 1, 1_000_000), integerParam(url, 'to', 1, 1, 1_000_000));
      return toolDetail(toolwright, name);
    }
    if (path === '/api/approvals') {
      const status = parseOrThrow(approvalStatusSchema, url.searchParams.get('status') ?? 'proposed', 'approval status');
      return { approvals: await listApprovals(toolwright, status) };
    }
    if (path === '/api/audit') {
      const artifact = url.searchParams.get('artifact');
      const limit = integerParam(url, 'limit', 200, 1, 10_000);
      return { entries: await toolwright.memory.auditLog({ limit, ...(artifact ? { artifact } : {}) }) };
    }
    if (path === '/api/kill-switch') return toolwright.policy.killSwitch.state();
    if (path === '/api/experiments') return listExperiments(toolwright);
    throw new HttpFailure(404, 'CONSOLE_NOT_FOUND', `No API at ${path}.`);
  };

  const post = async (path: string, body: unknown): Promise<unknown> => {
    const decision = /^\/api\/approvals\/([^/]+)\/(approve|reject)$/.exec(path);
    if (decision !== null) {
      const id = decodeURIComponent(decision[1] ?? '');
      const { note } = parseOrThrow(approveBodySchema, body, 'approval decision');
      const step = { by: person, ...(note === undefined ? {} : { note }) };
      const outcome = decision[2] === 'approve' ? await toolwright.approve(id, step) : await toolwright.reject(id, step);
      const rejected = decision[2] === 'reject' && outcome.status === 'denied' && outcome.decision.reasons.some((reason) => reason.rule === 'rejected-by-person');
      const version = outcome.status === 'applied' ? outcome.version : undefined;
      return {
        done: outcome.status === 'applied' || rejected,
        status: outcome.status,
        summary: outcome.summary,
        by: person,
        active: version === undefined ? null : { name: version.name, version: version.version },
        approval: (await toolwright.policy.approvals.get(id)) ?? null,
      };
    }
    if (path === '/api/kill-switch') {
      const { engaged, reason } = parseOrThrow(killSwitchBodySchema, body, 'kill switch');
      const why = reason ?? `${engaged ? 'engaged' : 'released'} by ${person} with the toolwright console`;
      return engaged ? toolwright.policy.killSwitch.engage({ by: person, reason: why }) : toolwright.policy.killSwitch.release({ by: person, reason: why });
    }
    throw new HttpFailure(404, 'CONSOLE_NOT_FOUND', `No action at ${path}.`);
  };

  const openStream = (request: IncomingMessage, response: ServerResponse): void => {
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    response.write(`retry: 2000\n: connected\n\n`);
    streams.add(response);
    const send = (event: LiveEvent): void => void response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    const unsubscribe = feed.subscribe(send);
    const keepAlive = setInterval(() => void response.write(': keep-alive\n\n'), 15_000);
    keepAlive.unref();
    request.once('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(response);
    });
  };

  const serveAsset = async (pathname: string, response: ServerResponse): Promise<void> => {
    const relative = pathname === '/' || pathname === '/index.html' ? 'index.html' : decodeURIComponent(pathname.slice(1));
    const file = resolve(assetsDir, relative);
    if (!file.startsWith(assetsDir + sep)) throw new HttpFailure(404, 'CONSOLE_NOT_FOUND', `Not found: ${pathname}`);
    let body: Buffer | string;
    if (relative === 'index.html') {
      indexHtml ??= await readFile(file, 'utf8');
      body = indexHtml.replace('<meta name="toolwright-csrf" content="" />', `<meta name="toolwright-csrf" content="${csrf}" />`);
    } else {
      try {
        body = await readFile(file);
      } catch {
        throw new HttpFailure(404, 'CONSOLE_NOT_FOUND', `Not found: ${pathname}`);
      }
    }
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', ...(relative.startsWith('assets/') ? { 'Cache-Control': 'private, max-age=31536000, immutable' } : {}) });
    response.end(body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const failure = httpFailureOf(error);
      if (response.headersSent) {
        response.end();
        return;
      }
      sendJson(response, failure.status, { error: { code: failure.code, message: failure.message } });
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      feed.stop();
      reject(
        error.code === 'EADDRINUSE'
          ? new ValidationError('INVALID_ARGUMENT', `Port ${parsed.port} on ${parsed.host} is in use; start the console with another --port (0 picks a free one).`)
          : error,
      );
    });
    server.listen(parsed.port, parsed.host, () => resolvePromise());
  });
  port = (server.address() as AddressInfo).port;
  const displayHost = bracketed(parsed.host);
  const origin = `http://${displayHost}:${port}`;

  return {
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    origin,
    port,
    token,
    person,
    get listeners() {
      return streams.size;
    },
    async close() {
      feed.stop();
      for (const stream of streams) stream.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}

/** The built front end: `assetsDir`, else `web/` beside this module (dist), else `../dist/web` (running from src). */
function resolveAssets(assetsDir: string | undefined): string {
  const candidates = assetsDir === undefined ? [fileURLToPath(new URL('./web/', import.meta.url)), fileURLToPath(new URL('../dist/web/', import.meta.url))] : [resolve(assetsDir)];
  for (const candidate of candidates) if (existsSync(join(candidate, 'index.html'))) return resolve(candidate);
  throw new ValidationError(
    'INVALID_ARGUMENT',
    `The console's web pages are not built (no index.html in ${candidates.join(' or ')}). Build the package (\`pnpm --filter @toolwright/console build\`), or reinstall @toolwright/console.`,
  );
}

function checkPost(request: IncomingMessage, csrf: string): void {
  if (request.headers.origin === 'null') throw new HttpFailure(403, 'CONSOLE_CSRF', 'An action from an opaque origin (a sandboxed frame, a file) is refused; act from the console\'s own page.');
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') throw new HttpFailure(403, 'CONSOLE_CSRF', `A ${fetchSite} request may not act on the console.`);
  const offered = request.headers[CSRF_HEADER];
  if (typeof offered !== 'string' || !same(offered, csrf)) throw new HttpFailure(403, 'CONSOLE_CSRF', `Refused: an action needs the ${CSRF_HEADER} header the console's page sends; act from the console's own page.`);
  const type = request.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('application/json')) throw new HttpFailure(415, 'CONSOLE_CONTENT_TYPE', 'Send the action as application/json.');
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpFailure(413, 'CONSOLE_BODY_TOO_LARGE', `The body is over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpFailure(400, 'INVALID_ARGUMENT', 'The body is not JSON.');
  }
}

function integerParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new HttpFailure(400, 'INVALID_ARGUMENT', `?${name} takes a whole number from ${min} to ${max}; got "${raw}".`);
  return value;
}

function httpFailureOf(error: unknown): HttpFailure {
  if (error instanceof HttpFailure) return error;
  if (ToolwrightError.isInstance(error)) {
    const status = error.code.endsWith('NOT_FOUND') ? 404 : error.code === 'INVALID_ARGUMENT' ? 400 : error.code.startsWith('POLICY_') || error.code.startsWith('GATE_') ? 409 : 500;
    return new HttpFailure(status, error.code, error.message);
  }
  return new HttpFailure(500, 'UNKNOWN', error instanceof Error ? error.message : String(error));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

function hmac(key: string, purpose: string): string {
  return createHmac('sha256', key).update(`toolwright-console:${purpose}`).digest('base64url');
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The host name of a `Host` header, lowercased, without the port. */
function hostnameOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const value = header.toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end < 0 ? undefined : value.slice(0, end + 1);
  }
  return value.split(':')[0];
}
