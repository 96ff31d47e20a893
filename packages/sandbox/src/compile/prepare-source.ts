import { SandboxError, sha256, type ToolLanguage } from '@toolwright/core';
import { bracketDepthViolation, checkStaticGate, isStackExhaustion, nestingViolation, STATIC_GATE_RULES, type StaticGateViolation } from './static-gate.js';
import { transpile } from './transpile.js';

/** Code ready to load into an isolate: transpiled, gated, hashed. */
export interface PreparedSource {
  /** The JavaScript module that runs. */
  readonly code: string;
  /** SHA-256 of `code`. */
  readonly codeHash: string;
  /** The line of the default export, for messages about it. */
  readonly defaultExportLine: number;
}

/** Limits and grants {@link prepareSource} applies. */
export interface PrepareSourceOptions {
  readonly maxSourceLength: number;
  readonly allowWebAssembly: boolean;
}

/** The 1-based line on which the `limit`-th character of `source` sits. */
function lineAt(source: string, limit: number): number {
  let line = 1;
  for (let index = 0; index < limit && index < source.length; index += 1) {
    if (source.charCodeAt(index) === 10) line += 1;
  }
  return line;
}

/**
 * Everything `compile` checks before anything reaches a worker: the size cap, TypeScript
 * transpiling, the static gate, and the presence of a default export. Throws a
 * `SandboxError` whose `details` carry `line` and `rule`.
 */
export function prepareSource(name: string, source: string, language: ToolLanguage, options: PrepareSourceOptions): PreparedSource {
  if (source.length > options.maxSourceLength) {
    throw new SandboxError(
      'SANDBOX_SOURCE_TOO_LARGE',
      `The source of tool "${name}" is ${source.length} characters long; the limit is ${options.maxSourceLength}. Split the work or shorten the code.`,
      { details: { line: lineAt(source, options.maxSourceLength), rule: 'max-source-length', length: source.length, limit: options.maxSourceLength } },
    );
  }
  // Deep nesting is refused before any parser recurses into it (sucrase would overflow its stack).
  const deep = bracketDepthViolation(source);
  if (deep !== undefined) throw gateError(name, [deep]);
  const transpiled = transpile(source, language);
  if (!transpiled.ok) {
    if (isStackExhaustion(transpiled.message)) throw gateError(name, [nestingViolation(transpiled.line, transpiled.column, 'nests too deeply for the TypeScript transpiler to read')]);
    throw new SandboxError(
      'SANDBOX_SYNTAX_ERROR',
      `Tool "${name}" does not parse as ${language === 'ts' ? 'TypeScript' : 'JavaScript'} at line ${transpiled.line}: ${transpiled.message}. Fix the syntax and compile again.`,
      { details: { line: transpiled.line, column: transpiled.column, rule: 'syntax' } },
    );
  }
  const gate = checkStaticGate(transpiled.code, { allowWebAssembly: options.allowWebAssembly });
  if (gate.kind === 'syntax-error') {
    throw new SandboxError(
      'SANDBOX_SYNTAX_ERROR',
      `Tool "${name}" does not parse as an ES module at line ${gate.line}: ${gate.message}. Fix the syntax and compile again.`,
      { details: { line: gate.line, column: gate.column, rule: 'syntax' } },
    );
  }
  if (gate.kind === 'violations') throw gateError(name, gate.violations);
  if (gate.defaultExportLine === undefined) {
    const lastLine = lineAt(transpiled.code, transpiled.code.length);
    throw new SandboxError(
      'SANDBOX_NO_DEFAULT_EXPORT',
      `Tool "${name}" has no default export. Export the tool as the module's default: \`export default (input) => …\`.`,
      { details: { line: lastLine, rule: 'default-export' } },
    );
  }
  return { code: transpiled.code, codeHash: sha256(transpiled.code), defaultExportLine: gate.defaultExportLine };
}

/** The `SANDBOX_STATIC_GATE` error for `violations` (at least one), the first in the message, every one in `details`. */
function gateError(name: string, violations: readonly StaticGateViolation[]): SandboxError {
  const [first] = violations;
  if (first === undefined) throw new Error('unreachable: a failed gate reports at least one violation');
  const more = violations.length > 1 ? ` (${violations.length - 1} more violation${violations.length > 2 ? 's' : ''} in details)` : '';
  return new SandboxError(
    'SANDBOX_STATIC_GATE',
    `Tool "${name}" breaks the static gate at line ${first.line}: it ${first.message}. Rule ${first.rule} forbids ${STATIC_GATE_RULES[first.rule]}; remove that construct.${more}`,
    {
      details: {
        line: first.line,
        column: first.column,
        rule: first.rule,
        violations: violations.slice(0, 50).map(({ rule, line, column }) => ({ rule, line, column })),
      },
    },
  );
}
