// The benchmark tasks, shared by synthesis.mjs (one build) and compare.mjs (two builds, interleaved).
// `corpus` is what every change is compared on; `added` (aggregates with rounding, issue 20) came later.

const fare = (from, to, price, carrier) => ({ from, to, price, carrier });
const SETS = [
  [fare('LHR', 'JFK', 229.92, 'BA'), fare('LHR', 'CDG', 360.67, 'AF'), fare('MAN', 'AMS', 118.4, 'KL')],
  [fare('LHR', 'DXB', 512.1, 'EK'), fare('LGW', 'BCN', 89.99, 'VY')],
  [fare('EDI', 'DUB', 74.5, 'FR'), fare('LHR', 'SFO', 640, 'BA'), fare('LHR', 'LIS', 301.2, 'TP'), fare('STN', 'BER', 300, 'FR')],
];
export const TASK = [fare('LHR', 'HND', 812.45, 'JL'), fare('LGW', 'FCO', 143.2, 'U2'), fare('LHR', 'ORD', 455, 'AA'), fare('MAN', 'DOH', 398.75, 'QR')];
export const prices = (fares) => fares.map((item) => item.price);
export const sum = (values) => values.reduce((total, value) => total + value, 0);
export const byFares = (truth) => SETS.map((fares) => ({ input: { fares }, output: truth(fares) }));
const byList = (truth) => SETS.map((fares) => ({ input: prices(fares), output: truth(prices(fares)) }));

export const corpus = [
  { name: 'total the fares', text: 'Total the fares', input: { fares: TASK }, examples: byFares((fares) => sum(prices(fares))) },
  { name: 'count those over 300', text: 'Count the fares over 300', input: { fares: TASK }, examples: byFares((fares) => fares.filter((item) => item.price > 300).length) },
  { name: 'sum the cheapest two', text: 'Sum the cheapest two fares', input: { fares: TASK }, examples: byFares((fares) => sum(prices(fares).sort((a, b) => a - b).slice(0, 2))) },
  { name: 'plain list: total', text: 'Total these prices', input: prices(TASK), examples: byList(sum) },
  { name: 'plain list: count over 300', text: 'How many are over 300?', input: prices(TASK), examples: byList((values) => values.filter((value) => value > 300).length) },
  {
    name: 'total per carrier',
    text: 'Total per carrier',
    input: { fares: TASK },
    examples: byFares((fares) => Object.fromEntries([...new Set(fares.map((item) => item.carrier))].map((carrier) => [carrier, sum(prices(fares.filter((item) => item.carrier === carrier)))]))),
  },
  { name: 'price range (size 9)', text: 'Price range', input: { fares: TASK }, examples: byFares((fares) => Math.max(...prices(fares)) - Math.min(...prices(fares))) },
  { name: 'impossible (gives up)', text: 'Sum of squares', input: prices(TASK), examples: byList((values) => sum(values.map((value) => value * value))) },
];

// Added with issue 20 (not in the original corpus): aggregates with rounding.
const cents = (value) => Math.sign(value) * Number(`${Math.round(Number(`${Number(Math.abs(value).toPrecision(15))}e2`))}e-2`);
const seats = (fares) => fares.map((item, index) => ({ ...item, seats: (index % 3) + 1 }));
const byFaresWithSeats = (truth) => SETS.map((fares) => ({ input: { fares: seats(fares) }, output: truth(seats(fares)) }));
export const added = [
  { name: 'mean to cents', text: 'What is the average fare, rounded to cents?', input: { fares: TASK }, examples: byFares((fares) => cents(sum(prices(fares)) / fares.length)) },
  {
    name: 'weighted mean to cents',
    text: 'Average price per seat, to the cent',
    input: { fares: seats(TASK) },
    examples: byFaresWithSeats((fares) => cents(sum(fares.map((item) => item.price * item.seats)) / sum(fares.map((item) => item.seats)))),
  },
  {
    name: 'percent over 300, whole',
    text: 'What percentage of the fares are over 300, to a whole percent?',
    input: { fares: TASK },
    examples: byFares((fares) => Math.round((100 * fares.filter((item) => item.price > 300).length) / fares.length)),
  },
  { name: 'total in whole units', text: 'Total the fares in whole pounds', input: { fares: TASK }, examples: byFares((fares) => Math.round(sum(prices(fares)))) },
];

