// Deterministic number formatting for reason messages (no locale-dependent APIs).

/** A rate or ratio with at most 3 decimals: `0.85`, `0.995`, `1`. */
export function formatRatio(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** Milliseconds, whole: `1200 ms`. */
export function formatMs(value: number): string {
  return `${Math.round(value)} ms`;
}

/** A p-value: `0.012`, or `2.6e-9` when it is below 0.001. */
export function formatPValue(value: number): string {
  return value < 0.001 ? value.toExponential(1) : value.toFixed(3);
}
