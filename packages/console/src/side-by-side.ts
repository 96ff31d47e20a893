/** One side of a {@link SideBySideRow}: a line number and its text. */
export interface SideLine {
  readonly n: number;
  readonly text: string;
}

/**
 * One row of a side-by-side diff: a file header, a hunk header, a context line (both sides), or a
 * change (a removed line on the left and/or an added line on the right).
 */
export type SideBySideRow =
  | { readonly kind: 'file'; readonly text: string }
  | { readonly kind: 'hunk'; readonly text: string }
  | { readonly kind: 'context'; readonly left: SideLine; readonly right: SideLine }
  | { readonly kind: 'change'; readonly left?: SideLine; readonly right?: SideLine };

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

/** A run of removed lines beside the run of added lines after it, line by line (either side may run short). */
function pushPairs(rows: SideBySideRow[], removed: readonly SideLine[], added: readonly SideLine[]): void {
  for (let index = 0; index < Math.max(removed.length, added.length); index += 1) {
    const l = removed[index];
    const r = added[index];
    rows.push({ kind: 'change', ...(l === undefined ? {} : { left: l }), ...(r === undefined ? {} : { right: r }) });
  }
}

/**
 * The gate's evidence format: `--- <section>` headers (manifest, source), then every line of the
 * section marked `- ` (removed), `+ ` (added) or two spaces (kept).
 */
function sectionRows(lines: readonly string[]): SideBySideRow[] {
  const rows: SideBySideRow[] = [];
  let left = 1;
  let right = 1;
  let removed: SideLine[] = [];
  let added: SideLine[] = [];
  const pair = (): void => {
    pushPairs(rows, removed, added);
    removed = [];
    added = [];
  };
  for (const line of lines) {
    if (line.startsWith('--- ')) {
      pair();
      rows.push({ kind: 'file', text: line.slice(4) });
      left = 1;
      right = 1;
      continue;
    }
    const marker = line[0] ?? ' ';
    const text = line[1] === ' ' ? line.slice(2) : line.slice(1);
    if (marker === '-') {
      if (added.length > 0) pair();
      removed.push({ n: left++, text });
    } else if (marker === '+') {
      added.push({ n: right++, text });
    } else {
      pair();
      rows.push({ kind: 'context', left: { n: left++, text }, right: { n: right++, text } });
    }
  }
  pair();
  return rows;
}

/**
 * Lays a unified diff (the registry's `diff`, an approval's evidence) out side by side: context
 * lines on both sides, and each run of removed lines paired with the run of added lines after it.
 * Text outside hunks (file headers, notes) becomes `file` rows. A diff with no hunk is read as
 * the gate's evidence format (`--- section`, then lines marked `- `, `+ ` or two spaces).
 *
 * @example
 * ```ts
 * const rows = sideBySide(await toolwright.registry.diff('get_quote', 1, 2));
 * ```
 */
export function sideBySide(unified: string): SideBySideRow[] {
  const rows: SideBySideRow[] = [];
  let left = 0;
  let right = 0;
  let oldLeft = 0;
  let newLeft = 0;
  let removed: SideLine[] = [];
  let added: SideLine[] = [];
  const pair = (): void => {
    pushPairs(rows, removed, added);
    removed = [];
    added = [];
  };
  const lines = unified.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (!lines.some((line) => HUNK.test(line))) return sectionRows(lines);
  for (const line of lines) {
    const inHunk = oldLeft > 0 || newLeft > 0;
    if (!inHunk) {
      const hunk = HUNK.exec(line);
      if (hunk !== null) {
        pair();
        left = Number(hunk[1]);
        right = Number(hunk[3]);
        oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
        newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
        rows.push({ kind: 'hunk', text: line });
      } else if (line.length > 0 && !line.startsWith('\\')) {
        pair();
        rows.push({ kind: 'file', text: line });
      }
      continue;
    }
    if (line.startsWith('\\')) continue;
    const marker = line[0] ?? ' ';
    const text = line.slice(1);
    if (marker === '-') {
      if (added.length > 0) pair();
      removed.push({ n: left, text });
      left += 1;
      oldLeft -= 1;
    } else if (marker === '+') {
      added.push({ n: right, text });
      right += 1;
      newLeft -= 1;
    } else {
      pair();
      rows.push({ kind: 'context', left: { n: left, text }, right: { n: right, text } });
      left += 1;
      right += 1;
      oldLeft -= 1;
      newLeft -= 1;
    }
    if (oldLeft <= 0 && newLeft <= 0) pair();
  }
  pair();
  return rows;
}
