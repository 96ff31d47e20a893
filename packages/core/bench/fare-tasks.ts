// The seed's four fare tasks (apps/demo scenario A), copied here so that core's benchmark
// needs nothing above core: the same fares, example lists, task texts and ground truths as
// apps/demo/src/data/fares.ts and apps/demo/src/scenario-a.ts.
import type { JsonValue, ToolExample } from '../src/index.js';

export interface Fare {
  readonly from: string;
  readonly to: string;
  readonly carrier: string;
  readonly departure: string;
  readonly price: number;
}

export const FARES: readonly Fare[] = [
  { from: 'AMS', to: 'LIS', carrier: 'TP', departure: '2026-12-03T07:15', price: 229.92 },
  { from: 'AMS', to: 'LIS', carrier: 'KL', departure: '2026-12-03T09:40', price: 360.67 },
  { from: 'AMS', to: 'BCN', carrier: 'VY', departure: '2026-12-04T06:05', price: 89.99 },
  { from: 'AMS', to: 'BCN', carrier: 'KL', departure: '2026-12-04T12:25', price: 174.5 },
  { from: 'AMS', to: 'JFK', carrier: 'DL', departure: '2026-12-05T10:30', price: 612.4 },
  { from: 'AMS', to: 'JFK', carrier: 'KL', departure: '2026-12-05T13:05', price: 689.15 },
  { from: 'AMS', to: 'OSL', carrier: 'SK', departure: '2026-12-06T08:50', price: 143.2 },
  { from: 'AMS', to: 'OSL', carrier: 'DY', departure: '2026-12-06T17:35', price: 98.75 },
  { from: 'AMS', to: 'ATH', carrier: 'A3', departure: '2026-12-07T11:10', price: 301.0 },
  { from: 'AMS', to: 'ATH', carrier: 'KL', departure: '2026-12-07T15:45', price: 355.3 },
  { from: 'AMS', to: 'DUB', carrier: 'EI', departure: '2026-12-08T07:00', price: 119.0 },
  { from: 'AMS', to: 'DUB', carrier: 'FR', departure: '2026-12-08T21:20', price: 54.99 },
];

export const EXAMPLE_FARE_LISTS: readonly (readonly Fare[])[] = [
  [
    { from: 'BER', to: 'ROM', carrier: 'AZ', departure: '2026-11-30T09:00', price: 120.5 },
    { from: 'BER', to: 'ROM', carrier: 'FR', departure: '2026-11-30T18:00', price: 310.0 },
    { from: 'BER', to: 'ROM', carrier: 'LH', departure: '2026-11-30T12:30', price: 450.25 },
  ],
  [
    { from: 'CPH', to: 'VIE', carrier: 'OS', departure: '2026-12-01T07:20', price: 299.99 },
    { from: 'CPH', to: 'VIE', carrier: 'SK', departure: '2026-12-01T16:45', price: 305.5 },
    { from: 'CPH', to: 'VIE', carrier: 'DY', departure: '2026-12-01T20:10', price: 75.0 },
    { from: 'CPH', to: 'VIE', carrier: 'W6', departure: '2026-12-01T06:00', price: 42.0 },
  ],
];

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** One task: its text, its truth in plain code, and the tool a well-behaved model writes for it (JavaScript). */
export interface FareTask {
  readonly text: string;
  readonly truth: (fares: readonly Fare[]) => number;
  readonly tool: { readonly name: string; readonly description: string; readonly source: string };
}

export const FARE_TASKS: readonly FareTask[] = [
  {
    text: 'Total the fares.',
    truth: (fares) => sum(fares.map((fare) => fare.price)),
    tool: { name: 'total_fares', description: 'Sums the price of every fare.', source: 'export default ({ fares }) => fares.reduce((total, fare) => total + fare.price, 0);' },
  },
  {
    text: 'Count the fares over 300 EUR.',
    truth: (fares) => fares.filter((fare) => fare.price > 300).length,
    tool: { name: 'count_fares_over', description: 'Counts the fares whose price is over 300.', source: 'export default ({ fares }) => fares.filter((fare) => fare.price > 300).length;' },
  },
  {
    text: 'Sum the 2 cheapest fares.',
    truth: (fares) => sum([...fares.map((fare) => fare.price)].sort((a, b) => a - b).slice(0, 2)),
    tool: {
      name: 'sum_cheapest_fares',
      description: 'Sums the prices of the 2 cheapest fares.',
      source: 'export default ({ fares }) => fares.map((fare) => fare.price).sort((a, b) => a - b).slice(0, 2).reduce((total, price) => total + price, 0);',
    },
  },
  {
    text: 'Total the fares again.',
    truth: (fares) => sum(fares.map((fare) => fare.price)),
    tool: { name: 'total_fares', description: 'Sums the price of every fare.', source: 'export default ({ fares }) => fares.reduce((total, fare) => total + fare.price, 0);' },
  },
];

/** The task input, as scenario A passes it. */
export const asInput = (fares: readonly Fare[]): JsonValue => ({ fares: fares.map((fare) => ({ ...fare })) });

/** The examples a user shows for a task: the other fare lists with their true answers. */
export function examplesFor(task: FareTask): ToolExample[] {
  return EXAMPLE_FARE_LISTS.map((fares) => ({ input: asInput(fares), output: task.truth(fares) }));
}
