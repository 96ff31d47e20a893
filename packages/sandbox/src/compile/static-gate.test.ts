import { describe, expect, it } from 'vitest';
import { checkStaticGate, MAX_BRACKET_DEPTH, MAX_SYNTAX_DEPTH, STATIC_GATE_RULES, type StaticGateRule } from './static-gate.js';

function violations(source: string, options = {}): { rule: StaticGateRule; line: number }[] {
  const result = checkStaticGate(source, options);
  if (result.kind !== 'violations') return [];
  return result.violations.map(({ rule, line }) => ({ rule, line }));
}

describe('checkStaticGate', () => {
  it('accepts an ordinary tool and finds its default export', () => {
    const source = [
      'const rate = 1.2;',
      'class Converter {',
      '  constructor(factor) { this.factor = factor; }',
      '  convert(value) { return value * this.factor; }',
      '}',
      'export default async function convert({ amounts }) {',
      '  const converter = new Converter(rate);',
      '  const response = await fetch("http://127.0.0.1:1/rates");',
      '  await new Promise((resolve) => setTimeout(resolve, 1));',
      '  return { total: amounts.map((a) => converter.convert(a)).reduce((a, b) => a + b, 0), ok: response.ok, data: { constructor: 1 } };',
      '}',
    ].join('\n');
    const result = checkStaticGate(source);
    expect(result.kind).toBe('ok');
    if (result.kind === 'ok') expect(result.defaultExportLine).toBe(6);
  });

  it('reports no default export line for a module without one, and sees `export { x as default }`', () => {
    const none = checkStaticGate('export const x = 1;');
    expect(none.kind === 'ok' && none.defaultExportLine).toBeUndefined();
    const aliased = checkStaticGate('const x = () => 1;\nexport { x as default };');
    expect(aliased.kind === 'ok' && aliased.defaultExportLine).toBe(2);
  });

  const cases: [StaticGateRule, string, number][] = [
    ['no-import', 'import fs from "node:fs";\nexport default () => 1;', 1],
    ['no-import', 'export default () => 1;\nexport * from "./other.js";', 2],
    ['no-import', 'export default () => 1;\nexport { readFile } from "node:fs";', 2],
    ['no-dynamic-import', 'export default async () => {\n  return import("node:fs");\n};', 2],
    ['no-import-meta', 'export default () =>\n  import.meta.url;', 2],
    ['no-eval', 'export default (input) => {\n\n  return eval(input.code);\n};', 3],
    ['no-eval', 'export default (input) => (0, eval)(input.code);', 1],
    ['no-function-constructor', 'export default (input) => new Function(input.code)();', 1],
    ['no-function-constructor', 'export default (input) => Function("return this")();', 1],
    ['no-constructor-access', 'export default () => (() => 1).constructor("return this")();', 1],
    ['no-constructor-access', 'export default (x) => x["constructor"];', 1],
    ['no-constructor-access', 'export default (x) => x[`constructor`];', 1],
    ['no-constructor-access', 'export default ({ constructor }) => constructor;', 1],
    ['no-host-globals', 'export default () => process.env;', 1],
    ['no-host-globals', 'export default () => require("node:fs");', 1],
    ['no-host-globals', 'export default () => Buffer.from("x");', 1],
    ['no-host-globals', 'export default () => setInterval(() => 1, 10);', 1],
    ['no-host-globals', 'export default () => __dirname;', 1],
    ['no-global-mutation', 'globalThis.leak = 1;\nexport default () => 1;', 1],
    ['no-global-mutation', 'export default () => {\n  delete globalThis.JSON;\n};', 2],
    ['no-global-mutation', 'export default () => Object.defineProperty(globalThis, "x", { value: 1 });', 1],
    ['no-global-mutation', 'export default () => { globalThis["fetch"] = null; };', 1],
    ['no-global-mutation', 'export default () => { globalThis.console.log = null; };', 1],
    ['no-prototype-tampering', 'Array.prototype.sum = function () { return 0; };\nexport default () => 1;', 1],
    ['no-prototype-tampering', 'export default () => Object.defineProperty(Object.prototype, "x", { value: 1 });', 1],
    ['no-prototype-tampering', 'export default (x) => x.__proto__;', 1],
    ['no-prototype-tampering', 'export default (x) => Object.setPrototypeOf(x, null);', 1],
    ['no-prototype-tampering', 'export default () => ({ __proto__: null, a: 1 });', 1],
    ['no-stack-trace-api', 'Error.prepareStackTrace = (e, frames) => frames;\nexport default () => 1;', 1],
    ['no-stack-trace-api', 'export default (x) => Error.captureStackTrace(x);', 1],
    ['no-stack-trace-api', 'export default () => Object.assign(Error, { prepareStackTrace: () => 1 });', 1],
    ['no-caller', 'export default function f() { return f.caller; }', 1],
    ['no-caller', 'export default function () { return arguments.callee; }', 1],
    ['no-debugger', 'export default () => {\n  debugger;\n};', 2],
    ['no-forbidden-global', 'export default () => new SharedArrayBuffer(8);', 1],
    ['no-forbidden-global', 'export default () => Atomics.wait;', 1],
    ['no-forbidden-global', 'export default (x) => new WeakRef(x);', 1],
    ['no-forbidden-global', 'export default () => new FinalizationRegistry(() => 1);', 1],
    ['no-forbidden-global', 'export default () => WebAssembly.Module;', 1],
    ['no-top-level-await', 'const data = await fetch("http://127.0.0.1:1");\nexport default () => data;', 1],
    ['no-top-level-await', 'for await (const x of []) {}\nexport default () => 1;', 1],
    ['max-nesting-depth', `export default () =>\n  ${'['.repeat(MAX_BRACKET_DEPTH + 1)}${']'.repeat(MAX_BRACKET_DEPTH + 1)};`, 2],
    ['max-nesting-depth', `export default (a) =>\n  a${'.b'.repeat(MAX_SYNTAX_DEPTH + 1)};`, 2],
  ];

  it.each(cases)('reports %s at the right line: %s', (rule, source, line) => {
    expect(violations(source)).toContainEqual({ rule, line });
  });

  it('reports `with`, which a module cannot even parse, by rule and line', () => {
    expect(checkStaticGate('export default (x) => {\n  with (x) { return y; }\n};')).toMatchObject({
      kind: 'violations',
      violations: [{ rule: 'no-with', line: 2 }],
    });
  });

  it('lists every violation in source order', () => {
    const found = violations('import a from "a";\nexport default () => {\n  eval("1");\n  return process.pid;\n};');
    expect(found).toEqual([
      { rule: 'no-import', line: 1 },
      { rule: 'no-eval', line: 3 },
      { rule: 'no-host-globals', line: 4 },
    ]);
  });

  it('accepts WebAssembly only when allowed', () => {
    const source = 'export default () => typeof WebAssembly;';
    expect(violations(source)).toEqual([{ rule: 'no-forbidden-global', line: 1 }]);
    expect(checkStaticGate(source, { allowWebAssembly: true }).kind).toBe('ok');
  });

  it('does not flag property keys, local names or reads of globalThis that merely share a name', () => {
    const source = [
      'export default (input) => {',
      '  const options = { process: 1, require: 2, eval: 3 };',
      '  const record = { constructor: "x" };',
      '  const view = globalThis.JSON.stringify(input);',
      '  return [options.process, record, view, input.timeout];',
      '};',
    ].join('\n');
    expect(checkStaticGate(source).kind).toBe('ok');
  });

  it('reads brackets as tokens: brackets in strings, templates, comments and regular expressions do not count', () => {
    const deep = '('.repeat(MAX_BRACKET_DEPTH + 10);
    const source = [
      `const text = "${deep}";`,
      `const template = \`${deep}\`;`,
      `// ${deep}`,
      `const pattern = /\\${deep.split('').join('\\')}/;`,
      `export default () => [text, template, pattern.source].length;`,
    ].join('\n');
    expect(checkStaticGate(source).kind).toBe('ok');
    const nested = `export default () => ${'['.repeat(MAX_BRACKET_DEPTH)}${']'.repeat(MAX_BRACKET_DEPTH)};`;
    expect(checkStaticGate(nested).kind).toBe('ok');
  });

  it('reports a syntax error with its line', () => {
    expect(checkStaticGate('export default () => {\n  return 1 +;\n};')).toMatchObject({ kind: 'syntax-error', line: 2 });
  });

  it('has a test case for every rule it describes', () => {
    const tested = new Set<string>([...cases.map(([rule]) => rule), 'no-with']);
    expect(Object.keys(STATIC_GATE_RULES).filter((rule) => !tested.has(rule))).toEqual([]);
  });
});
