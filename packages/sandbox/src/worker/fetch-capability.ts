/** What one run may fetch: the tool's granted origins and the sandbox's fetch limits. */
export interface FetchGrant {
  readonly origins: ReadonlySet<string>;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxRequests: number;
}

/** A request as the guest runtime sends it (JSON text, parsed and checked here). */
export interface GuestRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}

/** Why a request was not started: `denied` is outside the grant (the run ends `CAPABILITY_DENIED`). */
export type RequestCheck =
  | { readonly ok: true; readonly request: GuestRequest }
  | { readonly ok: false; readonly denied: boolean; readonly message: string };

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const MAX_URL_LENGTH = 8_192;

function clipped(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** True when `url` is http(s) and its origin is granted. */
export function isAllowed(url: URL, grant: FetchGrant): boolean {
  return (url.protocol === 'http:' || url.protocol === 'https:') && grant.origins.has(url.origin);
}

function deniedMessage(url: string, reason: string): string {
  return `fetch to "${clipped(url)}" is not allowed: ${reason}. Request the origin in the tool's capabilities, and grant it in the sandbox.`;
}

/**
 * Parses and checks a guest request against the grant. Never throws: every problem becomes
 * a message the guest sees, with no host detail in it.
 */
export function checkRequest(requestJson: unknown, grant: FetchGrant): RequestCheck {
  if (typeof requestJson !== 'string') return { ok: false, denied: false, message: 'fetch: malformed request.' };
  let raw: { url?: unknown; method?: unknown; headers?: unknown; body?: unknown };
  try {
    raw = JSON.parse(requestJson) as typeof raw;
  } catch {
    return { ok: false, denied: false, message: 'fetch: malformed request.' };
  }
  if (typeof raw.url !== 'string' || raw.url.length > MAX_URL_LENGTH) {
    return { ok: false, denied: false, message: 'fetch: the URL must be a string of at most 8192 characters.' };
  }
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch {
    return { ok: false, denied: false, message: `fetch: "${clipped(raw.url)}" is not an absolute URL.` };
  }
  if (grant.origins.size === 0) return { ok: false, denied: true, message: deniedMessage(raw.url, 'this tool was granted no fetch capability') };
  if (!isAllowed(url, grant)) {
    return { ok: false, denied: true, message: deniedMessage(raw.url, `origin ${url.origin === 'null' ? url.protocol : url.origin} is not granted to this tool`) };
  }
  const method = typeof raw.method === 'string' ? raw.method.toUpperCase() : 'GET';
  if (!METHODS.has(method)) return { ok: false, denied: false, message: `fetch: method "${clipped(method, 20)}" is not supported.` };
  const headers: Record<string, string> = {};
  if (raw.headers !== null && typeof raw.headers === 'object') {
    for (const [name, value] of Object.entries(raw.headers as Record<string, unknown>)) {
      if (typeof value === 'string') Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  const body = typeof raw.body === 'string' ? raw.body : null;
  if (body !== null && (method === 'GET' || method === 'HEAD')) {
    return { ok: false, denied: false, message: `fetch: a ${method} request cannot have a body.` };
  }
  return { ok: true, request: { url, method, headers, body } };
}

/** The answer the guest runtime turns into a response object, or an error message. */
export type FetchAnswer =
  | {
      readonly status: number;
      readonly statusText: string;
      readonly ok: boolean;
      readonly url: string;
      readonly redirected: boolean;
      readonly headers: Record<string, string>;
      readonly body: string;
    }
  | { readonly error: string };

/** What happened to a request: an answer, or a redirect outside the grant (a denial). */
export type FetchOutcome = { readonly answer: FetchAnswer; readonly denied?: string };

async function readCapped(response: Response, limit: number): Promise<string | undefined> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function describeFailure(error: unknown, runSignal: AbortSignal, requestSignal: AbortSignal, timeoutMs: number): string {
  if (runSignal.aborted) return 'the run ended before the response arrived';
  if (requestSignal.aborted) return `no response within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return clipped(cause.message, 100);
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? clipped(message, 100) : 'network error';
}

/**
 * Performs a checked request with Node's fetch. Redirects are followed by hand so that every
 * hop is checked against the grant and counted as a request of its own (`takeRequest` says
 * whether the run may make one more); the body is read up to `maxResponseBytes`; the request
 * stops at `signal` (the run's deadline) or its own timeout, whichever comes first.
 */
export async function performFetch(request: GuestRequest, grant: FetchGrant, signal: AbortSignal, takeRequest: () => boolean): Promise<FetchOutcome> {
  const requestSignal = AbortSignal.any([signal, AbortSignal.timeout(grant.timeoutMs)]);
  let url = request.url;
  let method = request.method;
  let body = request.body;
  const label = clipped(request.url.href);
  try {
    for (let hop = 0; ; hop += 1) {
      const response = await fetch(url, { method, headers: request.headers, body, redirect: 'manual', signal: requestSignal });
      const location = response.headers.get('location');
      if (REDIRECT_STATUSES.has(response.status) && location !== null) {
        await response.body?.cancel().catch(() => undefined);
        if (hop >= MAX_REDIRECTS) return { answer: { error: `fetch to "${label}" failed: more than ${MAX_REDIRECTS} redirects.` } };
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return { answer: { error: `fetch to "${label}" failed: the server redirected to an invalid URL.` } };
        }
        if (!isAllowed(next, grant)) {
          const message = deniedMessage(next.href, `it redirects to origin ${next.origin === 'null' ? next.protocol : next.origin}, which is not granted to this tool`);
          return { answer: { error: message }, denied: message };
        }
        if (!takeRequest()) {
          return {
            answer: {
              error: `fetch to "${label}" stopped at a redirect to "${clipped(next.href)}": following it would go over the ${grant.maxRequests} requests one run may make (each redirect counts as a request). Request the final URL directly, or raise capabilities.fetch.maxRequests.`,
            },
          };
        }
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          method = 'GET';
          body = null;
        }
        url = next;
        continue;
      }
      const text = await readCapped(response, grant.maxResponseBytes);
      if (text === undefined) {
        return { answer: { error: `fetch to "${label}" failed: the response body is over the ${grant.maxResponseBytes}-byte limit.` } };
      }
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
      });
      return {
        answer: {
          status: response.status,
          statusText: response.statusText,
          ok: response.ok,
          url: url.href,
          redirected: hop > 0,
          headers,
          body: text,
        },
      };
    }
  } catch (error) {
    return { answer: { error: `fetch to "${label}" failed: ${describeFailure(error, signal, requestSignal, grant.timeoutMs)}.` } };
  }
}
