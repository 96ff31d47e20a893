import { parseProgram, type Program } from '../synthesis/program.js';

/**
 * Test support: programs covering every operation, over a `{ fares, threshold, n, code }`
 * argument (fares are `{ from, to, price, carrier, seats }` records) or a `{ values }` list of numbers.
 */
export const FARE_PROGRAMS: readonly string[] = [
  '$',
  'get($, "code")',
  'length(get($, "code"))',
  'sum(pluck(get($, "fares"), "price"))',
  'count(get($, "fares"))',
  'min(pluck(get($, "fares"), "price"))',
  'max(pluck(get($, "fares"), "price"))',
  'mean(pluck(get($, "fares"), "price"))',
  'median(pluck(get($, "fares"), "price"))',
  'round(mean(pluck(get($, "fares"), "price")), 1)',
  'round(mean(pluck(get($, "fares"), "price")), 2)',
  'round(sum(pluck(get($, "fares"), "price")), 0)',
  'weighted_mean(get($, "fares"), "price", "seats")',
  'round(weighted_mean(get($, "fares"), "price", "seats"), 2)',
  'percent_of_all(count(filter_by(get($, "fares"), "carrier", "==", "BA")))',
  'round(percent_of_all(sum(pluck(filter_by(get($, "fares"), "price", ">", 300), "price"))), 1)',
  'percent_of_all(sum(take(sort(pluck(get($, "fares"), "price"), "desc"), 2)))',
  'distinct(pluck(get($, "fares"), "carrier"))',
  'first(get($, "fares"))',
  'sort(pluck(get($, "fares"), "carrier"), "desc")',
  'sum(take(sort(pluck(get($, "fares"), "price"), "asc"), 2))',
  'drop(sort_by(get($, "fares"), "price", "desc"), 1)',
  'take(sort_by(get($, "fares"), "carrier", "asc"), param("n"))',
  'count(filter_by(get($, "fares"), "price", ">", 300))',
  'count(filter_by(get($, "fares"), "price", "<=", param("threshold")))',
  'filter_by(get($, "fares"), "carrier", "==", "BA")',
  'pluck(filter_by(get($, "fares"), "carrier", "!=", "FR"), "to")',
  'filter(pluck(get($, "fares"), "price"), ">=", 100.5)',
  'filter(pluck(get($, "fares"), "carrier"), "==", "BA")',
  'difference(max(pluck(get($, "fares"), "price")), min(pluck(get($, "fares"), "price")))',
  'group_by(get($, "fares"), "carrier", "count")',
  'group_by(get($, "fares"), "carrier", "sum", "price")',
  'group_by(get($, "fares"), "from", "mean", "price")',
  'group_by(get($, "fares"), "to", "min", "price")',
  'group_by(get($, "fares"), "to", "max", "price")',
];

export const FARE_PROGRAM_ASTS: readonly Program[] = FARE_PROGRAMS.map(parseProgram);

/** A deterministic pseudo-random generator (mulberry32), for generated test inputs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AIRPORTS = ['LHR', 'LGW', 'MAN', 'EDI', 'JFK', 'CDG', 'AMS', 'DUB'];
const CARRIERS = ['BA', 'FR', 'AF', 'KL', 'U2'];

/** A generated `{ fares, threshold, n, code }` argument: 0–8 fares, prices with 0–2 decimals. */
export function randomFareInput(random: () => number): {
  fares: { from: string; to: string; price: number; carrier: string; seats: number }[];
  threshold: number;
  n: number;
  code: string;
} {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const count = Math.floor(random() * 9);
  const fares = Array.from({ length: count }, () => ({
    from: pick(AIRPORTS),
    to: pick(AIRPORTS),
    price: Math.round(random() * 90_000) / 10 ** Math.floor(random() * 3),
    carrier: pick(CARRIERS),
    // 0–3 seats: the weights of a weighted mean, sometimes all 0.
    seats: Math.floor(random() * 4),
  }));
  return { fares, threshold: Math.round(random() * 600), n: Math.floor(random() * 4), code: pick(AIRPORTS).toLowerCase() };
}
