/**
 * The programs the synthesiser builds: small expressions over the tool's argument (`$`),
 * with a canonical text form that is printed into the tool's description and parsed back
 * to decide, from metadata alone, whether an existing tool reproduces new examples.
 */

/** A comparison in a filter. */
export type Comparison = '>' | '<' | '>=' | '<=' | '==' | '!=';
export const COMPARISONS: readonly Comparison[] = ['>', '<', '>=', '<=', '==', '!='];

/** A constant, or a scalar field of the tool's argument (`param("threshold")`). */
export type Scalar =
  | { readonly kind: 'const'; readonly value: number | string | boolean }
  | { readonly kind: 'param'; readonly field: string };

/** Aggregates that reduce a list of numbers to one number. */
export type Aggregate = 'sum' | 'min' | 'max' | 'mean' | 'median';
/** What `group_by` computes per group. */
export type GroupAggregate = 'count' | 'sum' | 'min' | 'max' | 'mean';
export const GROUP_AGGREGATES: readonly GroupAggregate[] = ['count', 'sum', 'min', 'max', 'mean'];

/** Operations with exactly one list or value operand and nothing else. */
export type UnaryOp = Aggregate | 'count' | 'distinct' | 'length' | 'first';
export const UNARY_OPS: readonly UnaryOp[] = ['sum', 'count', 'min', 'max', 'mean', 'median', 'distinct', 'length', 'first'];

/** Sort order. */
export type Order = 'asc' | 'desc';

/** A program: an expression over the tool's argument `$`. */
export type Program =
  | { readonly op: 'input' }
  | { readonly op: 'get'; readonly of: Program; readonly field: string }
  | { readonly op: 'pluck'; readonly of: Program; readonly field: string }
  | { readonly op: UnaryOp; readonly of: Program }
  | { readonly op: 'sort'; readonly of: Program; readonly order: Order }
  | { readonly op: 'sort_by'; readonly of: Program; readonly field: string; readonly order: Order }
  | { readonly op: 'take' | 'drop'; readonly of: Program; readonly count: Scalar }
  | { readonly op: 'filter'; readonly of: Program; readonly compare: Comparison; readonly value: Scalar }
  | { readonly op: 'filter_by'; readonly of: Program; readonly field: string; readonly compare: Comparison; readonly value: Scalar }
  | { readonly op: 'round'; readonly of: Program; readonly digits: number }
  | { readonly op: 'difference'; readonly left: Program; readonly right: Program }
  /**
   * A count or sum as a percentage of the same count or sum without its filters, takes and drops
   * ({@link unfiltered}): `100 · count(filter_by(L, …)) / count(L)`, `100 · sum(take(L, 3)) / sum(L)`.
   */
  | { readonly op: 'percent_of_all'; readonly of: Program }
  /** `Σ field · weight / Σ weight` over a list of records. */
  | { readonly op: 'weighted_mean'; readonly of: Program; readonly field: string; readonly weight: string }
  | {
      readonly op: 'group_by';
      readonly of: Program;
      readonly key: string;
      readonly aggregate: GroupAggregate;
      /** The numeric field aggregated; absent for `count`. */
      readonly field?: string;
    };

/** The input: `$`. */
export const INPUT: Program = { op: 'input' };

const NARROWING = new Set(['filter', 'filter_by', 'take', 'drop']);

const wholes = new WeakMap<Program, Program>();

/** `program` without its filters, takes and drops: the whole that `percent_of_all` divides by. */
export function unfiltered(program: Program): Program {
  let whole = wholes.get(program);
  if (whole === undefined) wholes.set(program, (whole = strip(program)));
  return whole;
}

function strip(program: Program): Program {
  switch (program.op) {
    case 'input':
      return program;
    case 'difference':
      return { ...program, left: strip(program.left), right: strip(program.right) };
    default:
      return NARROWING.has(program.op) ? strip(program.of) : { ...program, of: strip(program.of) };
  }
}

/** Whether `percent_of_all` applies: a count or sum whose list is narrowed somewhere (else it is always 100). */
export function hasWhole(program: Program): boolean {
  if (program.op !== 'count' && program.op !== 'sum') return false;
  for (let node: Program = program.of; node.op !== 'input' && node.op !== 'difference'; node = node.of) if (NARROWING.has(node.op)) return true;
  return false;
}

/** How many operations the program has (`$` counts one). */
export function programOperations(program: Program): number {
  switch (program.op) {
    case 'input':
      return 1;
    case 'difference':
      return 1 + programOperations(program.left) + programOperations(program.right);
    default:
      return 1 + programOperations(program.of);
  }
}

function printScalar(scalar: Scalar): string {
  return scalar.kind === 'param' ? `param(${JSON.stringify(scalar.field)})` : JSON.stringify(scalar.value);
}

/**
 * The canonical text of a program, e.g. `sum(pluck(get($, "fares"), "price"))`.
 * {@link parseProgram} reads it back.
 */
export function printProgram(program: Program): string {
  const s = JSON.stringify;
  switch (program.op) {
    case 'input':
      return '$';
    case 'get':
    case 'pluck':
      return `${program.op}(${printProgram(program.of)}, ${s(program.field)})`;
    case 'sort':
      return `sort(${printProgram(program.of)}, ${s(program.order)})`;
    case 'sort_by':
      return `sort_by(${printProgram(program.of)}, ${s(program.field)}, ${s(program.order)})`;
    case 'take':
    case 'drop':
      return `${program.op}(${printProgram(program.of)}, ${printScalar(program.count)})`;
    case 'filter':
      return `filter(${printProgram(program.of)}, ${s(program.compare)}, ${printScalar(program.value)})`;
    case 'filter_by':
      return `filter_by(${printProgram(program.of)}, ${s(program.field)}, ${s(program.compare)}, ${printScalar(program.value)})`;
    case 'round':
      return `round(${printProgram(program.of)}, ${program.digits})`;
    case 'difference':
      return `difference(${printProgram(program.left)}, ${printProgram(program.right)})`;
    case 'percent_of_all':
      return `percent_of_all(${printProgram(program.of)})`;
    case 'weighted_mean':
      return `weighted_mean(${printProgram(program.of)}, ${s(program.field)}, ${s(program.weight)})`;
    case 'group_by':
      return program.field === undefined
        ? `group_by(${printProgram(program.of)}, ${s(program.key)}, ${s(program.aggregate)})`
        : `group_by(${printProgram(program.of)}, ${s(program.key)}, ${s(program.aggregate)}, ${s(program.field)})`;
    default:
      return `${program.op}(${printProgram(program.of)})`;
  }
}

/** Why a program text could not be read. */
export class ProgramSyntaxError extends Error {
  override readonly name = 'ProgramSyntaxError';
}

type Node =
  | { readonly kind: 'input' }
  | { readonly kind: 'literal'; readonly value: number | string | boolean }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Node[] };

const MAX_PROGRAM_TEXT = 4000;
const MAX_DEPTH = 64;

/**
 * Reads a program from its canonical text ({@link printProgram}). Throws
 * {@link ProgramSyntaxError} for anything else, including well-formed calls of unknown
 * operations or with arguments of the wrong kind.
 */
export function parseProgram(text: string): Program {
  if (text.length > MAX_PROGRAM_TEXT) throw new ProgramSyntaxError(`a program text is at most ${MAX_PROGRAM_TEXT} characters`);
  let position = 0;
  const skipSpace = (): void => {
    while (position < text.length && /\s/.test(text[position] ?? '')) position++;
  };
  const expect = (character: string): void => {
    skipSpace();
    if (text[position] !== character) throw new ProgramSyntaxError(`expected "${character}" at ${position} in ${text}`);
    position++;
  };
  const readNode = (depth: number): Node => {
    if (depth > MAX_DEPTH) throw new ProgramSyntaxError('the program is nested too deeply');
    skipSpace();
    const rest = text.slice(position);
    if (rest.startsWith('$')) {
      position++;
      return { kind: 'input' };
    }
    if (rest.startsWith('"')) {
      const match = /^"(?:[^"\\]|\\.)*"/.exec(rest);
      if (!match) throw new ProgramSyntaxError(`unterminated string at ${position}`);
      position += match[0].length;
      return { kind: 'literal', value: JSON.parse(match[0]) as string };
    }
    const number = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(rest);
    if (number) {
      position += number[0].length;
      return { kind: 'literal', value: Number(number[0]) };
    }
    const word = /^[a-z_][a-z0-9_]*/.exec(rest);
    if (!word) throw new ProgramSyntaxError(`unexpected "${rest.slice(0, 10)}" at ${position}`);
    position += word[0].length;
    if (word[0] === 'true' || word[0] === 'false') return { kind: 'literal', value: word[0] === 'true' };
    expect('(');
    const args: Node[] = [];
    skipSpace();
    if (text[position] !== ')') {
      for (;;) {
        args.push(readNode(depth + 1));
        skipSpace();
        if (text[position] !== ',') break;
        position++;
      }
    }
    expect(')');
    return { kind: 'call', name: word[0], args };
  };
  const root = readNode(0);
  skipSpace();
  if (position !== text.length) throw new ProgramSyntaxError(`unexpected text after the program at ${position}`);
  return toProgram(root);
}

function toProgram(node: Node): Program {
  if (node.kind === 'input') return INPUT;
  if (node.kind === 'literal') throw new ProgramSyntaxError(`a literal (${JSON.stringify(node.value)}) is not a program`);
  const { name, args } = node;
  const arity = (count: number): void => {
    if (args.length !== count) throw new ProgramSyntaxError(`${name} takes ${count} arguments, got ${args.length}`);
  };
  const program = (index: number): Program => toProgram(args[index] ?? { kind: 'literal', value: '' });
  const literal = (index: number): number | string | boolean => {
    const arg = args[index];
    if (arg?.kind !== 'literal') throw new ProgramSyntaxError(`argument ${index + 1} of ${name} must be a literal`);
    return arg.value;
  };
  const string = (index: number): string => {
    const value = literal(index);
    if (typeof value !== 'string') throw new ProgramSyntaxError(`argument ${index + 1} of ${name} must be a string`);
    return value;
  };
  const oneOf = <T extends string>(index: number, allowed: readonly T[]): T => {
    const value = string(index);
    if (!(allowed as readonly string[]).includes(value)) throw new ProgramSyntaxError(`argument ${index + 1} of ${name} must be one of ${allowed.join(', ')}`);
    return value as T;
  };
  const scalar = (index: number): Scalar => {
    const arg = args[index];
    if (arg?.kind === 'call' && arg.name === 'param' && arg.args.length === 1 && arg.args[0]?.kind === 'literal' && typeof arg.args[0].value === 'string') {
      return { kind: 'param', field: arg.args[0].value };
    }
    return { kind: 'const', value: literal(index) };
  };
  switch (name) {
    case 'get':
    case 'pluck':
      arity(2);
      return { op: name, of: program(0), field: string(1) };
    case 'sort':
      arity(2);
      return { op: 'sort', of: program(0), order: oneOf(1, ['asc', 'desc'] as const) };
    case 'sort_by':
      arity(3);
      return { op: 'sort_by', of: program(0), field: string(1), order: oneOf(2, ['asc', 'desc'] as const) };
    case 'take':
    case 'drop':
      arity(2);
      return { op: name, of: program(0), count: scalar(1) };
    case 'filter':
      arity(3);
      return { op: 'filter', of: program(0), compare: oneOf(1, COMPARISONS), value: scalar(2) };
    case 'filter_by':
      arity(4);
      return { op: 'filter_by', of: program(0), field: string(1), compare: oneOf(2, COMPARISONS), value: scalar(3) };
    case 'round': {
      arity(2);
      const digits = literal(1);
      if (typeof digits !== 'number' || !Number.isInteger(digits) || digits < 0 || digits > 10) throw new ProgramSyntaxError('round takes 0 to 10 digits');
      return { op: 'round', of: program(0), digits };
    }
    case 'difference':
      arity(2);
      return { op: 'difference', left: program(0), right: program(1) };
    case 'percent_of_all': {
      arity(1);
      const of = program(0);
      if (!hasWhole(of)) throw new ProgramSyntaxError('percent_of_all takes a count or sum over a filtered, taken or dropped list');
      return { op: 'percent_of_all', of };
    }
    case 'weighted_mean':
      arity(3);
      return { op: 'weighted_mean', of: program(0), field: string(1), weight: string(2) };
    case 'group_by': {
      if (args.length !== 3 && args.length !== 4) throw new ProgramSyntaxError('group_by takes 3 or 4 arguments');
      const aggregate = oneOf(2, GROUP_AGGREGATES);
      if ((aggregate === 'count') !== (args.length === 3)) throw new ProgramSyntaxError('group_by counts without a field, and aggregates any other way with one');
      return args.length === 3
        ? { op: 'group_by', of: program(0), key: string(1), aggregate }
        : { op: 'group_by', of: program(0), key: string(1), aggregate, field: string(3) };
    }
    default:
      if ((UNARY_OPS as readonly string[]).includes(name)) {
        arity(1);
        return { op: name as UnaryOp, of: program(0) };
      }
      throw new ProgramSyntaxError(`unknown operation "${name}"`);
  }
}
