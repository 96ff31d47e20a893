import type { ToolLanguage } from '@toolwright/core';
import { parse } from 'acorn';
import { transform } from 'sucrase';

/** Transpiled code, or where the source stopped making sense (1-based line, 0-based column). */
export type TranspileResult =
  | { readonly ok: true; readonly code: string }
  | { readonly ok: false; readonly message: string; readonly line: number; readonly column: number };

/**
 * Strips TypeScript types (sucrase, which keeps every line where it was, so later line numbers
 * still point into the original source). ES syntax is left alone, and so are imports, even
 * unused ones, so the static gate sees them. JavaScript passes through unchanged.
 */
export function transpile(source: string, language: ToolLanguage): TranspileResult {
  if (language === 'js') return { ok: true, code: source };
  try {
    const { code } = transform(source, {
      transforms: ['typescript'],
      disableESTransforms: true,
      keepUnusedImports: true,
      preserveDynamicImport: true,
    });
    return { ok: true, code };
  } catch (error) {
    const loc = (error as { loc?: { line?: unknown; column?: unknown } }).loc;
    const sucraseError = {
      ok: false as const,
      message: error instanceof Error ? error.message : String(error),
      line: typeof loc?.line === 'number' ? loc.line : 1,
      column: typeof loc?.column === 'number' ? loc.column : 0,
    };
    return laterJavaScriptError(source, sucraseError) ?? sucraseError;
  }
}

/**
 * sucrase backtracks over arrow functions and may report an error where the enclosing
 * construct starts. When acorn, reading the same text as JavaScript, gets further before it
 * fails, its position is the better one (everything before it was valid JavaScript).
 */
function laterJavaScriptError(
  source: string,
  reported: { line: number; column: number },
): { ok: false; message: string; line: number; column: number } | undefined {
  try {
    parse(source, { ecmaVersion: 'latest', sourceType: 'module' });
    return undefined;
  } catch (error) {
    const loc = (error as { loc?: { line?: unknown; column?: unknown } }).loc;
    if (typeof loc?.line !== 'number' || typeof loc.column !== 'number') return undefined;
    if (loc.line < reported.line || (loc.line === reported.line && loc.column <= reported.column)) return undefined;
    return { ok: false, message: error instanceof Error ? error.message : String(error), line: loc.line, column: loc.column };
  }
}
