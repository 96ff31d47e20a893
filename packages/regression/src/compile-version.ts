import { type CompiledTool, type CompileRequest, type Sandbox, SandboxError } from '@toolwright/core';
import type { VersionUnderTest } from './version-under-test.js';

/** Sandbox codes that mean "this source is refused", as opposed to "the sandbox is unusable". */
const REFUSED_SOURCE_CODES = new Set<string>([
  'SANDBOX_SYNTAX_ERROR',
  'SANDBOX_STATIC_GATE',
  'SANDBOX_NO_DEFAULT_EXPORT',
  'SANDBOX_SOURCE_TOO_LARGE',
  'SANDBOX_CAPABILITY_NOT_GRANTED',
  'SANDBOX_LOAD_FAILED',
]);

/** What a version under test is compiled with. */
export interface CompileVersionOptions {
  /** `declared`: the capabilities its manifest requests; `none`: no capability at all. */
  readonly capabilities: 'declared' | 'none';
  /** `per-run` for compare (a fresh isolate per case); `warm` for shadow runs, as in production. */
  readonly isolation: 'warm' | 'per-run';
}

/** A compiled version, or why its source was refused. Sandbox failures (disposed, unavailable) are thrown. */
export type CompileOutcome =
  | { readonly ok: true; readonly tool: CompiledTool }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** Compiles a version in the sandbox with its own language and, unless withheld, its capabilities. */
export async function compileVersion(sandbox: Sandbox, version: VersionUnderTest, options: CompileVersionOptions): Promise<CompileOutcome> {
  const request: CompileRequest = {
    name: version.name,
    source: version.source,
    language: version.spec.language,
    capabilities: options.capabilities === 'none' ? [] : version.spec.capabilities,
    isolation: options.isolation,
  };
  try {
    return { ok: true, tool: await sandbox.compile(request) };
  } catch (error) {
    if (SandboxError.isInstance(error) && REFUSED_SOURCE_CODES.has(error.code)) {
      return { ok: false, error: { code: error.code, message: error.message } };
    }
    throw error;
  }
}
