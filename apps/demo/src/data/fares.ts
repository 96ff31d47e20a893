/** One flight fare, as a booking API might list it. Prices in EUR. */
export interface Fare {
  readonly from: string;
  readonly to: string;
  readonly carrier: string;
  readonly departure: string;
  readonly price: number;
}

/** A bundled set of real-looking fares (invented, no real offers). */
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

/** A few other fare lists: the examples a user shows for each task (inputs only; outputs come from plain code). */
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
