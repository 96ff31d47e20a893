import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonValue } from '@toolwright/core';
import { offlineModel, type OfflineModelEvent } from '@toolwright/offline';
import { afterAll, describe, expect, it } from 'vitest';
import { createToolwright } from './create-toolwright.js';

// Issue 20: a brand-new agent learns its first dozen tools on ONE database, as a real user's
// agent does — not a fresh database per task. Everything is real: the SQLite file, the
// isolated-vm sandbox, the default safety policy (trajectory guards included), the offline model.
// Each task is given with three or four examples through the public API. The issue asks that
// each be solved or refused for a reason that is not a throttle; this test asks more — every
// one solved, with the right answer — and checks that no throttle refused anything. It runs
// well within a minute (vitest's 60 s test timeout for this package bounds it; no timed assertion).

const directory = mkdtempSync(join(tmpdir(), 'toolwright-first-dozen-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

interface Fare {
  readonly price: number;
  readonly carrier: string;
  readonly stops: number;
}
interface Payment {
  readonly amount: number;
  readonly quantity: number;
}

const fare = (price: number, carrier: string, stops: number): Fare => ({ price, carrier, stops });
const FARE_SETS: readonly (readonly Fare[])[] = [
  [fare(229.92, 'BA', 0), fare(360.67, 'AF', 1), fare(118.4, 'BA', 0), fare(512.1, 'EK', 2)],
  [fare(89.99, 'VY', 0), fare(640, 'BA', 1), fare(301.2, 'TP', 0)],
  [fare(74.5, 'FR', 0), fare(300, 'FR', 1), fare(455.35, 'AA', 0), fare(143.2, 'U2', 0), fare(398.75, 'QR', 1)],
  [fare(812.45, 'JL', 1), fare(199.99, 'BA', 0), fare(250.05, 'AF', 0)],
];
const AGAIN_FARES: readonly Fare[] = FARE_SETS[3] ?? [];
const TASK_FARES: readonly Fare[] = [fare(120.5, 'BA', 0), fare(99.99, 'KL', 1), fare(450.1, 'BA', 0), fare(310.4, 'KL', 0), fare(275.25, 'LH', 2)];

const prices = (fares: readonly Fare[]): number[] => fares.map((item) => item.price);
const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
const ascending = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
const median = (values: readonly number[]): number => {
  const sorted = ascending(values);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
/** What "rounded to cents" means to a person: half away from zero on the decimal value (15 significant digits). */
const cents = (value: number): number => Math.sign(value) * Number(`${Math.round(Number(`${Number(Math.abs(value).toPrecision(15))}e2`))}e-2`);
/**
 * Examples for the cents task, one of them a half cent: the mean of 50.11 and 50.12 is 50.115 to
 * a person (50.12 in cents), computed as 50.114999999999995, where Math.round(x * 100) / 100 gives 50.11.
 */
const CENT_SETS: readonly (readonly Fare[])[] = [FARE_SETS[0] ?? [], [fare(50.11, 'BA', 0), fare(50.12, 'AF', 1)], FARE_SETS[2] ?? []];

interface Task {
  readonly text: string;
  readonly input: JsonValue;
  /** The right answer on `input`. */
  readonly expected: JsonValue;
  /** A second input, never seen in the examples, and the right answer on it. */
  readonly again: { readonly input: JsonValue; readonly expected: JsonValue };
  readonly examples: readonly { readonly input: JsonValue; readonly output: JsonValue }[];
}

/** A task over `{ fares }`, its examples and its expected answer computed by `truth`. */
function overFares(text: string, truth: (fares: readonly Fare[]) => JsonValue, sets: readonly (readonly Fare[])[] = FARE_SETS.slice(0, 3)): Task {
  return {
    text,
    input: { fares: TASK_FARES as unknown as JsonValue },
    expected: truth(TASK_FARES),
    again: { input: { fares: AGAIN_FARES as unknown as JsonValue }, expected: truth(AGAIN_FARES) },
    examples: sets.map((fares) => ({ input: { fares: fares as unknown as JsonValue }, output: truth(fares) })),
  };
}

const PAYMENT_SETS: readonly (readonly Payment[])[] = [
  [{ amount: 12.5, quantity: 2 }, { amount: 99.99, quantity: 1 }, { amount: 45, quantity: 3 }],
  [{ amount: 310.2, quantity: 1 }, { amount: 5.75, quantity: 4 }],
  [{ amount: 60, quantity: 1 }, { amount: 60.01, quantity: 2 }, { amount: 18.3, quantity: 5 }, { amount: 240, quantity: 1 }],
];
const TASK_PAYMENTS: readonly Payment[] = [{ amount: 77.7, quantity: 3 }, { amount: 12.05, quantity: 1 }, { amount: 140, quantity: 2 }];

const TASKS: readonly Task[] = [
  overFares('What is the average fare?', (fares) => sum(prices(fares)) / fares.length),
  overFares('What is the most expensive fare?', (fares) => Math.max(...prices(fares))),
  overFares('What do the three most expensive fares cost together?', (fares) => sum(ascending(prices(fares)).reverse().slice(0, 3))),
  overFares('How many fares cost less than 200?', (fares) => fares.filter((item) => item.price < 200).length),
  overFares('What is the spread between the dearest and the cheapest fare?', (fares) => Math.max(...prices(fares)) - Math.min(...prices(fares))),
  overFares('What is the median fare?', (fares) => median(prices(fares))),
  overFares('What are the three cheapest prices?', (fares) => ascending(prices(fares)).slice(0, 3)),
  overFares('What is the total fare per airline?', (fares) => {
    const totals: Record<string, number> = {};
    for (const item of fares) totals[item.carrier] = (totals[item.carrier] ?? 0) + item.price;
    return totals;
  }),
  overFares('How many fares are nonstop (0 stops)?', (fares) => fares.filter((item) => item.stops === 0).length),
  overFares('Which airlines are there?', (fares) => [...new Set(fares.map((item) => item.carrier))]),
  {
    text: 'What is the largest payment amount?',
    input: { payments: TASK_PAYMENTS as unknown as JsonValue },
    expected: Math.max(...TASK_PAYMENTS.map((payment) => payment.amount)),
    again: { input: { payments: [{ amount: 5, quantity: 1 }, { amount: 4.99, quantity: 9 }] }, expected: 5 },
    examples: PAYMENT_SETS.map((payments) => ({ input: { payments: payments as unknown as JsonValue }, output: Math.max(...payments.map((payment) => payment.amount)) })),
  },
  overFares('What do the fares above 300 add up to?', (fares) => sum(prices(fares).filter((price) => price > 300))),
  overFares('What is the average fare, rounded to cents?', (fares) => cents(sum(prices(fares)) / fares.length), CENT_SETS),
  overFares('What percentage of the fares are nonstop (0 stops), to a whole percent?', (fares) => Math.round((100 * fares.filter((item) => item.stops === 0).length) / fares.length)),
];

describe('a new agent learns its first dozen tools on one database (issue 20)', () => {
  it('solves every by-example task in a row, and none is refused by a throttle', async () => {
    const events: OfflineModelEvent[] = [];
    const tw = await createToolwright({
      database: `sqlite:${join(directory, 'one.sqlite')}`,
      // The search is bounded by its program count, not by a loaded machine's clock.
      model: offlineModel({ timeBudgetMs: 120_000, onEvent: (event) => events.push(event) }),
      improve: false,
      reflect: false,
      // A loaded CI machine must not turn a tool's proof into a timeout: this test is about throttles.
      sandbox: { timeoutMs: 10_000 },
    });
    try {
      const outcomes: { task: string; output: JsonValue; created: readonly string[]; reused: readonly string[] }[] = [];
      for (const task of TASKS) {
        const result = await tw.run(task.text, { input: task.input, examples: task.examples });
        outcomes.push({ task: task.text, output: result.output, created: result.createdTools, reused: result.reusedTools });
      }
      // No refusal comes from the trajectory guards (nor any other throttle): not in the answers,
      // not in the model's events, not in the policy's audited decisions.
      const refusals = outcomes.filter((outcome) => typeof outcome.output === 'string');
      for (const refusal of refusals) expect(refusal.output).not.toMatch(/trajectory|throttl|accelerat|rate of change|change-rate/i);
      expect(events.filter((event) => event.type === 'answered-without-tool')).toEqual([]);
      // Every task wrote its own tool (shown per task when one did not).
      expect(outcomes.filter((outcome) => outcome.created.length !== 1)).toEqual([]);
      const entries = await tw.memory.auditLog({ limit: 10_000 });
      const audited = entries.map((entry) => JSON.stringify(entry));
      // Anything but one applied create-tool per task is shown whole when it fails.
      expect(entries.filter((entry) => entry.action !== 'create-tool.applied').map((entry) => `${entry.action} ${entry.artifact ?? ''}: ${entry.reason}`)).toEqual([]);
      expect(entries.filter((entry) => entry.action === 'create-tool.applied')).toHaveLength(TASKS.length);
      expect(audited.filter((entry) => /trajectory-acceleration|change-rate|Throttled/.test(entry))).toEqual([]);
      // Every task is solved, with the right answer on its own input.
      for (const [index, task] of TASKS.entries()) {
        const outcome = outcomes[index];
        expect({ task: task.text, output: outcome?.output }).toEqual({ task: task.text, output: task.expected });
      }
      expect(TASKS.length).toBeGreaterThanOrEqual(13);
      expect(outcomes.flatMap((outcome) => outcome.created).length).toBe(TASKS.length);
      expect(new Set(outcomes.flatMap((outcome) => outcome.created)).size).toBe(outcomes.flatMap((outcome) => outcome.created).length);
      expect(events.filter((event) => event.type === 'cannot')).toEqual([]);

      // A second pass on new inputs reuses every tool: nothing new is written.
      for (const task of TASKS) {
        const again = await tw.run(task.text, { input: task.again.input, examples: task.examples });
        expect({ task: task.text, output: again.output, created: again.createdTools, reused: again.reusedTools.length }).toEqual({
          task: task.text,
          output: task.again.expected,
          created: [],
          reused: 1,
        });
      }
    } finally {
      await tw.close();
    }
  });

  it('when a throttle does refuse a new tool, the answer says why and when to retry, and still answers the task without it', async () => {
    // A policy configured to judge from the first change, throttling the second new tool.
    const tw = await createToolwright({
      database: `sqlite:${join(directory, 'throttled.sqlite')}`,
      improve: false,
      reflect: false,
      policy: { trajectory: { acceleration: { minActiveWindows: 0, newTools: { minChanges: 2 } } } },
    });
    try {
      const [first, second] = TASKS;
      if (first === undefined || second === undefined) throw new Error('no tasks');
      expect((await tw.run(first.text, { input: first.input, examples: first.examples })).output).toEqual(first.expected);
      const throttled = await tw.run(second.text, { input: second.input, examples: second.examples });
      expect(throttled.createdTools).toEqual([]);
      expect(throttled.text).toMatch(/^Answered without a new tool, because create_tool was refused: .*trajectory-acceleration: Throttled: 2 new tools in the last 10 min/);
      expect(throttled.text).toMatch(/it may be proposed again at \d{4}-\d{2}-\d{2}T[\d:.]+Z \(in \d+ min( \d+ s)?\)/);
      expect(throttled.text.endsWith(`on the task input it gives: ${JSON.stringify(second.expected)}`)).toBe(true);
      expect((await tw.registry.list({ kind: 'tool' })).map((tool) => tool.name)).toEqual(['mean_fares_price']);
    } finally {
      await tw.close();
    }
  });
});
