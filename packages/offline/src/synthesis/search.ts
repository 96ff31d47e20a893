import type { JsonValue, NumericTolerance } from '@toolwright/core';
import { collectConstants, uniqueChoices, type ConstantPool, type ScalarChoice } from './constants.js';
import { COMPARISONS, GROUP_AGGREGATES, hasWhole, INPUT, type Comparison, type Program } from './program.js';
import { EvaluationError, jsonEqual, step } from './semantics.js';
import { inferType, NUM, typeKey, type ValueType } from './value-type.js';

/** Bounds of one search. */
export interface SearchLimits {
  /** Largest program size tried (operations, plus one per constant taken from example data). */
  readonly maxProgramSize: number;
  /** Most candidate programs evaluated. */
  readonly maxPrograms: number;
  /** Wall-clock budget in milliseconds. */
  readonly timeBudgetMs: number;
  /** Absolute tolerance when comparing numbers with the expected outputs. */
  readonly tolerance: number;
  /** Relative tolerance (a share of the larger magnitude); 0 for none. */
  readonly relativeTolerance: number;
}

/** What to search for: a program mapping every input to its output. */
export interface SearchProblem {
  /** The tool arguments of the examples: objects (see `input-shape.ts`). */
  readonly inputs: readonly JsonValue[];
  readonly outputs: readonly JsonValue[];
  /** The task text, where constants may come from. */
  readonly text: string;
}

/** Why a search found nothing. */
export type SearchFailure = 'exhausted' | 'program-budget' | 'time-budget';

/** How far a search that found nothing got: the smallest candidate reproducing the most examples. */
export interface NearestCandidate {
  readonly program: Program;
  readonly size: number;
  /** How many examples it reproduces (fewer than all). */
  readonly matched: number;
  /** The first example it does not reproduce (0-based), and what it gives there. */
  readonly mismatch: { readonly example: number; readonly actual: JsonValue };
}

/** The result of a search. */
export type SearchOutcome =
  | {
      readonly found: true;
      readonly program: Program;
      /** Its size in the search's measure. */
      readonly size: number;
      readonly programsTried: number;
      readonly durationMs: number;
    }
  | {
      readonly found: false;
      readonly reason: SearchFailure;
      /** The largest size searched completely. */
      readonly sizeSearched: number;
      /** The nearest candidate, when any reproduced at least one example. */
      readonly nearest: NearestCandidate | undefined;
      readonly programsTried: number;
      readonly durationMs: number;
    };

interface Term {
  readonly program: Program;
  readonly type: ValueType;
  readonly size: number;
  readonly values: readonly JsonValue[];
}

class Stop {
  constructor(readonly reason: 'found' | 'program-budget' | 'time-budget', readonly term?: Term) {}
}

const ROUND_DIGITS = [0, 1, 2] as const;
/**
 * Fields a program never reads: accessing them is refused by the sandbox's static gate
 * (`input.constructor`, `item.__proto__`, ...), so a tool using them could never run.
 */
export const UNREADABLE_FIELDS: ReadonlySet<string> = new Set([
  'constructor', '__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', 'setPrototypeOf',
  'prepareStackTrace', 'captureStackTrace', 'stackTraceLimit', 'caller', 'callee', 'arguments',
]);
const readable = ([field]: readonly [string, ValueType]): boolean => !UNREADABLE_FIELDS.has(field);
const MAX_COUNT_CONSTANT = 10;


/**
 * Bottom-up enumeration of programs, smallest first. Programs that compute the same values
 * on every example input as a smaller (or earlier) program are dropped (observational
 * equivalence), so each size adds only new behaviour. The first program whose values equal
 * the expected outputs on every example is the answer: no smaller program reproduces them.
 */
export function searchProgram(problem: SearchProblem, limits: SearchLimits): SearchOutcome {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const rootType = inferType(problem.inputs);
  if (rootType?.kind !== 'rec') throw new TypeError('searchProgram needs object inputs (wrap other data first)');
  const search = new Enumeration(problem, limits, rootType, collectConstants(problem.inputs, problem.text), started);
  let sizeSearched = 0;
  try {
    search.checkTime();
    search.seed();
    sizeSearched = 1;
    for (let size = 2; size <= limits.maxProgramSize; size++) {
      search.checkTime();
      search.grow(size);
      sizeSearched = size;
    }
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    if (error.reason === 'found' && error.term) {
      return { found: true, program: error.term.program, size: error.term.size, programsTried: search.tried, durationMs: elapsed() };
    }
    return { found: false, reason: error.reason === 'found' ? 'exhausted' : error.reason, sizeSearched, nearest: search.nearest, programsTried: search.tried, durationMs: elapsed() };
  }
  return { found: false, reason: 'exhausted', sizeSearched, nearest: search.nearest, programsTried: search.tried, durationMs: elapsed() };
}

class Enumeration {
  readonly bank: Term[][] = [];
  readonly seen = new Set<string>();
  tried = 0;
  nearest: NearestCandidate | undefined;
  readonly #typeKeys = new WeakMap<ValueType, string>();
  readonly #objectIds = new WeakMap<object, number>();
  #nextObjectId = 0;
  readonly #predicates = new Map<string, { compare: Comparison; choice: ScalarChoice }[]>();
  #counts: ScalarChoice[] | undefined;
  readonly params: { readonly name: string; readonly type: ValueType['kind']; readonly wholeNumber: boolean }[];
  readonly outputType: ValueType | undefined;
  readonly percentages: boolean;
  /** How closely numbers must match the outputs, built once per search. */
  readonly tolerance: NumericTolerance;

  constructor(
    readonly problem: SearchProblem,
    readonly limits: SearchLimits,
    readonly rootType: Extract<ValueType, { kind: 'rec' }>,
    readonly constants: ConstantPool,
    readonly started: number,
  ) {
    this.tolerance = { absolute: limits.tolerance, relative: limits.relativeTolerance };
    this.outputType = inferType(problem.outputs);
    this.percentages = problem.outputs.every((output) => typeof output === 'number' && Math.abs(output) <= 100);
    this.params = [...rootType.fields]
      .filter(readable)
      .filter(([, type]) => type.kind === 'num' || type.kind === 'str' || type.kind === 'bool')
      .map(([name, type]) => ({
        name,
        type: type.kind,
        wholeNumber: problem.inputs.every((input) => {
          const value = (input as Record<string, JsonValue>)[name];
          return typeof value === 'number' && Number.isInteger(value) && value >= 0;
        }),
      }));
  }

  checkTime(): void {
    if (performance.now() - this.started >= this.limits.timeBudgetMs) throw new Stop('time-budget');
  }

  at(size: number): Term[] {
    let terms = this.bank[size];
    if (!terms) this.bank[size] = terms = [];
    return terms;
  }

  seed(): void {
    this.consider(INPUT, this.rootType, 1, (index) => this.problem.inputs[index] as JsonValue);
  }

  typeKeyOf(type: ValueType): string {
    let key = this.#typeKeys.get(type);
    if (key === undefined) this.#typeKeys.set(type, (key = typeKey(type)));
    return key;
  }

  /**
   * A key equal for equal value vectors. Records are never built by a program (only
   * selected, filtered, reordered), so a record is keyed by its identity: cheap, and two
   * different keys for equal records only cost a little pruning.
   */
  valuesKey(values: readonly JsonValue[]): string {
    const parts: string[] = [];
    const write = (value: JsonValue): void => {
      if (Array.isArray(value)) {
        parts.push('[');
        for (const item of value) {
          write(item);
          parts.push(',');
        }
        parts.push(']');
      } else if (typeof value === 'object' && value !== null) {
        let id = this.#objectIds.get(value);
        if (id === undefined) this.#objectIds.set(value, (id = this.#nextObjectId++));
        parts.push(`#${id}`);
      } else {
        parts.push(typeof value === 'string' ? JSON.stringify(value) : String(value));
      }
    };
    for (const value of values) {
      write(value);
      parts.push('|');
    }
    return parts.join('');
  }

  /**
   * Whether a program of this type and size can still matter. At the largest size only
   * programs of the output's type can be the answer, so the others are never evaluated.
   */
  canMatter(type: ValueType, size: number): boolean {
    if (size < this.limits.maxProgramSize || this.outputType === undefined) return true;
    const output = this.outputType;
    if (output.kind === 'rec') return type.kind === 'rec' || type.kind === 'map';
    if (output.kind === 'list') return type.kind === 'list' && (output.of.kind === 'unknown' || type.of.kind === output.of.kind);
    return type.kind === output.kind;
  }

  /** Considers a program: evaluates it on every example, keeps it when it is new, stops when it is the answer. */
  consider(program: Program, type: ValueType, size: number, compute: (index: number) => JsonValue): void {
    if (!this.canMatter(type, size)) return;
    this.tried++;
    if (this.tried > this.limits.maxPrograms) throw new Stop('program-budget');
    if ((this.tried & 255) === 0) this.checkTime();
    let values: JsonValue[];
    try {
      values = this.problem.inputs.map((_, index) => compute(index));
    } catch (error) {
      if (error instanceof EvaluationError) return;
      throw error;
    }
    const key = `${this.typeKeyOf(type)}|${type.kind === 'map' ? JSON.stringify(values) : this.valuesKey(values)}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const term: Term = { program, type, size, values };
    this.at(size).push(term);
    const outputs = this.problem.outputs;
    // Only the output's kind can match; counting matches costs one comparison per example.
    if (this.outputType !== undefined && type.kind !== this.outputType.kind && !(type.kind === 'map' && this.outputType.kind === 'rec')) return;
    // Stops at the mismatch after which it can no longer beat the nearest candidate so far, so
    // once one candidate reproduces all but one example this costs what a plain check does.
    const best = this.nearest?.matched ?? 0;
    let matched = 0;
    let mismatch = -1;
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      const expected = outputs[index];
      if (jsonEqual(value, expected, this.tolerance)) matched++;
      else {
        if (mismatch < 0) mismatch = index;
        if (matched + values.length - index - 1 <= best) return;
      }
    }
    if (mismatch < 0) throw new Stop('found', term);
    this.nearest = { program, size, matched, mismatch: { example: mismatch, actual: values[mismatch] as JsonValue } };
  }

  unary(term: Term, program: Program, type: ValueType, extra: number): void {
    this.consider(program, type, term.size + 1 + extra, (index) => step(program, [term.values[index] as JsonValue], this.problem.inputs[index] as JsonValue));
  }

  grow(size: number): void {
    for (const term of [...this.at(size - 1)]) this.expand(term, 0);
    if (size >= 3) for (const term of [...this.at(size - 2)]) this.expand(term, 1);
    for (let left = 1; left <= size - 2; left++) {
      const rights = this.at(size - 1 - left).filter((term) => term.type.kind === 'num');
      for (const a of this.at(left).filter((term) => term.type.kind === 'num')) {
        for (const b of rights) {
          if (a === b) continue;
          const program: Program = { op: 'difference', left: a.program, right: b.program };
          this.consider(program, NUM, size, (index) => step(program, [a.values[index] as JsonValue, b.values[index] as JsonValue], this.problem.inputs[index] as JsonValue));
        }
      }
    }
  }

  /** Every program one operation larger than `term`, using constants of cost `extra`. */
  expand(term: Term, extra: 0 | 1): void {
    const { type } = term;
    const of = term.program;
    if (extra === 0) {
      if (type.kind === 'rec') {
        for (const [field, fieldType] of [...type.fields].filter(readable)) this.unary(term, { op: 'get', of, field }, fieldType, 0);
      }
      if (type.kind === 'str') this.unary(term, { op: 'length', of }, NUM, 0);
      if (type.kind === 'num') for (const digits of ROUND_DIGITS) this.unary(term, { op: 'round', of, digits }, NUM, 0);
      // Percentages: how many of them match, or what share of the total, as a percentage of all.
      // Tried only when every expected output could be one (a number from -100 to 100), so other searches pay nothing.
      if (type.kind === 'num' && this.percentages && hasWhole(of)) this.unary(term, { op: 'percent_of_all', of }, NUM, 0);
      if (type.kind === 'list') this.expandList(term, type.of);
    }
    if (type.kind === 'list') this.expandListWithConstants(term, type.of, extra);
  }

  expandList(term: Term, element: ValueType): void {
    const of = term.program;
    const kind = element.kind;
    if (kind === 'num') {
      for (const op of ['sum', 'count', 'min', 'max', 'mean', 'median'] as const) this.unary(term, { op, of }, NUM, 0);
    } else {
      this.unary(term, { op: 'count', of }, NUM, 0);
    }
    if (kind === 'num' || kind === 'str' || kind === 'bool') this.unary(term, { op: 'distinct', of }, term.type, 0);
    if (kind !== 'unknown') this.unary(term, { op: 'first', of }, element, 0);
    if (kind === 'num' || kind === 'str') {
      for (const order of ['asc', 'desc'] as const) this.unary(term, { op: 'sort', of, order }, term.type, 0);
    }
    if (element.kind === 'rec') {
      const fields = [...element.fields].filter(readable);
      for (const [field, fieldType] of fields) this.unary(term, { op: 'pluck', of, field }, { kind: 'list', of: fieldType }, 0);
      for (const [field, fieldType] of fields) {
        if (fieldType.kind !== 'num' && fieldType.kind !== 'str') continue;
        for (const order of ['asc', 'desc'] as const) this.unary(term, { op: 'sort_by', of, field, order }, term.type, 0);
      }
      const numeric = fields.filter(([, fieldType]) => fieldType.kind === 'num').map(([name]) => name);
      for (const field of numeric) {
        for (const weight of numeric) if (weight !== field) this.unary(term, { op: 'weighted_mean', of, field, weight }, NUM, 0);
      }
      for (const [key, keyType] of fields) {
        if (keyType.kind !== 'str') continue;
        for (const aggregate of GROUP_AGGREGATES) {
          if (aggregate === 'count') this.unary(term, { op: 'group_by', of, key, aggregate }, { kind: 'map', of: NUM }, 0);
          else for (const field of numeric) this.unary(term, { op: 'group_by', of, key, aggregate, field }, { kind: 'map', of: NUM }, 0);
        }
      }
    }
  }

  expandListWithConstants(term: Term, element: ValueType, extra: 0 | 1): void {
    const of = term.program;
    for (const choice of this.countChoices()) {
      if (choice.cost !== extra) continue;
      this.unary(term, { op: 'take', of, count: choice.scalar }, term.type, extra);
      this.unary(term, { op: 'drop', of, count: choice.scalar }, term.type, extra);
    }
    if (element.kind === 'num' || element.kind === 'str' || element.kind === 'bool') {
      for (const { compare, choice } of this.predicates(element.kind, undefined)) {
        if (choice.cost === extra) this.unary(term, { op: 'filter', of, compare, value: choice.scalar }, term.type, extra);
      }
    }
    if (element.kind === 'rec') {
      for (const [field, fieldType] of [...element.fields].filter(readable)) {
        if (fieldType.kind !== 'num' && fieldType.kind !== 'str' && fieldType.kind !== 'bool') continue;
        for (const { compare, choice } of this.predicates(fieldType.kind, field)) {
          if (choice.cost === extra) this.unary(term, { op: 'filter_by', of, field, compare, value: choice.scalar }, term.type, extra);
        }
      }
    }
  }

  /** Comparisons with constants for values of one kind, of one record field (or list elements). */
  predicates(kind: 'num' | 'str' | 'bool', field: string | undefined): { compare: Comparison; choice: ScalarChoice }[] {
    const cacheKey = `${kind}:${field ?? ''}`;
    const cached = this.#predicates.get(cacheKey);
    if (cached) return cached;
    const params = this.params.filter((param) => param.type === kind).map((param): ScalarChoice => ({ scalar: { kind: 'param', field: param.name }, cost: 0 }));
    const data = field === undefined ? this.constants.listElements : this.constants.byField.get(field) ?? { numbers: [], strings: [] };
    const constant = (value: number | string | boolean, cost: 0 | 1): ScalarChoice => ({ scalar: { kind: 'const', value }, cost });
    let choices: ScalarChoice[];
    let comparisons: readonly Comparison[];
    if (kind === 'num') {
      choices = uniqueChoices([...params, constant(0, 0), ...this.constants.textNumbers.map((value) => constant(value, 0)), ...data.numbers.map((value) => constant(value, 1))]);
      comparisons = COMPARISONS;
    } else if (kind === 'str') {
      choices = uniqueChoices([...params, ...this.constants.textStrings.map((value) => constant(value, 0)), ...data.strings.map((value) => constant(value, 1))]);
      comparisons = ['==', '!='];
    } else {
      choices = uniqueChoices([constant(true, 0), constant(false, 0), ...params]);
      comparisons = ['=='];
    }
    const predicates = choices.flatMap((choice) => comparisons.map((compare) => ({ compare, choice })));
    this.#predicates.set(cacheKey, predicates);
    return predicates;
  }

  /** How many items `take` and `drop` may keep or skip. */
  countChoices(): ScalarChoice[] {
    if (this.#counts) return this.#counts;
    const params = this.params.filter((param) => param.wholeNumber).map((param): ScalarChoice => ({ scalar: { kind: 'param', field: param.name }, cost: 0 }));
    const text = this.constants.textNumbers.filter((value) => Number.isInteger(value) && value > 0).map((value): ScalarChoice => ({ scalar: { kind: 'const', value }, cost: 0 }));
    const data = Array.from({ length: Math.min(this.constants.maxListLength, MAX_COUNT_CONSTANT) }, (_, index): ScalarChoice => ({ scalar: { kind: 'const', value: index + 1 }, cost: 1 }));
    this.#counts = uniqueChoices([...params, ...text, ...data]);
    return this.#counts;
  }
}

