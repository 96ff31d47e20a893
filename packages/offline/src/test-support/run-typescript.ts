import type { JsonValue } from '@toolwright/core';
import ts from 'typescript';

/**
 * Test support: loads an emitted TypeScript tool in-process (transpiled by TypeScript, run
 * as a CommonJS function body) to check that the source computes what the interpreter
 * computed. The real isolation is the sandbox's job; see `sandbox.test.ts`.
 */
export function loadTypeScriptTool(source: string): (input: JsonValue) => JsonValue {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, strict: true },
    reportDiagnostics: false,
  });
  const module = { exports: {} as { default?: unknown } };
  new Function('module', 'exports', outputText)(module, module.exports);
  const tool = module.exports.default;
  if (typeof tool !== 'function') throw new Error('the module has no default-exported function');
  return (input) => JSON.parse(JSON.stringify(tool(structuredClone(input)))) as JsonValue;
}

/** Type-checks sources as strict TypeScript modules; returns the diagnostics as text, one per line. */
export function typeCheck(sources: readonly string[]): string[] {
  const files = new Map(sources.map((source, index) => [`/tool-${index}.ts`, source]));
  const options: ts.CompilerOptions = {
    strict: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    lib: ['lib.es2022.d.ts'],
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    const text = files.get(name);
    return text === undefined ? getSourceFile(name, languageVersion, onError, shouldCreate) : ts.createSourceFile(name, text, languageVersion, true);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file && diagnostic.start !== undefined ? `${diagnostic.file.fileName}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1} ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}
