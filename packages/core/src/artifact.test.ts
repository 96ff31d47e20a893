import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  artifactVersionSchema,
  canTransition,
  capabilitySchema,
  MAX_SOURCE_LENGTH,
  splitToolSpec,
  toolSpecOf,
  toolSpecSchema,
  VERSION_TRANSITIONS,
  type ArtifactVersion,
} from './artifact.js';
import { contentHash } from './hash.js';

const validSpec = {
  name: 'total_fares',
  description: 'Sums a list of fares.',
  inputSchema: z.toJSONSchema(z.object({ fares: z.array(z.number()) })),
  source: 'export default ({ fares }: { fares: number[] }) => fares.reduce((a, b) => a + b, 0);',
  examples: [{ input: { fares: [1, 2] }, output: 3 }],
};

describe('toolSpecSchema', () => {
  it('accepts a complete spec and fills in defaults', () => {
    const spec = toolSpecSchema.parse(validSpec);
    expect(spec.language).toBe('ts');
    expect(spec.capabilities).toEqual([]);
    expect(spec.inputSchema['type']).toBe('object');
  });

  it.each([
    ['a name that is not snake_case', { name: 'Total-Fares' }, 'snake_case'],
    ['a name longer than 64 characters', { name: `t${'x'.repeat(64)}` }, 'snake_case'],
    ['an empty description', { description: '' }, 'describe what the tool does'],
    ['an input schema that is not an object schema', { inputSchema: { type: 'array' } }, 'must describe an object'],
    ['an empty source', { source: '' }, 'the source is empty'],
    ['a source over the size limit', { source: 'x'.repeat(MAX_SOURCE_LENGTH + 1) }, 'exceeds'],
    ['an unknown language', { language: 'python' }, 'language'],
    ['an unknown field', { eval: true }, 'eval'],
    ['an example whose output is not JSON', { examples: [{ input: 1, output: undefined }] }, 'output'],
  ])('rejects %s', (_what, change, message) => {
    const result = toolSpecSchema.safeParse({ ...validSpec, ...change });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(message);
  });
});

describe('capabilitySchema', () => {
  it('accepts fetch limited to origins', () => {
    expect(capabilitySchema.parse({ kind: 'fetch', origins: ['http://127.0.0.1:8080', 'https://api.example.com'] })).toEqual({
      kind: 'fetch',
      origins: ['http://127.0.0.1:8080', 'https://api.example.com'],
    });
  });

  it.each([
    ['a path after the origin', 'https://api.example.com/v1'],
    ['a trailing slash', 'https://api.example.com/'],
    ['a non-http scheme', 'file:///etc/passwd'],
    ['credentials', 'https://user:pw@api.example.com'],
    ['a bare host', 'api.example.com'],
  ])('refuses an origin with %s', (_what, origin) => {
    expect(capabilitySchema.safeParse({ kind: 'fetch', origins: [origin] }).success).toBe(false);
  });

  it('accepts a fallback between two listed origins and refuses one naming an unlisted origin', () => {
    const origins = ['http://127.0.0.1:8080', 'http://127.0.0.1:8081'];
    const fallbacks = { 'http://127.0.0.1:8080': 'http://127.0.0.1:8081' };
    expect(capabilitySchema.parse({ kind: 'fetch', origins, fallbacks })).toEqual({ kind: 'fetch', origins, fallbacks });
    expect(capabilitySchema.safeParse({ kind: 'fetch', origins: [origins[0]], fallbacks }).success).toBe(false);
    expect(capabilitySchema.safeParse({ kind: 'fetch', origins, fallbacks: { 'http://127.0.0.1:8080': 'http://127.0.0.1:8080' } }).success).toBe(false);
    expect(capabilitySchema.safeParse({ kind: 'fetch', origins, fallbacks: { 'not an origin': origins[1] } }).success).toBe(false);
  });

  it('refuses an empty allow-list and unknown capability kinds', () => {
    expect(capabilitySchema.safeParse({ kind: 'fetch', origins: [] }).success).toBe(false);
    expect(capabilitySchema.safeParse({ kind: 'fs', paths: ['/'] }).success).toBe(false);
  });
});

describe('artifact versions', () => {
  const { manifest, source } = splitToolSpec(toolSpecSchema.parse(validSpec));
  const version: ArtifactVersion = {
    kind: 'tool',
    name: 'total_fares',
    version: 1,
    source,
    spec: manifest,
    contentHash: contentHash({ kind: 'tool', name: 'total_fares', source, spec: manifest }),
    parent: null,
    author: { kind: 'model', id: 'gpt-4o-mini' },
    reason: 'new capability',
    status: 'candidate',
    pinned: false,
    createdAt: 1_700_000_000_000,
  };

  it('accepts a tool version and round-trips its spec', () => {
    expect(artifactVersionSchema.parse(version)).toEqual(version);
    expect(toolSpecOf(version)).toEqual(toolSpecSchema.parse(validSpec));
  });

  it('requires a spec on tools and none on prompt sections', () => {
    expect(artifactVersionSchema.safeParse({ ...version, spec: undefined }).success).toBe(false);
    expect(artifactVersionSchema.safeParse({ ...version, kind: 'prompt-section' }).success).toBe(false);
    expect(
      artifactVersionSchema.safeParse({ ...version, kind: 'prompt-section', name: 'house-rules', spec: undefined }).success,
    ).toBe(true);
  });

  it("refuses a tool version whose spec names another tool, and a malformed hash", () => {
    expect(artifactVersionSchema.safeParse({ ...version, name: 'other_tool' }).success).toBe(false);
    expect(artifactVersionSchema.safeParse({ ...version, contentHash: 'abc' }).success).toBe(false);
  });

  it('gives no tool spec for a prompt section', () => {
    expect(() => toolSpecOf({ kind: 'prompt-section', name: 'house-rules', source: 'Be kind.', spec: undefined })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('allows exactly the documented status transitions', () => {
    expect(canTransition('candidate', 'active')).toBe(true);
    expect(canTransition('candidate', 'rejected')).toBe(true);
    expect(canTransition('active', 'retired')).toBe(true);
    expect(canTransition('retired', 'active')).toBe(true);
    expect(canTransition('rejected', 'active')).toBe(false);
    expect(canTransition('active', 'candidate')).toBe(false);
    expect(Object.isFrozen(VERSION_TRANSITIONS)).toBe(true);
  });
});
