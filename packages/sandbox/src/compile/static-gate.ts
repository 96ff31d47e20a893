import { parse, tokenizer, tokTypes, type AnyNode, type Expression, type Node, type Program, type Super } from 'acorn';
import { ancestor } from 'acorn-walk';

/**
 * The rules of the static gate. Each names a construct a tool has no business using; the
 * isolate is the real boundary, the gate is defence in depth and a clear early message.
 */
export const STATIC_GATE_RULES = {
  'no-import': 'import declarations and `export … from`: a tool is one self-contained module',
  'no-dynamic-import': 'dynamic `import()`',
  'no-import-meta': '`import.meta`',
  'no-eval': '`eval`',
  'no-function-constructor': 'the `Function` constructor (code generation from strings)',
  'no-constructor-access': 'reading `.constructor`, the usual first step of a prototype-chain climb',
  'no-with': 'the `with` statement',
  'no-host-globals': 'Node.js host globals (`process`, `require`, `Buffer`, `setInterval`, …), which do not exist in the sandbox (`setTimeout` and `clearTimeout` do)',
  'no-global-mutation': 'writing to, deleting from or redefining properties of `globalThis`',
  'no-prototype-tampering': '`__proto__`, `setPrototypeOf`, legacy accessor helpers, and writes to built-in prototypes',
  'no-stack-trace-api': 'V8 stack-trace hooks (`Error.prepareStackTrace`, `captureStackTrace`, `stackTraceLimit`)',
  'no-caller': '`.caller`, `.callee` and `.arguments` of functions',
  'no-debugger': 'the `debugger` statement',
  'no-forbidden-global': 'globals the sandbox removes (`SharedArrayBuffer`, `Atomics`, `WeakRef`, `FinalizationRegistry`, `WebAssembly`)',
  'no-top-level-await': 'top-level `await`: a tool does its work when it is called, not when it is loaded',
  'max-nesting-depth': 'nesting deeper than the gate reads: brackets more than 256 levels deep, or an expression chained more than 1,000 levels deep (operators, calls, property accesses)',
} as const;

/** How deep brackets (`(`, `[`, `{`, `${`) may nest. */
export const MAX_BRACKET_DEPTH = 256;
/** How deep the syntax tree may be (a chain of 1,000 `+` or `.x` is 1,000 deep). */
export const MAX_SYNTAX_DEPTH = 1_000;

/** What to do about a source nested too deeply, for every message that reports it. */
const NESTING_ADVICE = 'split it into smaller functions, named intermediate values, or data built in a loop';

/** The name of one static-gate rule. */
export type StaticGateRule = keyof typeof STATIC_GATE_RULES;

/** One place where the source breaks a rule. `line` is 1-based, `column` 0-based. */
export interface StaticGateViolation {
  readonly rule: StaticGateRule;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** What the gate found: the parsed program, or why the source cannot be loaded. */
export type StaticGateResult =
  | {
      readonly kind: 'ok';
      readonly program: Program;
      /** The line of the default export, or `undefined` when the module has none. */
      readonly defaultExportLine: number | undefined;
    }
  | { readonly kind: 'violations'; readonly violations: readonly StaticGateViolation[] }
  | { readonly kind: 'syntax-error'; readonly message: string; readonly line: number; readonly column: number };

/** Options of {@link checkStaticGate}. */
export interface StaticGateOptions {
  /** When true, `WebAssembly` is not a forbidden global. */
  readonly allowWebAssembly?: boolean;
}

const HOST_GLOBALS = new Set([
  'process',
  'require',
  'Buffer',
  'global',
  '__dirname',
  '__filename',
  'setInterval',
  'setImmediate',
  'clearInterval',
  'clearImmediate',
  'queueMicrotask',
]);
const FORBIDDEN_GLOBALS = new Set(['SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry', 'WebAssembly']);
const GLOBAL_OBJECT_NAMES = new Set(['globalThis', 'self', 'window', 'global']);
const PROTOTYPE_PROPERTIES = new Set([
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'setPrototypeOf',
]);
const STACK_TRACE_PROPERTIES = new Set(['prepareStackTrace', 'captureStackTrace', 'stackTraceLimit']);
const CALLER_PROPERTIES = new Set(['caller', 'callee', 'arguments']);
const REDEFINING_METHODS = new Set(['defineProperty', 'defineProperties', 'assign', 'setPrototypeOf', 'set', 'deleteProperty']);
const BUILTINS = new Set([
  'Object',
  'Function',
  'Array',
  'String',
  'Number',
  'Boolean',
  'Symbol',
  'BigInt',
  'Promise',
  'RegExp',
  'Date',
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'ArrayBuffer',
  'DataView',
  'Proxy',
  'Reflect',
  'JSON',
  'Math',
  'Intl',
  'Iterator',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]);
const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/** The statically known name of a member's property (`a.b`, `a['b']`, a`` a[`b`] ``), if any. */
function propertyName(property: Expression | Super | { type: 'PrivateIdentifier'; name: string }, computed: boolean): string | undefined {
  if (!computed) return property.type === 'Identifier' ? property.name : undefined;
  if (property.type === 'Literal' && typeof property.value === 'string') return property.value;
  if (property.type === 'TemplateLiteral' && property.expressions.length === 0) return property.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The identifier at the root of a member chain (`a` in `a.b.c`), and whether the chain passes `.prototype`. */
function memberRoot(node: AnyNode): { root: string | undefined; throughPrototype: boolean } {
  let current: AnyNode = node;
  let throughPrototype = false;
  while (current.type === 'MemberExpression') {
    if (propertyName(current.property, current.computed) === 'prototype') throughPrototype = true;
    current = current.object;
  }
  return { root: current.type === 'Identifier' ? current.name : undefined, throughPrototype };
}

function parseModule(source: string): Program {
  return parse(source, { ecmaVersion: 'latest', sourceType: 'module', locations: true });
}

/**
 * Parses `source` as an ES module and checks it against every {@link STATIC_GATE_RULES rule}.
 * A source that does not parse as a module is parsed once more as a sloppy script, so that
 * constructs strict code cannot even express (`with`) are still reported by rule and line.
 *
 * @example
 * ```ts
 * const result = checkStaticGate('export default () => eval("1")');
 * // { kind: 'violations', violations: [{ rule: 'no-eval', line: 1, column: 22, message: … }] }
 * ```
 */
export function checkStaticGate(source: string, options: StaticGateOptions = {}): StaticGateResult {
  const brackets = bracketDepthViolation(source);
  if (brackets !== undefined) return { kind: 'violations', violations: [brackets] };
  let program: Program;
  try {
    program = parseModule(source);
  } catch (error) {
    const syntax = describeSyntaxError(error);
    if (isStackExhaustion(error)) return { kind: 'violations', violations: [nestingViolation(syntax.line, syntax.column, 'nests too deeply for the gate to read')] };
    try {
      const script = parse(source, {
        ecmaVersion: 'latest',
        sourceType: 'script',
        locations: true,
        allowImportExportEverywhere: true,
        allowAwaitOutsideFunction: true,
        allowReturnOutsideFunction: true,
      });
      const violations = findViolations(script, options);
      if (violations.length > 0) return { kind: 'violations', violations };
    } catch {
      // Not even a script: the module syntax error stands.
    }
    return { kind: 'syntax-error', ...syntax };
  }
  const violations = findViolations(program, options);
  if (violations.length > 0) return { kind: 'violations', violations };
  return { kind: 'ok', program, defaultExportLine: defaultExportLine(program) };
}

/** True for the errors a parser gives when a source nests deeper than its stack (acorn's own message, or V8's RangeError). */
export function isStackExhaustion(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /not enough stack space|maximum call stack size exceeded|too much recursion/i.test(message);
}

export function nestingViolation(line: number, column: number, what: string): StaticGateViolation {
  return { rule: 'max-nesting-depth', line, column, message: `${what}; ${NESTING_ADVICE} (max-nesting-depth)` };
}

/**
 * Brackets nested deeper than {@link MAX_BRACKET_DEPTH}, found with acorn's tokenizer (which
 * tells a regular expression from a division, and reads strings, templates and comments) in
 * one pass without recursion, before any parser recurses into them. A source the tokenizer
 * cannot read (TypeScript-only syntax) is left to the parsers.
 */
export function bracketDepthViolation(source: string): StaticGateViolation | undefined {
  let depth = 0;
  try {
    for (const token of tokenizer(source, { ecmaVersion: 'latest', sourceType: 'module', locations: true, allowHashBang: true })) {
      const type = token.type;
      if (type === tokTypes.parenL || type === tokTypes.bracketL || type === tokTypes.braceL || type === tokTypes.dollarBraceL) {
        depth += 1;
        if (depth > MAX_BRACKET_DEPTH) {
          const start = token.loc?.start;
          return nestingViolation(start?.line ?? 1, start?.column ?? 0, `nests brackets more than ${MAX_BRACKET_DEPTH} levels deep`);
        }
      } else if (type === tokTypes.parenR || type === tokTypes.bracketR || type === tokTypes.braceR) {
        depth = Math.max(0, depth - 1);
      }
    }
  } catch {
    // Not plain JavaScript (TypeScript syntax, or an error the parsers report with its line).
  }
  return undefined;
}

/** The first node deeper than {@link MAX_SYNTAX_DEPTH} in the tree, found without recursion. */
function tooDeepNode(program: Program): Node | undefined {
  const stack: [Node, number][] = [[program, 1]];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [node, depth] = entry;
    if (depth > MAX_SYNTAX_DEPTH) return node;
    for (const key in node) {
      if (key === 'loc' || key === 'type') continue;
      const value = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) stack.push([item, depth + 1]);
      } else if (isNode(value)) stack.push([value, depth + 1]);
    }
  }
  return undefined;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function describeSyntaxError(error: unknown): { message: string; line: number; column: number } {
  const loc = (error as { loc?: { line?: unknown; column?: unknown } }).loc;
  const line = typeof loc?.line === 'number' ? loc.line : 1;
  const column = typeof loc?.column === 'number' ? loc.column : 0;
  const message = error instanceof Error ? error.message : String(error);
  return { message, line, column };
}

function defaultExportLine(program: Program): number | undefined {
  const statement = program.body.find(
    (statement) =>
      statement.type === 'ExportDefaultDeclaration' ||
      (statement.type === 'ExportNamedDeclaration' &&
        statement.specifiers.some((specifier) => {
          const exported = specifier.exported;
          return exported.type === 'Identifier' ? exported.name === 'default' : exported.value === 'default';
        })),
  );
  return statement?.loc?.start.line;
}

function findViolations(program: Program, options: StaticGateOptions): StaticGateViolation[] {
  const deep = tooDeepNode(program);
  if (deep !== undefined) {
    const start = deep.loc?.start;
    return [nestingViolation(start?.line ?? 1, start?.column ?? 0, `nests expressions more than ${MAX_SYNTAX_DEPTH} levels deep`)];
  }
  try {
    return walkForViolations(program, options);
  } catch (error) {
    // The walker recurses; the depth check above keeps it within the stack, and this keeps a
    // stack that is shallower than expected from ending as a bare RangeError.
    if (isStackExhaustion(error)) return [nestingViolation(1, 0, 'nests too deeply for the gate to read')];
    throw error;
  }
}

function walkForViolations(program: Program, options: StaticGateOptions): StaticGateViolation[] {
  const violations: StaticGateViolation[] = [];
  const report = (rule: StaticGateRule, node: Node, what: string): void => {
    const start = node.loc?.start;
    violations.push({ rule, line: start?.line ?? 1, column: start?.column ?? 0, message: `${what} (${rule})` });
  };
  const forbidden = (name: string): boolean => FORBIDDEN_GLOBALS.has(name) && !(name === 'WebAssembly' && options.allowWebAssembly === true);
  const checkPropertyName = (name: string | undefined, node: Node): void => {
    if (name === undefined) return;
    if (name === 'constructor') report('no-constructor-access', node, 'reads `.constructor`');
    else if (PROTOTYPE_PROPERTIES.has(name)) report('no-prototype-tampering', node, `uses \`${name}\``);
    else if (STACK_TRACE_PROPERTIES.has(name)) report('no-stack-trace-api', node, `uses \`${name}\``);
    else if (CALLER_PROPERTIES.has(name)) report('no-caller', node, `reads \`.${name}\``);
  };
  const checkWriteTarget = (target: AnyNode, node: Node, verb: string): void => {
    if (target.type !== 'MemberExpression') return;
    const { root, throughPrototype } = memberRoot(target);
    if (root !== undefined && GLOBAL_OBJECT_NAMES.has(root)) report('no-global-mutation', node, `${verb} a property of \`${root}\``);
    else if (root !== undefined && throughPrototype && BUILTINS.has(root)) {
      report('no-prototype-tampering', node, `${verb} a property of \`${root}.prototype\``);
    }
  };

  ancestor(program, {
    Identifier(node) {
      const name = node.name;
      if (name === 'eval') report('no-eval', node, 'uses `eval`');
      else if (name === 'Function') report('no-function-constructor', node, 'uses the `Function` constructor');
      else if (HOST_GLOBALS.has(name)) report('no-host-globals', node, `uses the host global \`${name}\`, which does not exist in the sandbox`);
      else if (forbidden(name)) report('no-forbidden-global', node, `uses \`${name}\`, which the sandbox removes`);
    },
    MemberExpression(node) {
      checkPropertyName(propertyName(node.property, node.computed), node);
    },
    ObjectPattern(node) {
      for (const property of node.properties) {
        if (property.type === 'Property') checkPropertyName(propertyName(property.key, property.computed), property);
      }
    },
    Property(node) {
      if (node.kind === 'init' && !node.computed && !node.shorthand && propertyName(node.key, false) === '__proto__') {
        report('no-prototype-tampering', node, 'sets a prototype with a `__proto__` literal key');
      }
      const name = propertyName(node.key, node.computed);
      if (name !== undefined && STACK_TRACE_PROPERTIES.has(name)) report('no-stack-trace-api', node, `defines \`${name}\``);
    },
    ImportDeclaration(node) {
      report('no-import', node, `imports "${String(node.source.value)}"`);
    },
    ExportAllDeclaration(node) {
      report('no-import', node, `re-exports "${String(node.source.value)}"`);
    },
    ExportNamedDeclaration(node) {
      if (node.source) report('no-import', node, `re-exports "${String(node.source.value)}"`);
    },
    ImportExpression(node) {
      report('no-dynamic-import', node, 'uses dynamic `import()`');
    },
    MetaProperty(node) {
      if (node.meta.name === 'import') report('no-import-meta', node, 'uses `import.meta`');
    },
    WithStatement(node) {
      report('no-with', node, 'uses a `with` statement');
    },
    DebuggerStatement(node) {
      report('no-debugger', node, 'uses a `debugger` statement');
    },
    AwaitExpression(node, _state, ancestors) {
      if (!ancestors.some((ancestorNode) => FUNCTION_TYPES.has(ancestorNode.type))) {
        report('no-top-level-await', node, 'awaits at the top level');
      }
    },
    ForOfStatement(node, _state, ancestors) {
      if (node.await && !ancestors.some((ancestorNode) => FUNCTION_TYPES.has(ancestorNode.type))) {
        report('no-top-level-await', node, 'awaits at the top level');
      }
    },
    AssignmentExpression(node) {
      checkWriteTarget(node.left, node, 'writes');
    },
    UpdateExpression(node) {
      checkWriteTarget(node.argument, node, 'writes');
    },
    UnaryExpression(node) {
      if (node.operator === 'delete') checkWriteTarget(node.argument, node, 'deletes');
    },
    CallExpression(node) {
      const callee = node.callee;
      if (callee.type !== 'MemberExpression') return;
      const method = propertyName(callee.property, callee.computed);
      if (method === undefined || !REDEFINING_METHODS.has(method)) return;
      if (callee.object.type !== 'Identifier' || (callee.object.name !== 'Object' && callee.object.name !== 'Reflect')) return;
      const first = node.arguments[0];
      if (first === undefined || first.type === 'SpreadElement') return;
      if (first.type === 'Identifier' && GLOBAL_OBJECT_NAMES.has(first.name)) {
        report('no-global-mutation', node, `redefines properties of \`${first.name}\``);
        return;
      }
      if (first.type !== 'MemberExpression') return;
      const { root, throughPrototype } = memberRoot(first);
      if (root !== undefined && GLOBAL_OBJECT_NAMES.has(root)) {
        report('no-global-mutation', node, `redefines properties of an object reached through \`${root}\``);
      } else if (root !== undefined && throughPrototype && BUILTINS.has(root)) {
        report('no-prototype-tampering', node, `redefines properties of \`${root}.prototype\``);
      }
    },
  });
  return violations.sort((a, b) => a.line - b.line || a.column - b.column);
}
