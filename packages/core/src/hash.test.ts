import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash, sha256 } from './hash.js';

describe('canonicalJson and contentHash', () => {
  it('ignores key order and undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null }, e: undefined })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    expect(contentHash({ b: 1, a: 2 })).toBe(contentHash({ a: 2, b: 1 }));
  });

  it('distinguishes values that differ', () => {
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: '1' }));
    expect(contentHash([1, 2])).not.toBe(contentHash([2, 1]));
    expect(contentHash('a b')).not.toBe(contentHash('a  b'));
  });

  it('is SHA-256 of the canonical text', () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(contentHash({ a: 1 })).toBe(sha256('{"a":1}'));
  });

  it('refuses values JSON cannot represent instead of hashing something lossy', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => contentHash(cyclic)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => contentHash({ n: Number.NaN })).toThrow(/value\.n: NaN is not representable/);
    expect(() => contentHash({ f: () => 1 })).toThrow(/a function is not representable/);
    expect(() => contentHash(10n)).toThrow(/bigint/);
  });

  it('hashes shared (non-cyclic) references', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});
