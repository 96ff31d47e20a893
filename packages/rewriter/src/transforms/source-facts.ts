import type { ToolLanguage } from '@toolwright/core';
import { type SourceNode, lineOf, parseSource, visitNodes } from './parse-source.js';

/** What the transforms need to know about a tool's source. */
export interface SourceFacts {
  readonly source: string;
  readonly language: ToolLanguage;
  readonly program: SourceNode;
  /** Offsets of the `fetch` identifier of every direct `fetch(...)` call. */
  readonly fetchCalls: readonly { readonly start: number; readonly end: number }[];
  /** Why `fetch` calls cannot be rewritten safely (shadowed, used as a value), if so. */
  readonly fetchBlockers: readonly string[];
  /** Every identifier name in the module: new names must not collide with these. */
  readonly names: ReadonlySet<string>;
  /** Uses of APIs whose answer changes between calls (`Math.random`, `Date`, ...): the tool is then not pure. */
  readonly impureUses: readonly string[];
  /** The `export default` statement, when there is one. */
  readonly defaultExport: SourceNode | undefined;
}

const NONDETERMINISTIC_GLOBALS = new Set(['Date', 'performance', 'crypto', 'fetch']);

/** Parses the source and collects {@link SourceFacts}. Throws the parser's SyntaxError. */
export function sourceFacts(source: string, language: ToolLanguage): SourceFacts {
  const program = parseSource(source, language);
  markPatternProperties(program);
  const fetchCalls: { start: number; end: number }[] = [];
  const fetchBlockers: string[] = [];
  const names = new Set<string>();
  const impureUses: string[] = [];
  let defaultExport: SourceNode | undefined;

  visitNodes(program, (node, parent, key) => {
    if (node.type === 'ExportDefaultDeclaration') defaultExport = node;
    if (node.type === 'MemberExpression' && !node['computed']) {
      const object = node['object'] as SourceNode;
      const property = node['property'] as SourceNode;
      if (object.type === 'Identifier' && object['name'] === 'Math' && property['name'] === 'random') impureUses.push(`Math.random at line ${lineOf(source, node.start)}`);
      if (object.type === 'Identifier' && object['name'] === 'globalThis' && property['name'] === 'fetch') {
        fetchBlockers.push(`globalThis.fetch is used at line ${lineOf(source, node.start)}; only direct fetch(...) calls are rewritten`);
      }
    }
    if (node.type !== 'Identifier') return;
    const name = node['name'] as string;
    names.add(name);
    if (!isReference(node, parent, key)) {
      if (name === 'fetch' && isBinding(parent, key)) fetchBlockers.push(`the module declares its own "fetch" at line ${lineOf(source, node.start)}`);
      return;
    }
    if (NONDETERMINISTIC_GLOBALS.has(name)) impureUses.push(`${name} at line ${lineOf(source, node.start)}`);
    if (name !== 'fetch') return;
    if (parent?.type === 'CallExpression' && key === 'callee') fetchCalls.push({ start: node.start, end: node.end });
    else fetchBlockers.push(`fetch is used as a value at line ${lineOf(source, node.start)}; only direct fetch(...) calls are rewritten`);
  });

  return { source, language, program, fetchCalls, fetchBlockers: [...new Set(fetchBlockers)], names, impureUses, defaultExport };
}

/** True when an Identifier is read as a variable (not a property name, a key, a declaration or a type). */
function isReference(node: SourceNode, parent: SourceNode | undefined, key: string | undefined): boolean {
  if (parent === undefined) return true;
  if (parent.type.startsWith('TS')) return false;
  switch (parent.type) {
    case 'MemberExpression':
      return key !== 'property' || parent['computed'] === true;
    case 'Property':
      if (key === 'key') return parent['computed'] === true || (parent['shorthand'] === true && !isPatternProperty(parent));
      return true;
    case 'MethodDefinition':
    case 'PropertyDefinition':
      return key !== 'key' || parent['computed'] === true;
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
    case 'ImportSpecifier':
    case 'ImportDefaultSpecifier':
    case 'ImportNamespaceSpecifier':
    case 'ExportSpecifier':
    case 'MetaProperty':
      return false;
    default:
      return !isBinding(parent, key);
  }
}

/** True when the Identifier under `parent[key]` declares a name. */
function isBinding(parent: SourceNode | undefined, key: string | undefined): boolean {
  if (parent === undefined) return false;
  switch (parent.type) {
    case 'VariableDeclarator':
      return key === 'id';
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return key === 'id' || key === 'params';
    case 'ClassDeclaration':
    case 'ClassExpression':
      return key === 'id';
    case 'CatchClause':
      return key === 'param';
    case 'AssignmentPattern':
      return key === 'left';
    case 'ArrayPattern':
    case 'RestElement':
      return true;
    case 'Property':
      return key === 'value' && isPatternProperty(parent);
    default:
      return false;
  }
}

/** Properties of destructuring patterns are marked by the walker below (acorn does not say). */
function isPatternProperty(property: SourceNode): boolean {
  return (property as { [PATTERN]?: boolean })[PATTERN] === true;
}

const PATTERN = Symbol('pattern-property');

/** Marks the properties of every ObjectPattern, so bindings in destructuring are told from object literals. */
function markPatternProperties(program: SourceNode): void {
  visitNodes(program, (node) => {
    if (node.type !== 'ObjectPattern') return;
    for (const property of node['properties'] as SourceNode[]) (property as { [PATTERN]?: boolean })[PATTERN] = true;
  });
}
