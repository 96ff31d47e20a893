import { tsPlugin } from '@sveltejs/acorn-typescript';
import { Parser } from 'acorn';
import type { ToolLanguage } from '@toolwright/core';

/** An ESTree node as acorn produces it (TypeScript nodes included), with source offsets. */
export interface SourceNode {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly [key: string]: unknown;
}

const TypeScriptParser = Parser.extend(tsPlugin());

/**
 * Parses a tool's module with acorn (with the TypeScript plugin for `ts`), keeping offsets into
 * the original text so transforms can edit it in place. Throws the parser's SyntaxError.
 */
export function parseSource(source: string, language: ToolLanguage): SourceNode {
  const parser = language === 'ts' ? TypeScriptParser : Parser;
  return parser.parse(source, { ecmaVersion: 'latest', sourceType: 'module', locations: true }) as unknown as SourceNode;
}

/** True for anything that looks like an AST node. */
export function isNode(value: unknown): value is SourceNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' && typeof (value as { start?: unknown }).start === 'number';
}

const SKIPPED_KEYS = new Set(['loc', 'range', 'start', 'end', 'type']);

/**
 * Visits every node depth-first, parents before children, with the parent and the key under
 * which the node hangs. A generic walk, so TypeScript nodes need no special visitor.
 */
export function visitNodes(root: SourceNode, enter: (node: SourceNode, parent: SourceNode | undefined, key: string | undefined) => void): void {
  const visit = (node: SourceNode, parent: SourceNode | undefined, key: string | undefined): void => {
    enter(node, parent, key);
    for (const [childKey, value] of Object.entries(node)) {
      if (SKIPPED_KEYS.has(childKey)) continue;
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) visit(item, node, childKey);
      } else if (isNode(value)) {
        visit(value, node, childKey);
      }
    }
  };
  visit(root, undefined, undefined);
}

/** The 1-based line of an offset, for messages. */
export function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset && index < source.length; index += 1) if (source.charCodeAt(index) === 10) line += 1;
  return line;
}
