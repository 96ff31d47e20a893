import { describe, expect, it } from 'vitest';
import { sideBySide } from './side-by-side.js';

describe('sideBySide', () => {
  it('pairs removed with added lines of a unified diff and numbers both sides', () => {
    const unified = ['--- a@1', '+++ a@2', '@@ -1,3 +1,4 @@', ' keep', '-old', '+new', '+more', ' end', ''].join('\n');
    expect(sideBySide(unified)).toEqual([
      { kind: 'file', text: '--- a@1' },
      { kind: 'file', text: '+++ a@2' },
      { kind: 'hunk', text: '@@ -1,3 +1,4 @@' },
      { kind: 'context', left: { n: 1, text: 'keep' }, right: { n: 1, text: 'keep' } },
      { kind: 'change', left: { n: 2, text: 'old' }, right: { n: 2, text: 'new' } },
      { kind: 'change', right: { n: 3, text: 'more' } },
      { kind: 'context', left: { n: 3, text: 'end' }, right: { n: 4, text: 'end' } },
    ]);
  });

  it('starts each hunk at its own line numbers and ignores "no newline" markers', () => {
    const rows = sideBySide(['@@ -10,1 +10,1 @@', '-a', '\\ No newline at end of file', '+b', '@@ -20 +20 @@', '-c', '+d'].join('\n'));
    expect(rows.filter((row) => row.kind === 'change')).toEqual([
      { kind: 'change', left: { n: 10, text: 'a' }, right: { n: 10, text: 'b' } },
      { kind: 'change', left: { n: 20, text: 'c' }, right: { n: 20, text: 'd' } },
    ]);
  });

  it("reads the gate's evidence format: sections, then every line marked", () => {
    const evidence = ['--- manifest', '  {', '-   "a": 1', '+   "a": 2', '  }', '--- source', '+ export default 1;'].join('\n');
    expect(sideBySide(evidence)).toEqual([
      { kind: 'file', text: 'manifest' },
      { kind: 'context', left: { n: 1, text: '{' }, right: { n: 1, text: '{' } },
      { kind: 'change', left: { n: 2, text: '  "a": 1' }, right: { n: 2, text: '  "a": 2' } },
      { kind: 'context', left: { n: 3, text: '}' }, right: { n: 3, text: '}' } },
      { kind: 'file', text: 'source' },
      { kind: 'change', right: { n: 1, text: 'export default 1;' } },
    ]);
  });

  it('has no rows for no difference', () => {
    expect(sideBySide('')).toEqual([]);
  });
});
