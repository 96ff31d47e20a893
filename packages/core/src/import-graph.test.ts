import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The shape of core's module graph, checked on the sources (what `madge --circular` checks,
// with no tool to install): no import circle, type-only imports included; and the main entry
// never reaches the `openai` client, which only the `@toolwright/core/openai` subpath loads.
const SOURCE = dirname(fileURLToPath(import.meta.url));
const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

const graph = new Map<string, { relative: string[]; bare: string[] }>();
for (const file of sourceFiles(SOURCE)) {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(IMPORT)].map((match) => match[1] as string);
  graph.set(file, {
    relative: specifiers.filter((specifier) => specifier.startsWith('.')).map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))),
    bare: specifiers.filter((specifier) => !specifier.startsWith('.')),
  });
}
const name = (file: string): string => relative(SOURCE, file);

/** The import circles: strongly connected components of more than one file, or a file importing itself (Tarjan). */
function stronglyConnected(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const components: string[][] = [];
  const connect = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file) as number);
    stack.push(file);
    for (const target of graph.get(file)?.relative ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (stack.includes(target)) {
        low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop() as string;
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)?.relative.includes(file)) components.push(component);
  };
  for (const file of graph.keys()) if (!index.has(file)) connect(file);
  return components;
}

describe("core's module graph", () => {
  it('resolves every relative import to a source file', () => {
    const missing = [...graph].flatMap(([file, imports]) => imports.relative.filter((target) => !graph.has(target)).map((target) => `${name(file)} → ${name(target)}`));
    expect(missing).toEqual([]);
  });

  it('has no import circle (type-only imports count)', () => {
    expect(stronglyConnected().map((files) => files.map(name).sort())).toEqual([]);
  });

  it('keeps the openai client out of the main entry', () => {
    const reached = new Set<string>();
    const walk = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const target of graph.get(file)?.relative ?? []) walk(target);
    };
    walk(join(SOURCE, 'index.ts'));
    const loadsOpenai = [...reached].filter((file) => graph.get(file)?.bare.some((specifier) => specifier === 'openai' || specifier.startsWith('openai/')));
    expect(loadsOpenai.map(name)).toEqual([]);
    expect([...reached].map(name)).not.toContain('providers/openai-model.ts');
  });

  it('keeps every file of the agent folder under 250 lines', () => {
    const long = [...graph.keys()]
      .filter((file) => name(file).startsWith('agent/'))
      .map((file) => [name(file), readFileSync(file, 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 250);
    expect(long).toEqual([]);
  });
});
