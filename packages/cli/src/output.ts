/** A cell of a table: text, a number, or nothing (printed as `-`). */
export type Cell = string | number | boolean | undefined | null;

function cellText(cell: Cell): string {
  if (cell === undefined || cell === null || cell === '') return '-';
  if (typeof cell === 'boolean') return cell ? 'yes' : 'no';
  return String(cell);
}

/** Left-aligned columns separated by two spaces, headers in capitals, one line per row. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const texts = rows.map((row) => headers.map((_, index) => cellText(row[index]).replace(/\s+/g, ' ')));
  const widths = headers.map((header, index) => Math.max(header.length, ...texts.map((row) => row[index]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((header) => header.toUpperCase())), ...texts.map(line)].join('\n') + '\n';
}

/** An epoch-ms time as `2025-11-23 17:13:05` (UTC). */
export function formatTime(epochMs: number | undefined): string {
  if (epochMs === undefined) return '-';
  return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 19);
}

/** Milliseconds with a precision that suits their size. */
export function formatMs(ms: number): string {
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/** A share in 0..1 as a percentage. */
export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** At most `max` characters of one line of text. */
export function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Pretty JSON with a final newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
