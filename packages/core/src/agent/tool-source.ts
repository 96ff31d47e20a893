/** What {@link cleanToolSource} did to a source. */
export interface CleanedSource {
  readonly source: string;
  /** What was removed, in words for the model (`undefined` when nothing was). */
  readonly removed: string | undefined;
}

const FENCE = /```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)(?:\n[ \t]*```|$(?![\s\S]))/g;

/**
 * The module a model meant, from a `source` that came wrapped in Markdown: the code inside
 * the first ```ts / ```js / ``` fence, without the prose before and after it. A source
 * without any fence is returned as it is. An unclosed fence loses its opening line only.
 *
 * @example
 * ```ts
 * cleanToolSource('Here is the tool:\n```ts\nexport default () => 1;\n```\nIt returns 1.');
 * // { source: 'export default () => 1;', removed: 'a ```ts fence and the prose around it' }
 * ```
 */
export function cleanToolSource(source: string): CleanedSource {
  if (!source.includes('```')) return { source, removed: undefined };
  const blocks = [...source.matchAll(FENCE)];
  const code = blocks.find((block) => /export\s+default/.test(block[2] ?? '')) ?? blocks[0];
  if (!code) return { source, removed: undefined };
  const inner = (code[2] ?? '').trim();
  const fence = `\`\`\`${code[1] ?? ''}`;
  const around = source.replace(code[0], '').replace(/```/g, '').trim();
  return { source: inner, removed: around === '' ? `a ${fence} fence` : `a ${fence} fence and the prose around it` };
}
