import type { RegisterInput, ToolManifest } from '@toolwright/core';

/** A tool manifest for `name`. */
export function manifest(name = 'total_fares', overrides: Partial<ToolManifest> = {}): ToolManifest {
  return {
    name,
    description: 'Sums a list of fares',
    inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] },
    language: 'ts',
    capabilities: [],
    examples: [{ input: { fares: [1, 2] }, output: 3 }],
    ...overrides,
  };
}

/** A tool source whose body differs by `variant`. */
export function source(variant = 0): string {
  return `export default ({ fares }: { fares: number[] }) => fares.reduce((sum, fare) => sum + fare, ${variant});\n`;
}

/** A register() input for a tool version. */
export function toolInput(name = 'total_fares', variant = 0, overrides: Partial<RegisterInput> = {}): RegisterInput {
  return {
    kind: 'tool',
    name,
    source: source(variant),
    spec: manifest(name),
    author: { kind: 'model', id: 'gpt-4o-mini' },
    reason: `variant ${variant}`,
    parent: null,
    ...overrides,
  };
}

/** A register() input for a prompt section. */
export function sectionInput(name = 'rules.fares', text = 'Always answer in cents.', overrides: Partial<RegisterInput> = {}): RegisterInput {
  return { kind: 'prompt-section', name, source: text, author: { kind: 'person', id: 'ana' }, reason: 'house rule', parent: null, ...overrides };
}
