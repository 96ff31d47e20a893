import { sha256 } from '@toolwright/core';
import { printProgram, unfiltered, type Comparison, type Program, type Scalar } from './program.js';

/**
 * Names and descriptions derived from the program alone (never from the task text), so the
 * same program always gets the same name.
 */

const COMPARISON_WORDS: Readonly<Record<Comparison, string>> = { '>': 'over', '<': 'under', '>=': 'at_least', '<=': 'at_most', '==': 'is', '!=': 'not' };
const COMPARISON_PHRASES: Readonly<Record<Comparison, string>> = {
  '>': 'greater than',
  '<': 'less than',
  '>=': 'at least',
  '<=': 'at most',
  '==': 'equal to',
  '!=': 'not equal to',
};

function scalarWord(scalar: Scalar): string {
  if (scalar.kind === 'param') return scalar.field;
  const { value } = scalar;
  if (typeof value === 'number') return value < 0 ? `minus_${String(-value)}` : String(value);
  return String(value);
}

function words(program: Program): string[] {
  switch (program.op) {
    case 'input':
      return [];
    case 'get':
    case 'pluck':
      return [...words(program.of), program.field];
    case 'sort':
      return ['sorted', ...(program.order === 'desc' ? ['desc'] : []), ...words(program.of)];
    case 'sort_by':
      return ['sorted', ...words(program.of), 'by', program.field, ...(program.order === 'desc' ? ['desc'] : [])];
    case 'take': {
      const k = scalarWord(program.count);
      const inner = program.of;
      if (inner.op === 'sort') return [inner.order === 'asc' ? 'smallest' : 'largest', k, ...words(inner.of)];
      if (inner.op === 'sort_by') return [inner.order === 'asc' ? 'lowest' : 'highest', k, ...words(inner.of), 'by', inner.field];
      return ['first', k, ...words(program.of)];
    }
    case 'drop':
      return ['skip', scalarWord(program.count), ...words(program.of)];
    case 'filter':
      return [...words(program.of), COMPARISON_WORDS[program.compare], scalarWord(program.value)];
    case 'filter_by':
      return [...words(program.of), 'where', program.field, COMPARISON_WORDS[program.compare], scalarWord(program.value)];
    case 'round':
      return ['round', ...words(program.of), 'to', String(program.digits)];
    case 'difference':
      return [...words(program.left), 'minus', ...words(program.right)];
    case 'percent_of_all':
      return ['percent', ...words(program.of)];
    case 'weighted_mean':
      return ['weighted_mean', ...words(program.of), program.field, 'by', program.weight];
    case 'group_by':
      return [program.aggregate, ...words(program.of), ...(program.field === undefined ? [] : [program.field]), 'by', program.key];
    default:
      return [program.op, ...words(program.of)];
  }
}

const MAX_NAME = 64;

/**
 * A snake_case tool name for the program, e.g. `count_fares_where_price_over_300`: at most
 * 64 characters (a long name is cut and ends with 8 hex digits of the program's hash).
 */
export function programName(program: Program): string {
  let name = words(program)
    .map((word) => word.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '_'))
    .join('_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  if (name === '') name = 'identity';
  if (!/^[a-z]/.test(name)) name = `tool_${name}`;
  if (name.length > MAX_NAME) {
    const hash = sha256(printProgram(program)).slice(0, 8);
    const cut = name.slice(0, MAX_NAME - hash.length - 1);
    name = `${cut.slice(0, Math.max(cut.lastIndexOf('_'), 1))}_${hash}`;
  }
  return name;
}

/** `name`, or `name_2`, `name_3`, ... — the first not in `taken` (64 characters at most). */
export function freeName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  for (let index = 2; ; index++) {
    const suffix = `_${index}`;
    const candidate = `${name.slice(0, MAX_NAME - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

function scalarPhrase(scalar: Scalar): string {
  return scalar.kind === 'param' ? `the argument's "${scalar.field}"` : JSON.stringify(scalar.value);
}

function phrase(program: Program): string {
  switch (program.op) {
    case 'input':
      return 'the argument';
    case 'get':
      return program.of.op === 'input' ? `"${program.field}"` : `the "${program.field}" of ${phrase(program.of)}`;
    case 'pluck':
      return `the "${program.field}" of each of ${phrase(program.of)}`;
    case 'sum':
      return `the sum of ${phrase(program.of)}`;
    case 'count':
      return `the number of ${phrase(program.of)}`;
    case 'min':
      return `the smallest of ${phrase(program.of)}`;
    case 'max':
      return `the largest of ${phrase(program.of)}`;
    case 'mean':
      return `the mean of ${phrase(program.of)}`;
    case 'median':
      return `the median of ${phrase(program.of)}`;
    case 'distinct':
      return `the distinct values of ${phrase(program.of)}`;
    case 'length':
      return `the length of ${phrase(program.of)}`;
    case 'first':
      return `the first of ${phrase(program.of)}`;
    case 'sort':
      return `${phrase(program.of)} sorted ${program.order === 'asc' ? 'ascending' : 'descending'}`;
    case 'sort_by':
      return `${phrase(program.of)} sorted by "${program.field}" ${program.order === 'asc' ? 'ascending' : 'descending'}`;
    case 'take':
      return `the first ${scalarPhrase(program.count)} of ${phrase(program.of)}`;
    case 'drop':
      return `${phrase(program.of)} after the first ${scalarPhrase(program.count)}`;
    case 'filter':
      return `${phrase(program.of)} that are ${COMPARISON_PHRASES[program.compare]} ${scalarPhrase(program.value)}`;
    case 'filter_by':
      return `${phrase(program.of)} whose "${program.field}" is ${COMPARISON_PHRASES[program.compare]} ${scalarPhrase(program.value)}`;
    case 'round':
      return `${phrase(program.of)}, rounded to ${program.digits} decimal place${program.digits === 1 ? '' : 's'}`;
    case 'difference':
      return `${phrase(program.left)} minus ${phrase(program.right)}`;
    case 'percent_of_all':
      return `${phrase(program.of)} as a percentage of ${phrase(unfiltered(program.of))}`;
    case 'weighted_mean':
      return `the mean of the "${program.field}" of ${phrase(program.of)}, weighted by "${program.weight}"`;
    case 'group_by':
      return `for each "${program.key}" of ${phrase(program.of)}, ${program.field === undefined ? 'how many there are' : `the ${program.aggregate} of "${program.field}"`}`;
  }
}

/** One sentence saying what the program computes, e.g. `The sum of the "price" of each of "fares".` */
export function describeProgram(program: Program): string {
  const text = phrase(program);
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** The line in a tool's description that records its program, read back by {@link programInDescription}. */
export const PROGRAM_MARKER = '[offline program]';

/**
 * Marks a description whose `round` rounds on the decimal value. Tools written before it
 * rounded with `Math.round(x · 10^d) / 10^d`, which differs on some half cents; the reuse check
 * cannot reproduce them, so it does not reuse them (see {@link roundsLikeThisVersion}).
 */
export const DECIMAL_ROUNDING_MARKER = '[offline rounding] decimal';

function usesRound(program: Program): boolean {
  if (program.op === 'input') return false;
  if (program.op === 'round') return true;
  if (program.op === 'difference') return usesRound(program.left) || usesRound(program.right);
  return usesRound(program.of);
}

/** The program line for a description (with the rounding marker when the program rounds). */
export function programLine(program: Program): string {
  return `${PROGRAM_MARKER} ${printProgram(program)}${usesRound(program) ? `\n${DECIMAL_ROUNDING_MARKER}` : ''}`;
}

/** Whether a tool's program, read from its description, computes what this version's interpreter does. */
export function roundsLikeThisVersion(program: Program, description: string): boolean {
  return !usesRound(program) || description.split('\n').some((line) => line.trim() === DECIMAL_ROUNDING_MARKER);
}

/** The program text recorded in a tool description, if there is one. */
export function programInDescription(description: string): string | undefined {
  for (const line of description.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith(PROGRAM_MARKER)) return trimmed.slice(PROGRAM_MARKER.length).trim();
  }
  return undefined;
}
