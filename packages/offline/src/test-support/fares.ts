/** Test support: flight fare records and the ground truth of the representative tasks, in plain code. */

export type Fare = {
  readonly from: string;
  readonly to: string;
  readonly price: number;
  readonly carrier: string;
};

const fare = (from: string, to: string, price: number, carrier: string): Fare => ({ from, to, price, carrier });

/** Three example inputs and one task input, in the `{ fares: [...] }` shape. */
export const FARE_SETS: readonly (readonly Fare[])[] = [
  [fare('LHR', 'JFK', 229.92, 'BA'), fare('LHR', 'CDG', 360.67, 'AF'), fare('MAN', 'AMS', 118.4, 'KL')],
  [fare('LHR', 'DXB', 512.1, 'EK'), fare('LGW', 'BCN', 89.99, 'VY')],
  [fare('EDI', 'DUB', 74.5, 'FR'), fare('LHR', 'SFO', 640, 'BA'), fare('LHR', 'LIS', 301.2, 'TP'), fare('STN', 'BER', 300, 'FR')],
];

export const TASK_FARES: readonly Fare[] = [
  fare('LHR', 'HND', 812.45, 'JL'),
  fare('LGW', 'FCO', 143.2, 'U2'),
  fare('LHR', 'ORD', 455.0, 'AA'),
  fare('MAN', 'DOH', 398.75, 'QR'),
  fare('LHR', 'MAD', 97.3, 'IB'),
  fare('BHX', 'DUB', 61.99, 'FR'),
];

export const total = (fares: readonly Fare[]): number => fares.reduce((sum, item) => sum + item.price, 0);
export const countOver = (fares: readonly Fare[], threshold: number): number => fares.filter((item) => item.price > threshold).length;
export const cheapestTwo = (fares: readonly Fare[]): number =>
  fares
    .map((item) => item.price)
    .sort((a, b) => a - b)
    .slice(0, 2)
    .reduce((sum, price) => sum + price, 0);

/** Examples `{ input: { fares }, output }` for a ground-truth function. */
export function fareExamples(truth: (fares: readonly Fare[]) => number, sets: readonly (readonly Fare[])[] = FARE_SETS): { input: { fares: Fare[] }; output: number }[] {
  return sets.map((fares) => ({ input: { fares: [...fares] }, output: truth(fares) }));
}
