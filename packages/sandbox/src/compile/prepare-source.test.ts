import { MAX_SOURCE_LENGTH, SandboxError, sha256 } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { prepareSource } from './prepare-source.js';

const options = { maxSourceLength: MAX_SOURCE_LENGTH, allowWebAssembly: false };

function refusal(run: () => unknown): SandboxError {
  try {
    run();
  } catch (error) {
    if (SandboxError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a SandboxError');
}

describe('prepareSource', () => {
  it('strips TypeScript types, keeps lines where they were, and hashes the code that runs', () => {
    const source = [
      'interface Fares { fares: number[] }',
      'type Total = number;',
      'export default ({ fares }: Fares): Total =>',
      '  fares.reduce((a: number, b) => a + b, 0);',
    ].join('\n');
    const prepared = prepareSource('total_fares', source, 'ts', options);
    expect(prepared.code).not.toMatch(/interface|: number|Total/);
    expect(prepared.code.split('\n')[2]).toContain('export default');
    expect(prepared.defaultExportLine).toBe(3);
    expect(prepared.codeHash).toBe(sha256(prepared.code));
  });

  it('reports static-gate lines in the original TypeScript source', () => {
    const source = ['type Input = { code: string };', '', 'export default (input: Input) => {', '  return eval(input.code);', '};'].join('\n');
    const error = refusal(() => prepareSource('runner', source, 'ts', options));
    expect(error.code).toBe('SANDBOX_STATIC_GATE');
    expect(error.details).toMatchObject({ line: 4, rule: 'no-eval' });
    expect(error.message).toContain('line 4');
  });

  it('catches an import TypeScript would drop as unused', () => {
    const error = refusal(() => prepareSource('t', 'import fs from "node:fs";\nexport default () => 1;', 'ts', options));
    expect(error.details).toMatchObject({ line: 1, rule: 'no-import' });
  });

  it('refuses TypeScript that does not parse, with the line', () => {
    const error = refusal(() => prepareSource('t', 'export default (a: number => {\n  return a;\n};', 'ts', options));
    expect(error.code).toBe('SANDBOX_SYNTAX_ERROR');
    expect(error.details).toMatchObject({ line: 1, rule: 'syntax' });
  });

  it('refuses JavaScript that does not parse, with the line', () => {
    const error = refusal(() => prepareSource('t', 'export default () => {\n  const x = ;\n};', 'js', options));
    expect(error.code).toBe('SANDBOX_SYNTAX_ERROR');
    expect(error.details).toMatchObject({ line: 2, rule: 'syntax' });
  });

  it('treats TypeScript syntax as an error when the language is js', () => {
    const error = refusal(() => prepareSource('t', 'export default (a: number) => a;', 'js', options));
    expect(error.code).toBe('SANDBOX_SYNTAX_ERROR');
  });

  it('refuses a module without a default export', () => {
    const error = refusal(() => prepareSource('t', 'export const tool = () => 1;\n', 'ts', options));
    expect(error.code).toBe('SANDBOX_NO_DEFAULT_EXPORT');
    expect(error.details).toMatchObject({ rule: 'default-export' });
  });

  it('refuses a source over the limit before parsing it, naming the line where the limit falls', () => {
    const source = `export default () => 1;\n// ${'x'.repeat(50)}\n// ${'y'.repeat(50)}\n`;
    const error = refusal(() => prepareSource('t', source, 'ts', { ...options, maxSourceLength: 60 }));
    expect(error.code).toBe('SANDBOX_SOURCE_TOO_LARGE');
    expect(error.details).toMatchObject({ line: 2, rule: 'max-source-length', length: source.length, limit: 60 });
  });
});
