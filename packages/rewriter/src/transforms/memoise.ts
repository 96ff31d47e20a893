import { lineOf, type SourceNode } from './parse-source.js';
import type { SourceEdit } from './source-edits.js';
import type { SourceFacts } from './source-facts.js';

/** Settings of the memoisation transform. */
export interface MemoiseSettings {
  readonly ttlMs: number;
  readonly maxEntries: number;
}

/** The names the memoisation transform declares. */
export const MEMOISE_NAMES = ['MEMO_TTL_MS', 'MEMO_MAX_ENTRIES', 'memo'] as const;

/**
 * Turns the default export into a named inner function and exports a memoising function in
 * its place: same input (as JSON) within `ttlMs` → the remembered result, at most
 * `maxEntries` remembered (oldest dropped first). Only for pure tools; the caller checks.
 * Returns the edits, or why the default export cannot be rewritten.
 */
export function memoiseDefaultExport(facts: SourceFacts, toolName: string, settings: MemoiseSettings): { edits: SourceEdit[] } | { refused: string } {
  const statement = facts.defaultExport;
  if (statement === undefined) return { refused: 'the module has no `export default` statement to memoise' };
  const declaration = statement['declaration'] as SourceNode;
  const pascal = toolName
    .split('_')
    .filter((part) => part !== '')
    .map((part) => `${part[0]?.toUpperCase() ?? ''}${part.slice(1)}`)
    .join('');
  const exportName = `memoised${pascal}`;
  let inner: string;
  let isAsync: boolean;
  const edits: SourceEdit[] = [];
  const exportKeyword = { start: statement.start, end: declaration.start };

  if (declaration.type === 'FunctionDeclaration' || declaration.type === 'FunctionExpression') {
    const id = declaration['id'] as SourceNode | null;
    isAsync = declaration['async'] === true;
    if (declaration['generator'] === true) return { refused: `the default export at line ${lineOf(facts.source, statement.start)} is a generator` };
    if (id !== null) {
      inner = id['name'] as string;
      edits.push({ ...exportKeyword, text: '' });
    } else {
      inner = `compute${pascal}`;
      edits.push({ ...exportKeyword, text: `const ${inner} = ` }, { start: declaration.end, end: declaration.end, text: ';' });
    }
  } else if (declaration.type === 'Identifier') {
    inner = declaration['name'] as string;
    isAsync = false;
    edits.push({ start: statement.start, end: statement.end, text: '' });
  } else if (declaration.type === 'ArrowFunctionExpression' || declaration.type === 'CallExpression' || declaration.type === 'TSAsExpression') {
    inner = `compute${pascal}`;
    isAsync = declaration['async'] === true;
    const hasSemicolon = facts.source.slice(declaration.end, statement.end).includes(';');
    edits.push({ ...exportKeyword, text: `const ${inner} = ` });
    if (!hasSemicolon) edits.push({ start: statement.end, end: statement.end, text: ';' });
  } else {
    return { refused: `the default export at line ${lineOf(facts.source, statement.start)} is a ${declaration.type}, not a function this transform can memoise` };
  }

  const newNames = [...MEMOISE_NAMES, exportName, ...(edits.some((edit) => edit.text === `const ${inner} = `) ? [inner] : [])];
  for (const name of newNames) {
    if (facts.names.has(name)) return { refused: `the module already uses the name "${name}"` };
  }

  const ts = facts.language === 'ts';
  const text = [
    '/** How long a remembered result stays valid, and how many are kept. The tool is pure: the same input gives the same output. */',
    `const MEMO_TTL_MS = ${settings.ttlMs};`,
    `const MEMO_MAX_ENTRIES = ${settings.maxEntries};`,
    `const memo = new Map${ts ? `<string, { value: Awaited<ReturnType<typeof ${inner}>>; at: number }>` : ''}();`,
    '',
    `/** The tool: \`${inner}\`, remembering each input's result for MEMO_TTL_MS. */`,
    `export default ${isAsync ? 'async ' : ''}function ${exportName}(input${ts ? `: Parameters<typeof ${inner}>[0]` : ''}) {`,
    '  const key = JSON.stringify(input);',
    '  const remembered = memo.get(key);',
    '  if (remembered !== undefined && Date.now() - remembered.at < MEMO_TTL_MS) return remembered.value;',
    `  const value = ${isAsync ? 'await ' : ''}${inner}(input);`,
    '  if (memo.size >= MEMO_MAX_ENTRIES) {',
    '    const oldest = memo.keys().next().value;',
    '    if (oldest !== undefined) memo.delete(oldest);',
    '  }',
    '  memo.set(key, { value, at: Date.now() });',
    '  return value;',
    '}',
  ].join('\n');
  edits.push({ start: facts.source.length, end: facts.source.length, text: `${facts.source.endsWith('\n') ? '\n' : '\n\n'}${text}\n` });
  return { edits };
}
