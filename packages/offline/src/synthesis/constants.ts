import type { JsonValue } from '@toolwright/core';
import type { Scalar } from './program.js';
import { isRecord } from './value-type.js';

/**
 * Where constants come from. A constant said in the task text costs nothing extra; one taken
 * from the example data costs one more step of program size, so that, among programs that
 * reproduce the examples, the one using the task's own numbers and names wins.
 */
export interface ScalarChoice {
  readonly scalar: Scalar;
  /** Extra program size: 0 for the task text, built-ins and the argument's own fields; 1 for example data. */
  readonly cost: 0 | 1;
}

/** The constants one synthesis may use. */
export interface ConstantPool {
  /** Numbers in the task text, in order of appearance (number words included). */
  readonly textNumbers: readonly number[];
  /** Quoted strings, codes in capitals, and example strings the text mentions. */
  readonly textStrings: readonly string[];
  /** Distinct numbers and strings the examples hold under each record field. */
  readonly byField: ReadonlyMap<string, { readonly numbers: readonly number[]; readonly strings: readonly string[] }>;
  /** Distinct numbers and strings that are elements of lists in the examples. */
  readonly listElements: { readonly numbers: readonly number[]; readonly strings: readonly string[] };
  /** The longest list in the examples. */
  readonly maxListLength: number;
}

/** At most this many constants of one kind are taken from the example data for one field. */
export const MAX_DATA_CONSTANTS = 48;
const MAX_TEXT_CONSTANTS = 16;

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
};

/** Numbers said in a text: digits (with `,` thousands separators) and the words zero to twelve. */
export function numbersInText(text: string): number[] {
  const found: number[] = [];
  const plain = text.replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
  const pattern = /(?<![\p{L}\p{N}_.])-?\d+(?:\.\d+)?(?!\d)|\b[a-z]+\b/giu;
  for (const match of plain.matchAll(pattern)) {
    const token = match[0];
    const value = /\d/.test(token) ? Number(token) : NUMBER_WORDS[token.toLowerCase()];
    if (value !== undefined && Number.isFinite(value) && !found.includes(value)) found.push(value);
  }
  return found.slice(0, MAX_TEXT_CONSTANTS);
}

/**
 * Strings a text names: quoted strings, codes in capitals (`BA`, `LHR`), and any of
 * `known` (strings of the example data) the text mentions as a whole word, in the data's spelling.
 */
export function stringsInText(text: string, known: readonly string[]): string[] {
  const found: string[] = [];
  const add = (value: string): void => {
    if (value.length > 0 && !found.includes(value)) found.push(value);
  };
  for (const match of text.matchAll(/"([^"\n]{1,80})"|“([^”\n]{1,80})”|(?:^|[\s(])'([^'\n]{1,60})'(?=[\s).,;:!?]|$)/g)) {
    add(match[1] ?? match[2] ?? match[3] ?? '');
  }
  const lower = text.toLowerCase();
  for (const value of known) {
    if (value.length === 0 || value.length > 80) continue;
    const at = lower.indexOf(value.toLowerCase());
    if (at < 0) continue;
    const before = lower[at - 1] ?? ' ';
    const after = lower[at + value.length] ?? ' ';
    if (!/[\p{L}\p{N}_]/u.test(before) && !/[\p{L}\p{N}_]/u.test(after)) add(value);
  }
  for (const match of text.matchAll(/\b[A-Z][A-Z0-9]{1,7}\b/g)) add(match[0]);
  return found.slice(0, MAX_TEXT_CONSTANTS);
}

function spread<T>(values: readonly T[]): T[] {
  if (values.length <= MAX_DATA_CONSTANTS) return [...values];
  const step = (values.length - 1) / (MAX_DATA_CONSTANTS - 1);
  return Array.from({ length: MAX_DATA_CONSTANTS }, (_, index) => values[Math.round(index * step)] as T);
}

/** Collects the constants of one synthesis from the example inputs and the task text. */
export function collectConstants(inputs: readonly JsonValue[], text: string): ConstantPool {
  const fieldNumbers = new Map<string, Set<number>>();
  const fieldStrings = new Map<string, Set<string>>();
  const elementNumbers = new Set<number>();
  const elementStrings = new Set<string>();
  const allStrings = new Set<string>();
  let maxListLength = 0;
  const addTo = <T>(map: Map<string, Set<T>>, key: string, value: T): void => {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(value);
  };
  const visit = (value: JsonValue, fieldName: string | undefined, inList: boolean, depth: number): void => {
    if (depth > 32) return;
    if (Array.isArray(value)) {
      maxListLength = Math.max(maxListLength, value.length);
      for (const item of value) visit(item, undefined, true, depth + 1);
    } else if (isRecord(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, key, false, depth + 1);
    } else if (typeof value === 'number') {
      if (fieldName !== undefined) addTo(fieldNumbers, fieldName, value);
      if (inList) elementNumbers.add(value);
    } else if (typeof value === 'string') {
      allStrings.add(value);
      if (fieldName !== undefined) addTo(fieldStrings, fieldName, value);
      if (inList) elementStrings.add(value);
    }
  };
  for (const input of inputs) visit(input, undefined, false, 0);

  const sortedNumbers = (set: Set<number> | undefined): number[] => spread([...(set ?? [])].sort((a, b) => a - b));
  const firstStrings = (set: Set<string> | undefined): string[] => [...(set ?? [])].slice(0, MAX_DATA_CONSTANTS);
  const byField = new Map<string, { numbers: number[]; strings: string[] }>();
  for (const name of new Set([...fieldNumbers.keys(), ...fieldStrings.keys()])) {
    byField.set(name, { numbers: sortedNumbers(fieldNumbers.get(name)), strings: firstStrings(fieldStrings.get(name)) });
  }
  return {
    textNumbers: numbersInText(text),
    textStrings: stringsInText(text, [...allStrings]),
    byField,
    listElements: { numbers: sortedNumbers(elementNumbers), strings: firstStrings(elementStrings) },
    maxListLength,
  };
}

/** Deduplicates choices by constant, keeping the cheapest (first) one. */
export function uniqueChoices(choices: readonly ScalarChoice[]): ScalarChoice[] {
  const seen = new Set<string>();
  const unique: ScalarChoice[] = [];
  for (const choice of choices) {
    const key = JSON.stringify(choice.scalar);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(choice);
  }
  return unique;
}
