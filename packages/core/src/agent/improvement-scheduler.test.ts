import { describe, expect, it } from 'vitest';
import { createBackgroundWork } from './background.js';
import { createImprovementScheduler } from './improvement-scheduler.js';

describe('the improvement scheduler', () => {
  it('starts a cycle for a tool every N calls of it, in the background', async () => {
    const started: string[] = [];
    const background = createBackgroundWork();
    const waiting: (() => void)[] = [];
    const scheduler = createImprovementScheduler({
      schedule: { everyNCalls: 2, inBackground: true },
      improve: (tool) =>
        new Promise<void>((resolve) => {
          started.push(tool);
          waiting.push(resolve);
        }),
      background,
    });
    for (const tool of ['a', 'b', 'a', 'a', 'b', 'a']) await scheduler.called(tool);
    expect(started).toEqual(['a', 'b', 'a']);
    expect(background.pending).toBe(3);
    for (const release of waiting) release();
    await background.idle();
    expect(background.pending).toBe(0);
  });

  it('awaits the cycle when not in the background, and a failing cycle never rejects the call', async () => {
    const order: string[] = [];
    const scheduler = createImprovementScheduler({
      schedule: { everyNCalls: 1, inBackground: false },
      improve: async (tool) => {
        order.push(`cycle ${tool}`);
        throw new Error('the rewriter exploded');
      },
      background: createBackgroundWork(),
    });
    await scheduler.called('a');
    order.push('call returned');
    expect(order).toEqual(['cycle a', 'call returned']);
  });

  it('never starts a cycle with schedule false', async () => {
    const started: string[] = [];
    const scheduler = createImprovementScheduler({ schedule: false, improve: async (tool) => void started.push(tool), background: createBackgroundWork() });
    for (let index = 0; index < 20; index++) await scheduler.called('a');
    expect(started).toEqual([]);
  });
});
