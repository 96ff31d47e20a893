import { ValidationError } from '@toolwright/core';

/** Replace `[start, end)` of the original text with `text` (an insertion when start === end). */
export interface SourceEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * Applies non-overlapping edits to `source`, all positions being offsets into the original.
 * Everything not edited stays byte for byte, so the diff a reviewer sees is only the change.
 */
export function applyEdits(source: string, edits: readonly SourceEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let output = '';
  let cursor = 0;
  for (const edit of sorted) {
    if (edit.start < cursor || edit.end < edit.start || edit.end > source.length) {
      throw new ValidationError('INVALID_ARGUMENT', `Overlapping or out-of-range source edit at ${edit.start}..${edit.end}; this is a bug in a transform.`);
    }
    output += source.slice(cursor, edit.start) + edit.text;
    cursor = edit.end;
  }
  return output + source.slice(cursor);
}
