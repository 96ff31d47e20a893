import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SandboxError } from '@toolwright/core';

/**
 * Where the built worker script is. From `dist/` (the published package) it sits beside this
 * bundle; from `src/host/` (tests running on the sources) it is the package's `dist/worker.js`,
 * so the package must be built first.
 */
export function workerScriptPath(): string {
  const candidates = [new URL('./worker.js', import.meta.url), new URL('../../dist/worker.js', import.meta.url)];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  throw new SandboxError(
    'SANDBOX_UNAVAILABLE',
    `The sandbox worker script was not found (looked for ${candidates.map((candidate) => fileURLToPath(candidate)).join(' and ')}). Build @toolwright/sandbox first: pnpm --filter @toolwright/sandbox build.`,
  );
}
