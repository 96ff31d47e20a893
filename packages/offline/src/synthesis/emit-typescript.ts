import { printProgram, unfiltered, type Comparison, type Program, type Scalar } from './program.js';
import { programType } from './program-type.js';
import type { ValueType } from './value-type.js';

/**
 * Renders a program as a readable TypeScript module: interfaces for the argument (inferred
 * from the examples), a default-exported function with a typed argument that computes the
 * program one named step at a time, and the few helpers it uses. Every helper is the same
 * code as the interpreter's (`semantics.ts`), so the module reproduces what the search checked.
 */

const HELPERS = {
  sumOf: `function sumOf(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}`,
  minOf: `function minOf(values: number[]): number {
  if (values.length === 0) throw new Error('min of an empty list');
  return values.reduce((smallest, value) => (value < smallest ? value : smallest));
}`,
  maxOf: `function maxOf(values: number[]): number {
  if (values.length === 0) throw new Error('max of an empty list');
  return values.reduce((largest, value) => (value > largest ? value : largest));
}`,
  meanOf: `function meanOf(values: number[]): number {
  if (values.length === 0) throw new Error('mean of an empty list');
  return values.reduce((total, value) => total + value, 0) / values.length;
}`,
  medianOf: `function medianOf(values: number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}`,
  firstOf: `function firstOf<T>(items: T[]): T {
  if (items.length === 0) throw new Error('first of an empty list');
  return items[0] as T;
}`,
  roundTo: `/** Half away from zero on the decimal value (15 significant digits): 1.005 → 1.01, not Math.round's 1. */
function roundTo(value: number, digits: number): number {
  // Fast path, same result: away from a half, the binary product rounds to the same integer.
  const scaled = value * 10 ** digits;
  const fraction = Math.abs(scaled - Math.trunc(scaled));
  if (Math.abs(scaled) < 2 ** 52 && Math.abs(fraction - 0.5) > 1e-12 * Math.max(1, Math.abs(scaled))) return Math.round(scaled) / 10 ** digits;
  const shifted = (text: string, by: number): number => {
    const [mantissa, exponent = '0'] = text.split('e');
    return Number(mantissa + 'e' + (Number(exponent) + by));
  };
  const magnitude = Math.round(shifted(String(Number(Math.abs(value).toPrecision(15))), digits));
  return Math.sign(value) * shifted(String(magnitude), -digits);
}`,
  weightedMeanOf: `function weightedMeanOf(values: number[], weights: number[]): number {
  let total = 0;
  let weight = 0;
  values.forEach((value, index) => {
    const w = weights[index] as number;
    total += value * w;
    weight += w;
  });
  if (weight === 0) throw new Error('weighted mean with weights that add up to 0');
  return total / weight;
}`,
  percentOf: `function percentOf(part: number, whole: number): number {
  if (whole === 0) throw new Error('percent of 0');
  return (100 * part) / whole;
}`,
  ascending: `function ascending(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}`,
  groupBy: `function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const group = groups.get(name);
    if (group) group.push(item);
    else groups.set(name, [item]);
  }
  return groups;
}`,
} as const;
type Helper = keyof typeof HELPERS;

const RESERVED = new Set([
  'input', 'item', ...Object.keys(HELPERS),
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export', 'extends',
  'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw',
  'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'let', 'static', 'implements', 'interface', 'package', 'private',
  'protected', 'public', 'await', 'async', 'of', 'arguments', 'eval', 'undefined', 'NaN', 'Infinity', 'Math', 'Object', 'Array', 'Map', 'Set',
  'String', 'Number', 'Error', 'JSON', 'globalThis',
  // Names the sandbox's static gate refuses wherever they appear as identifiers.
  'Function', 'process', 'require', 'Buffer', 'global', '__dirname', '__filename', 'setInterval', 'setImmediate', 'clearInterval',
  'clearImmediate', 'queueMicrotask', 'SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry', 'WebAssembly', 'self', 'window',
]);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function camel(text: string): string {
  const parts = text.normalize('NFKD').replace(/[^A-Za-z0-9]+/g, ' ').trim().split(' ').filter(Boolean);
  const joined = parts.map((part, index) => (index === 0 ? part.charAt(0).toLowerCase() + part.slice(1) : part.charAt(0).toUpperCase() + part.slice(1))).join('');
  return /^[A-Za-z]/.test(joined) ? joined : `value${joined}`;
}

function pascal(text: string): string {
  const name = camel(text);
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function singular(name: string): string {
  if (/ies$/.test(name) && name.length > 4) return `${name.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(name)) return name;
  if (/(ches|shes|xes|sses)$/.test(name)) return name.slice(0, -2);
  if (/s$/.test(name) && name.length > 3) return name.slice(0, -1);
  return name;
}

function plural(name: string): string {
  if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(name)) return `${name}es`;
  return `${name}s`;
}

function access(field: string): string {
  return IDENTIFIER.test(field) ? `.${field}` : `[${JSON.stringify(field)}]`;
}

function propertyKey(field: string): string {
  return IDENTIFIER.test(field) ? field : JSON.stringify(field);
}

const OPERATORS: Readonly<Record<Comparison, string>> = { '>': '>', '<': '<', '>=': '>=', '<=': '<=', '==': '===', '!=': '!==' };

/** Interface declarations for the record types of the argument. */
class TypeDeclarations {
  readonly declarations: string[] = [];
  readonly #names = new Map<ValueType, string>();
  readonly #used = new Set<string>();

  typeText(type: ValueType, hint: string): string {
    switch (type.kind) {
      case 'num':
        return 'number';
      case 'str':
        return 'string';
      case 'bool':
        return 'boolean';
      case 'unknown':
        return 'unknown';
      case 'list':
        return `${this.typeText(type.of, singular(hint))}[]`;
      case 'map':
        return `Record<string, ${this.typeText(type.of, hint)}>`;
      case 'rec':
        return this.#interface(type, hint);
    }
  }

  #interface(type: Extract<ValueType, { kind: 'rec' }>, hint: string): string {
    const known = this.#names.get(type);
    if (known) return known;
    let name = pascal(hint);
    if (this.#used.has(name) || RESERVED.has(name)) {
      let index = 2;
      while (this.#used.has(`${name}${index}`)) index++;
      name = `${name}${index}`;
    }
    this.#used.add(name);
    this.#names.set(type, name);
    const fields = [...type.fields].map(([field, fieldType]) => `  ${propertyKey(field)}: ${this.typeText(fieldType, field)};`);
    this.declarations.push(`interface ${name} {\n${fields.join('\n')}\n}`);
    return name;
  }
}

class Body {
  readonly lines: string[] = [];
  readonly helpers = new Set<Helper>();
  readonly #used = new Set<string>();

  name(base: string): string {
    let name = camel(base);
    if (RESERVED.has(name)) name = `${name}Value`;
    let candidate = name;
    for (let index = 2; this.#used.has(candidate); index++) candidate = `${name}${index}`;
    this.#used.add(candidate);
    return candidate;
  }

  /** A lambda parameter for the items of `list` (`fares` → `fare`). */
  item(list: string): string {
    const name = singular(list);
    return name !== list && IDENTIFIER.test(name) && !RESERVED.has(name) && !this.#used.has(name) ? name : 'item';
  }

  helper(helper: Helper): string {
    this.helpers.add(helper);
    return helper;
  }

  bind(base: string, expression: string): string {
    const name = this.name(base);
    this.lines.push(`  const ${name} = ${expression};`);
    return name;
  }

  scalar(scalar: Scalar): string {
    return scalar.kind === 'param' ? `input${access(scalar.field)}` : JSON.stringify(scalar.value);
  }

  emit(program: Program): string {
    switch (program.op) {
      case 'input':
        return 'input';
      case 'get':
        return this.bind(program.field, `${this.emit(program.of)}${access(program.field)}`);
      case 'pluck': {
        const list = this.emit(program.of);
        const item = this.item(list);
        return this.bind(plural(camel(program.field)), `${list}.map((${item}) => ${item}${access(program.field)})`);
      }
      case 'sum':
        return this.bind('total', `${this.helper('sumOf')}(${this.emit(program.of)})`);
      case 'count':
        return this.bind('count', `${this.emit(program.of)}.length`);
      case 'min':
        return this.bind('smallest', `${this.helper('minOf')}(${this.emit(program.of)})`);
      case 'max':
        return this.bind('largest', `${this.helper('maxOf')}(${this.emit(program.of)})`);
      case 'mean':
        return this.bind('mean', `${this.helper('meanOf')}(${this.emit(program.of)})`);
      case 'median':
        return this.bind('median', `${this.helper('medianOf')}(${this.emit(program.of)})`);
      case 'distinct':
        return this.bind('distinctValues', `Array.from(new Set(${this.emit(program.of)}))`);
      case 'length':
        return this.bind('length', `${this.emit(program.of)}.length`);
      case 'first':
        return this.bind('first', `${this.helper('firstOf')}(${this.emit(program.of)})`);
      case 'sort': {
        const list = this.emit(program.of);
        const compare = this.helper('ascending');
        return this.bind('sorted', program.order === 'asc' ? `[...${list}].sort((a, b) => ${compare}(a, b))` : `[...${list}].sort((a, b) => ${compare}(b, a))`);
      }
      case 'sort_by': {
        const list = this.emit(program.of);
        const compare = this.helper('ascending');
        const key = access(program.field);
        return this.bind('sorted', program.order === 'asc' ? `[...${list}].sort((a, b) => ${compare}(a${key}, b${key}))` : `[...${list}].sort((a, b) => ${compare}(b${key}, a${key}))`);
      }
      case 'take':
        return this.bind('kept', `${this.emit(program.of)}.slice(0, ${this.scalar(program.count)})`);
      case 'drop':
        return this.bind('rest', `${this.emit(program.of)}.slice(${this.scalar(program.count)})`);
      case 'filter': {
        const list = this.emit(program.of);
        const item = this.item(list);
        return this.bind('matching', `${list}.filter((${item}) => ${item} ${OPERATORS[program.compare]} ${this.scalar(program.value)})`);
      }
      case 'filter_by': {
        const list = this.emit(program.of);
        const item = this.item(list);
        return this.bind('matching', `${list}.filter((${item}) => ${item}${access(program.field)} ${OPERATORS[program.compare]} ${this.scalar(program.value)})`);
      }
      case 'round':
        return this.bind('rounded', `${this.helper('roundTo')}(${this.emit(program.of)}, ${program.digits})`);
      case 'difference': {
        const left = this.emit(program.left);
        const right = this.emit(program.right);
        return this.bind('difference', `${left} - ${right}`);
      }
      case 'percent_of_all': {
        const part = this.emit(program.of);
        const whole = this.emit(unfiltered(program.of));
        return this.bind('percent', `${this.helper('percentOf')}(${part}, ${whole})`);
      }
      case 'weighted_mean': {
        const list = this.emit(program.of);
        const item = this.item(list);
        return this.bind(
          'weightedMean',
          `${this.helper('weightedMeanOf')}(${list}.map((${item}) => ${item}${access(program.field)}), ${list}.map((${item}) => ${item}${access(program.weight)}))`,
        );
      }
      case 'group_by': {
        const list = this.emit(program.of);
        const item = this.item(list);
        const groups = this.bind('groups', `${this.helper('groupBy')}(${list}, (${item}) => String(${item}${access(program.key)}))`);
        let aggregate: string;
        if (program.field === undefined) {
          aggregate = 'group.length';
        } else {
          const helper = this.helper(`${program.aggregate}Of` as 'sumOf' | 'minOf' | 'maxOf' | 'meanOf');
          aggregate = `${helper}(group.map((${item}) => ${item}${access(program.field)}))`;
        }
        const names = { count: 'counts', sum: 'totals', min: 'minimums', max: 'maximums', mean: 'means' } as const;
        return this.bind(names[program.aggregate], `Object.fromEntries([...${groups}].map(([name, group]) => [name, ${aggregate}]))`);
      }
    }
  }
}

/** What {@link emitTypeScript} needs besides the program. */
export interface EmitOptions {
  /** The function's name source (a snake_case tool name becomes camelCase). */
  readonly name: string;
  /** The type of the tool's argument (a record type). */
  readonly inputType: ValueType;
  /** The doc comment's first paragraph. */
  readonly summary: string;
  /** The doc comment's second paragraph. */
  readonly provenance: string;
}

function commentText(text: string): string {
  return text.replace(/\*\//g, '* /');
}

/** The TypeScript module of a program. */
export function emitTypeScript(program: Program, options: EmitOptions): string {
  const types = new TypeDeclarations();
  const inputText = types.typeText(options.inputType, 'Input');
  const outputType = programType(program, options.inputType);
  const outputText = outputType === undefined ? 'unknown' : types.typeText(outputType, 'Result');
  const body = new Body();
  const result = body.emit(program);
  const helpers = (Object.keys(HELPERS) as Helper[]).filter((helper) => body.helpers.has(helper)).map((helper) => HELPERS[helper]);
  const parts = [
    ['/**', ` * ${commentText(options.summary)}`, ' *', ` * ${commentText(options.provenance)}`, ` * Program: ${commentText(printProgram(program))}`, ' */'].join('\n'),
    ...types.declarations,
    [`export default function ${camel(options.name)}(input: ${inputText}): ${outputText} {`, ...body.lines, `  return ${result};`, '}'].join('\n'),
    ...helpers,
  ];
  return `${parts.join('\n\n')}\n`;
}
