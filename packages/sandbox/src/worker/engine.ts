import { createRequire } from 'node:module';
import type { EngineAttempt } from '../protocol.js';
import type { IsolatedVm } from './isolated-vm-types.js';

/** A loaded isolated-vm, with the name it goes by in messages. */
export interface LoadedEngine {
  readonly ivm: IsolatedVm;
  readonly name: string;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/**
 * Loads the first isolated-vm that works from `modules` (resolved from this package), and
 * records why each earlier one did not: not installed, built for another Node ABI, or missing
 * the API.
 */
export function loadEngine(modules: readonly string[]): { engine: LoadedEngine | undefined; attempts: EngineAttempt[] } {
  const require = createRequire(import.meta.url);
  const attempts: EngineAttempt[] = [];
  for (const specifier of modules) {
    let loaded: unknown;
    try {
      loaded = require(specifier);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      attempts.push({
        module: specifier,
        reason:
          code === 'MODULE_NOT_FOUND' && firstLine(error).includes(`'${specifier}'`) ? 'not installed' : `failed to load: ${firstLine(error)}`,
      });
      continue;
    }
    const candidate = loaded as Partial<IsolatedVm> | undefined;
    if (typeof candidate?.Isolate !== 'function' || typeof candidate.Callback !== 'function') {
      attempts.push({ module: specifier, reason: 'loaded, but it does not look like isolated-vm (no Isolate or Callback)' });
      continue;
    }
    let version = 'unknown version';
    try {
      const manifest = require(`${specifier}/package.json`) as { version?: unknown };
      if (typeof manifest.version === 'string') version = manifest.version;
    } catch {
      // A module without a readable package.json still works; only the label suffers.
    }
    return { engine: { ivm: candidate as IsolatedVm, name: `isolated-vm@${version} (${specifier})` }, attempts };
  }
  return { engine: undefined, attempts };
}
