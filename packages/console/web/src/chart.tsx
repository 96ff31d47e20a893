/**
 * A line chart drawn as SVG: a few lines over time with gaps where a bucket had no call. The
 * console draws its own (about a hundred lines) rather than ship a chart library: the plots are
 * simple, the page stays small, and the strict CSP needs no inline styles.
 */

export interface ChartPoint {
  readonly t: number;
  readonly v: number | null;
}

export interface ChartLine {
  readonly label: string;
  readonly color: string;
  readonly dashed?: boolean;
  readonly points: readonly ChartPoint[];
}

export interface ChartProps {
  readonly title: string;
  readonly lines: readonly ChartLine[];
  readonly from: number;
  readonly to: number;
  /** Fixed y range (rates, scores: 0..1); by default 0..the largest value. */
  readonly yMax?: number;
  readonly format: (value: number) => string;
}

const WIDTH = 560;
const HEIGHT = 200;
const PAD = { left: 52, right: 12, top: 12, bottom: 28 };

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function timeLabel(t: number, span: number): string {
  const date = new Date(t);
  if (span < 60_000) return `${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
  if (span < 2 * 86_400_000) return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
  return date.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

export function LineChart({ title, lines, from, to, yMax, format }: ChartProps) {
  const largest = Math.max(0, ...lines.flatMap((line) => line.points.map((point) => point.v ?? 0)));
  const top = yMax ?? niceMax(largest * 1.1);
  const span = Math.max(1, to - from);
  const x = (t: number): number => PAD.left + ((t - from) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number): number => PAD.top + (1 - v / top) * (HEIGHT - PAD.top - PAD.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((share) => share * top);
  const timeTicks = [0, 1 / 3, 2 / 3, 1].map((share) => from + share * span);
  return (
    <figure class="chart" data-chart={title}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={title}>
        {ticks.map((tick) => (
          <g key={`y${tick}`}>
            <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text class="axis" x={PAD.left - 6} y={y(tick) + 4} text-anchor="end">
              {format(tick)}
            </text>
          </g>
        ))}
        {timeTicks.map((tick, index) => (
          <text key={`x${index}`} class="axis" x={x(tick)} y={HEIGHT - 8} text-anchor={index === 0 ? 'start' : index === timeTicks.length - 1 ? 'end' : 'middle'}>
            {timeLabel(tick, span)}
          </text>
        ))}
        {lines.map((line) => {
          const segments: ChartPoint[][] = [];
          let current: ChartPoint[] = [];
          for (const point of line.points) {
            if (point.v === null) {
              if (current.length > 0) segments.push(current);
              current = [];
            } else current.push(point);
          }
          if (current.length > 0) segments.push(current);
          return (
            <g key={line.label} class="series" data-series={line.label}>
              {segments.map((segment, index) => (
                <polyline
                  key={index}
                  class={line.dashed ? 'line dashed' : 'line'}
                  stroke={line.color}
                  points={segment.map((point) => `${x(point.t).toFixed(1)},${y(point.v ?? 0).toFixed(1)}`).join(' ')}
                />
              ))}
              {segments.flat().map((point) => (
                <circle key={point.t} class="dot" cx={x(point.t)} cy={y(point.v ?? 0)} r={2.5} fill={line.color}>
                  <title>{`${line.label}: ${format(point.v ?? 0)} at ${new Date(point.t).toLocaleString()}`}</title>
                </circle>
              ))}
            </g>
          );
        })}
      </svg>
      <ul class="legend">
        {lines.map((line) => (
          <li key={line.label}>
            <svg width="18" height="8" aria-hidden="true">
              <line x1="0" x2="18" y1="4" y2="4" stroke={line.color} class={line.dashed ? 'line dashed' : 'line'} />
            </svg>
            {line.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}
