import { describe, expect, it } from 'vitest';
import { lineDiff } from './line-diff.js';

describe('lineDiff', () => {
  it('marks removed, added and unchanged lines', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc\nd')).toBe('  a\n- b\n+ x\n  c\n+ d');
  });

  it('shows a new text as all added', () => {
    expect(lineDiff('', 'one\ntwo')).toBe('- \n+ one\n+ two');
  });
});
