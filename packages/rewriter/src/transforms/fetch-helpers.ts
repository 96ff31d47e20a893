/** Settings of the fetch helpers a transform writes into a tool. */
export interface FetchHelperSettings {
  readonly retry?: { readonly attempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly timeout?: { readonly callTimeoutMs: number };
  /** Secondary origin by primary origin, from the tool's fetch capability. */
  readonly fallback?: { readonly origins: Readonly<Record<string, string>> };
  /** Write TypeScript annotations (for `ts` tools). */
  readonly typescript: boolean;
}

/** The names the helpers declare: a source that already uses one of them is not rewritten. */
export const FETCH_HELPER_NAMES = {
  timeout: ['fetchWithTimeout', 'FETCH_TIMEOUT_MS'],
  retry: ['fetchWithRetry', 'RETRY_ATTEMPTS', 'RETRY_BASE_DELAY_MS', 'RETRY_MAX_DELAY_MS', 'backoffDelay', 'sleep'],
  fallback: ['fetchWithFallback', 'FALLBACK_ORIGINS', 'secondaryUrl'],
  shared: ['isTransientStatus'],
} as const;

/**
 * The helpers, as readable source: named functions with a comment each, constants a reviewer
 * can tune, each layer calling the next (fallback → retry → timeout → fetch). Returns the
 * name every `fetch(...)` call should now use, and the text to add to the module.
 */
export function fetchHelpers(settings: FetchHelperSettings): { entryPoint: string; text: string } {
  const ts = settings.typescript;
  const fetchSignature = (name: string, isAsync: boolean): string =>
    ts ? `${isAsync ? 'async ' : ''}function ${name}(url: string, init?: RequestInit): Promise<Response>` : `${isAsync ? 'async ' : ''}function ${name}(url, init)`;
  const blocks: string[] = [];
  let inner = 'fetch';

  if (settings.timeout !== undefined) {
    blocks.push(
      [
        '/** How long one fetch may take before it is abandoned as timed out. */',
        `const FETCH_TIMEOUT_MS = ${settings.timeout.callTimeoutMs};`,
        '',
        '/** Calls `fetch`, failing with a timeout error when no answer comes within FETCH_TIMEOUT_MS. */',
        `${fetchSignature('fetchWithTimeout', false)} {`,
        '  return new Promise((resolve, reject) => {',
        '    const timer = setTimeout(() => reject(new Error(`fetch ${url} timed out after ${FETCH_TIMEOUT_MS} ms`)), FETCH_TIMEOUT_MS);',
        `    ${inner}(url, init).then(`,
        '      (response) => {',
        '        clearTimeout(timer);',
        '        resolve(response);',
        '      },',
        '      (error) => {',
        '        clearTimeout(timer);',
        '        reject(error);',
        '      },',
        '    );',
        '  });',
        '}',
      ].join('\n'),
    );
    inner = 'fetchWithTimeout';
  }

  const needsTransientStatus = settings.retry !== undefined || settings.fallback !== undefined;

  if (settings.retry !== undefined) {
    blocks.push(
      [
        '/** Attempts per fetch in all, and the backoff between them: exponential, with full jitter. */',
        `const RETRY_ATTEMPTS = ${settings.retry.attempts};`,
        `const RETRY_BASE_DELAY_MS = ${settings.retry.baseDelayMs};`,
        `const RETRY_MAX_DELAY_MS = ${settings.retry.maxDelayMs};`,
        '',
        '/**',
        ` * Calls \`${inner}\`, retrying transient failures (network errors, timeouts, 429 and 5xx`,
        ' * answers). Any other answer, and the last attempt\'s, is returned as it is.',
        ' */',
        `${fetchSignature('fetchWithRetry', true)} {`,
        '  for (let attempt = 1; ; attempt += 1) {',
        '    try {',
        `      const response = await ${inner}(url, init);`,
        '      if (!isTransientStatus(response.status) || attempt >= RETRY_ATTEMPTS) return response;',
        '    } catch (error) {',
        '      if (attempt >= RETRY_ATTEMPTS) throw error;',
        '    }',
        '    await sleep(backoffDelay(attempt));',
        '  }',
        '}',
        '',
        '/** A random wait between 0 and RETRY_BASE_DELAY_MS × 2^(attempt − 1), at most RETRY_MAX_DELAY_MS. */',
        `function backoffDelay(attempt${ts ? ': number' : ''})${ts ? ': number' : ''} {`,
        '  return Math.random() * Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));',
        '}',
        '',
        `function sleep(ms${ts ? ': number' : ''})${ts ? ': Promise<void>' : ''} {`,
        '  return new Promise((resolve) => setTimeout(resolve, ms));',
        '}',
      ].join('\n'),
    );
    inner = 'fetchWithRetry';
  }

  if (settings.fallback !== undefined) {
    const entries = Object.entries(settings.fallback.origins).map(([primary, secondary]) => `  ${JSON.stringify(primary)}: ${JSON.stringify(secondary)},`);
    blocks.push(
      [
        "/** Secondary origins serving the same API, as the tool's fetch capability declares them (`fallbacks`). */",
        `const FALLBACK_ORIGINS${ts ? ': Record<string, string>' : ''} = {`,
        ...entries,
        '};',
        '',
        '/**',
        ` * Calls \`${inner}\` on the URL; when its origin fails (network error, timeout, 429, 5xx)`,
        ' * and declares a secondary origin, calls the same path there instead.',
        ' */',
        `${fetchSignature('fetchWithFallback', true)} {`,
        '  const secondary = secondaryUrl(url);',
        `  if (secondary === undefined) return ${inner}(url, init);`,
        '  try {',
        `    const response = await ${inner}(url, init);`,
        '    if (!isTransientStatus(response.status)) return response;',
        '  } catch {',
        '    // The primary origin failed; its secondary answers instead.',
        '  }',
        `  return ${inner}(secondary, init);`,
        '}',
        '',
        '/** The same URL on the secondary origin, or undefined when its origin declares none. */',
        `function secondaryUrl(url${ts ? ': string' : ''})${ts ? ': string | undefined' : ''} {`,
        '  const text = String(url);',
        '  for (const [primary, secondary] of Object.entries(FALLBACK_ORIGINS)) {',
        '    if (text === primary || text.startsWith(`${primary}/`) || text.startsWith(`${primary}?`)) return secondary + text.slice(primary.length);',
        '  }',
        '  return undefined;',
        '}',
      ].join('\n'),
    );
    inner = 'fetchWithFallback';
  }

  if (needsTransientStatus) {
    blocks.push(
      [
        '/** 429 (too many requests) and 5xx (server trouble) are worth another try; other statuses are answers. */',
        `function isTransientStatus(status${ts ? ': number' : ''})${ts ? ': boolean' : ''} {`,
        '  return status === 429 || status >= 500;',
        '}',
      ].join('\n'),
    );
  }

  return { entryPoint: inner, text: blocks.join('\n\n') };
}
