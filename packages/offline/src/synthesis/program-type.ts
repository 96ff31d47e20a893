import type { Program } from './program.js';
import { NUM, type ValueType } from './value-type.js';

/**
 * The static type of a program's result given the type of its argument, or `undefined` when
 * the program does not fit the argument's type (a missing field, a sum of strings).
 */
export function programType(program: Program, input: ValueType): ValueType | undefined {
  if (program.op === 'input') return input;
  if (program.op === 'difference') {
    return programType(program.left, input)?.kind === 'num' && programType(program.right, input)?.kind === 'num' ? NUM : undefined;
  }
  const of = programType(program.of, input);
  if (of === undefined) return undefined;
  const element = of.kind === 'list' ? of.of : undefined;
  const fieldOf = (type: ValueType | undefined, name: string): ValueType | undefined => (type?.kind === 'rec' ? type.fields.get(name) : undefined);
  switch (program.op) {
    case 'get':
      return fieldOf(of, program.field);
    case 'pluck': {
      const field = fieldOf(element, program.field);
      return field === undefined ? undefined : { kind: 'list', of: field };
    }
    case 'sum':
    case 'min':
    case 'max':
    case 'mean':
    case 'median':
      return element?.kind === 'num' ? NUM : undefined;
    case 'count':
      return element === undefined ? undefined : NUM;
    case 'length':
      return of.kind === 'str' ? NUM : undefined;
    case 'first':
      return element === undefined ? undefined : element;
    case 'distinct':
    case 'sort':
    case 'take':
    case 'drop':
    case 'filter':
      return element === undefined ? undefined : of;
    case 'sort_by':
    case 'filter_by':
      return fieldOf(element, program.field) === undefined ? undefined : of;
    case 'round':
    case 'percent_of_all':
      return of.kind === 'num' ? NUM : undefined;
    case 'weighted_mean':
      return fieldOf(element, program.field)?.kind === 'num' && fieldOf(element, program.weight)?.kind === 'num' ? NUM : undefined;
    case 'group_by':
      return fieldOf(element, program.key) === undefined ? undefined : { kind: 'map', of: NUM };
  }
}

