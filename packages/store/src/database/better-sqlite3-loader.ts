import { createRequire } from 'node:module';
import { StorageError } from '@toolwright/core';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * better-sqlite3 is declared twice, as optional aliased dependencies, because no single
 * version is right for every Node line we support:
 * - `better-sqlite3-v13` (13.x, Node-API, Node ≥ 22): 12.x subclasses Node's raw ObjectWrap,
 *   whose destructor aborts Node 24 (`Assertion failed: (env) != nullptr` in
 *   `RemoveEnvironmentCleanupHook`) when a garbage-collected statement is finalized;
 * - `better-sqlite3-v12` (12.x, Node 20–21, where 13.x does not install).
 * pnpm/npm skip the one whose engines do not match; we load the newest that is present.
 */
export const BETTER_SQLITE3_MODULES = ['better-sqlite3-v13', 'better-sqlite3-v12', 'better-sqlite3'] as const;

type Driver = typeof BetterSqlite3;
let loaded: Driver | undefined;

/** The better-sqlite3 constructor, from the first module that loads. */
export function loadBetterSqlite3(): Driver {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const name of BETTER_SQLITE3_MODULES) {
    try {
      loaded = require(name) as Driver;
      return loaded;
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  throw new StorageError(
    'STORAGE_UNREACHABLE',
    `SQLite is unavailable: no build of better-sqlite3 loads on Node ${process.version} (${failures.join('; ')}). ` +
      'Reinstall with a C++ toolchain available (node-gyp), or use a PostgreSQL URL.',
    { details: { tried: [...BETTER_SQLITE3_MODULES], failures } },
  );
}
