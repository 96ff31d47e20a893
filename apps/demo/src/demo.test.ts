import { contentHash } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';

describe('demo (foundation stage)', () => {
  it('validates and hashes a tool spec, refuses an invalid one with a code, and drives a scripted turn', async () => {
    const report = await runDemo();
    expect(report.tool.name).toBe('total_fares');
    expect(report.tool.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(report.rejected.code).toBe('INVALID_ARGUMENT');
    expect(report.rejected.message).toContain('snake_case');
    expect(report.modelTurn).toEqual({ toolCalls: ['total_fares'], inputTokens: 120, outputTokens: 14 });
  });

  it('is deterministic: the same spec hashes the same on every run', async () => {
    const [first, second] = await Promise.all([runDemo(), runDemo()]);
    expect(first.tool.contentHash).toBe(second.tool.contentHash);
    expect(first.tool.contentHash).not.toBe(contentHash({}));
  });
});
