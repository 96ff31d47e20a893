import type { Rewriter } from '@toolwright/core';
import { ScriptedModel } from '@toolwright/core/testing';
import { describe, expect, it } from 'vitest';
import { createToolwright } from './create-toolwright.js';

// A failing improvement cycle never fails a run: in the background, and awaited.
const TOOL = {
  name: 'half_of',
  description: 'Halves a number.',
  inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  source: 'export default ({ n }: { n: number }) => { if (n < 0) throw new Error("negative"); return n / 2; };',
  examples: [{ input: { n: 4 }, output: 2 }],
};
const explodingRewriter: Rewriter = {
  async propose() {
    throw new Error('the rewriter exploded');
  },
};

for (const inBackground of [true, false]) {
  describe(`a failing improvement cycle (${inBackground ? 'in the background' : 'awaited'})`, () => {
    it('is reported as failed, and the run still answers', async () => {
      const model = new ScriptedModel({
        script: [
          { toolCalls: [{ name: 'create_tool', input: TOOL }] },
          { toolCalls: [{ name: 'half_of', input: { n: -1 } }] },
          { toolCalls: [{ name: 'half_of', input: { n: -2 } }] },
          { toolCalls: [{ name: 'half_of', input: { n: -3 } }] },
          { text: 'done' },
        ],
      });
      const events: { type: string; outcome?: string }[] = [];
      const tw = await createToolwright({
        database: 'sqlite::memory:',
        model,
        rewriter: explodingRewriter,
        improve: { everyNCalls: 3, inBackground, lastN: 10 },
        reflect: false,
        onEvent: (event) => events.push(event.type === 'improvement' ? { type: event.type, outcome: event.report.tools[0]?.outcome ?? 'none' } : { type: event.type }),
      });
      try {
        const result = await tw.run('Halve these', { input: { n: -1 } });
        expect(result.output).toBe('done');
        await tw.idle();
        expect(events).toContainEqual({ type: 'improvement', outcome: 'failed' });
        const audit = await tw.memory.auditLog({ artifact: 'half_of' });
        expect(audit.find((entry) => entry.action === 'improve.failed')?.reason).toContain('the rewriter exploded');
      } finally {
        await tw.close();
      }
    });
  });
}
