import { type CompiledTool, type Sandbox, SandboxError } from '@toolwright/core';
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

/** A compiled version, or why its source was refused. Sandbox failures (disposed, unavailable) are thrown. */
export type CompileOutcome =
  | { readonly ok: true; readonly tool: CompiledTool }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** Compiles a version in the sandbox with its own language and capabilities. */
export async function compileVersion(sandbox: Sandbox, version: VersionUnderTest): Promise<CompileOutcome> {
  try {
    const tool = await sandbox.compile({
      name: version.name,
      source: version.source,
      language: version.spec.language,
      capabilities: version.spec.capabilities,
    });
    return { ok: true, tool };
  } catch (error) {
    if (SandboxError.isInstance(error) && REFUSED_SOURCE_CODES.has(error.code)) {
      return { ok: false, error: { code: error.code, message: error.message } };
    }
    throw error;
  }
}
