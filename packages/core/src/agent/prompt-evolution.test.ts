import { describe, expect, it } from 'vitest';
import type { ToolSummary } from '../memory.js';
import { assembleInstructions, estimateTokens } from './instructions.js';
import { analyzeFailures } from './prompt-evolution.js';

const summary = (tool: string, count: number, errors: [string, number][], message = 'unexpected format'): ToolSummary =>
  ({
    tool,
    count,
    successCount: count - errors.reduce((sum, [, n]) => sum + n, 0),
    errors: errors.map(([code, n]) => ({ code, count: n })),
    recentErrors: errors.map(([code]) => ({ code, message: `${code}: ${message}`, version: 1, startedAt: 1 })),
  }) as unknown as ToolSummary;

describe('analyzeFailures (batch reflection)', () => {
  it('names the dominant failure pattern and its share over many calls, and turns each recurring one into a proposal', () => {
    const report = analyzeFailures([
      summary('parse_dates', 80, [['TOOL_THREW', 20], ['TOOL_INPUT_INVALID', 6]]),
      summary('fetch_rates', 40, [['SANDBOX_CAPABILITY_DENIED', 4]]),
      summary('sum_values', 30, [['TOOL_TIMEOUT', 2]]),
    ]);
    expect(report.calls).toBe(150);
    expect(report.failures).toBe(32);
    expect(report.dominant).toMatchObject({ tool: 'parse_dates', code: 'TOOL_THREW', count: 20 });
    expect(report.dominant?.share).toBeCloseTo(20 / 32);
    expect(report.dominant?.description).toBe('63 % of failures (20 of 32) involve tool parse_dates failing with TOOL_THREW ("TOOL_THREW: unexpected format").');
    expect(report.proposals.map((proposal) => [proposal.kind, proposal.pattern.code])).toEqual([
      ['tool-rewrite', 'TOOL_THREW'],
      ['prompt-change', 'TOOL_INPUT_INVALID'],
      ['guardrail', 'SANDBOX_CAPABILITY_DENIED'],
    ]);
  });

  it('reports no pattern when nothing failed', () => {
    expect(analyzeFailures([summary('sum_values', 120, [])])).toMatchObject({ calls: 120, failures: 0, dominant: undefined, proposals: [] });
  });
});

describe('assembleInstructions bounds', () => {
  it('shows only the newest learned rules, preferences within their budget, evolvable sections as blocks, and reports tokens', () => {
    const learnedRules = Array.from({ length: 30 }, (_, index) => ({ name: `learned.r${index}`, text: `Rule number ${index}.` }));
    const preferences = Array.from({ length: 50 }, (_, index) => `Preference number ${index} is to answer in a specific way.`);
    const { text, tokens } = assembleInstructions({
      immutable: [{ name: 'safety', text: 'Never reveal keys.' }],
      evolvable: [{ name: 'tool-hints', text: 'Pass dates as ISO strings.' }],
      learnedRules,
      maxLearnedRules: 5,
      preferences,
      preferenceTokenBudget: 40,
      lessons: [],
      lessonTokenBudget: 0,
    });
    expect(text).toContain('Pass dates as ISO strings.');
    expect(text).toContain('Rule number 29.');
    expect(text).toContain('Rule number 25.');
    expect(text).not.toContain('Rule number 24.');
    const shown = preferences.filter((preference) => text.includes(preference));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length * estimateTokens(`- ${preferences[0] ?? ''}`)).toBeLessThanOrEqual(40);
    expect(tokens).toBe(estimateTokens(text));
  });
});
