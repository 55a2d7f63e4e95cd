// The traffic chart: uPlot, loaded (script and stylesheet) only when a chart is opened, so pages
// that never show one never download it. uPlot styles through the CSSOM and its own stylesheet,
// never inline style attributes, so the pages' CSP (style-src 'self') holds.
import { formatSize } from './format';

export interface TimeSeries {
  timestamps: string[];
  amounts: number[];
}

export interface ChartSeries {
  label: string;
  /** `count` (views, downloads) on the left axis, `bytes` on the right. */
  unit: 'count' | 'bytes';
  color: string;
  data: TimeSeries;
}

export interface Chart {
  resize(width: number): void;
  destroy(): void;
}

/** Draw the series (which share their timestamps) into `el`. */
export async function drawChart(
  el: HTMLElement,
  series: ChartSeries[],
  width: number,
): Promise<Chart> {
  const { default: uPlot } = await import('./uplot');
  const times = (series[0]?.data.timestamps ?? []).map((t) => Date.parse(t) / 1000);
  const hasBytes = series.some((s) => s.unit === 'bytes');
  const opts: import('uplot').Options = {
    width,
    height: 220,
    scales: { x: { time: true }, count: { auto: true }, bytes: { auto: true } },
    axes: [
      { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
      { scale: 'count', stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
      ...(hasBytes
        ? [
            {
              scale: 'bytes',
              side: 1 as const,
              stroke: 'currentColor',
              grid: { show: false },
              size: 70,
              values: (_u: unknown, ticks: number[]) => ticks.map((v) => formatSize(v)),
            },
          ]
        : []),
    ],
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        scale: s.unit,
        stroke: s.color,
        width: 2,
        value: (_u: unknown, v: number | null) =>
          v === null ? '—' : s.unit === 'bytes' ? formatSize(v) : String(v),
      })),
    ],
  };
  const plot = new uPlot(opts, [times, ...series.map((s) => s.data.amounts)], el);
  return {
    resize: (w) => plot.setSize({ width: w, height: 220 }),
    destroy: () => plot.destroy(),
  };
}

/** Ranges the charts offer: how far back, and minutes per point. */
export const RANGES = [
  { key: '24h', label: 'Last 24 hours', hours: 24, interval: 15 },
  { key: '7d', label: 'Last 7 days', hours: 24 * 7, interval: 60 },
  { key: '30d', label: 'Last 30 days', hours: 24 * 30, interval: 360 },
  { key: '1y', label: 'Last year', hours: 24 * 365, interval: 1440 },
] as const;
export type RangeKey = (typeof RANGES)[number]['key'];

/** `start=&end=&interval=` for a range ending now. */
export function rangeQuery(key: RangeKey, now = Date.now()): string {
  const r = RANGES.find((x) => x.key === key) ?? RANGES[1];
  const start = new Date(now - r.hours * 3600_000).toISOString();
  const end = new Date(now + 60_000).toISOString();
  return new URLSearchParams({ start, end, interval: String(r.interval) }).toString();
}

export function total(s: TimeSeries): number {
  return s.amounts.reduce((a, b) => a + b, 0);
}
