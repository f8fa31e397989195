/**
 * Trend plots of one PMT from the history (GET /api/trends, InfluxDB behind it) with uPlot, a
 * small canvas charting library; live values pushed for the PMT are appended as they arrive.
 */
import type uPlot from 'uplot';
import { api, describeError } from './api.js';
import { h, fill } from './dom.js';
import { num, timeText } from './format.js';
import type { PmtView, TrendSeries, ValueView } from './types.js';

declare global {
  interface Window {
    uPlot?: typeof uPlot;
  }
}

export const RANGES = [
  { label: '15 min', ms: 15 * 60_000 },
  { label: '1 h', ms: 3_600_000 },
  { label: '6 h', ms: 6 * 3_600_000 },
  { label: '24 h', ms: 24 * 3_600_000 },
  { label: '7 d', ms: 7 * 24 * 3_600_000 },
] as const;

interface TrendDef {
  title: string;
  measurement: 'hv' | 'temperature' | 'dcr' | 'gain';
  field: string;
  /** subject of the query: the PMT, or its temperature sensor */
  subject: (p: PmtView) => string | null;
  live: (p: PmtView) => ValueView | null;
  color: string;
}

const TRENDS: TrendDef[] = [
  {
    title: 'VMon',
    measurement: 'hv',
    field: 'vmon',
    subject: (p) => p.id,
    live: (p) => p.vmon,
    color: '#58a6ff',
  },
  {
    title: 'IMon',
    measurement: 'hv',
    field: 'imon',
    subject: (p) => p.id,
    live: (p) => p.imon,
    color: '#d2a8ff',
  },
  {
    title: 'DCR',
    measurement: 'dcr',
    field: 'rate_hz',
    subject: (p) => p.id,
    live: (p) => p.dcr,
    color: '#ffa657',
  },
  {
    title: 'Gain',
    measurement: 'gain',
    field: 'gain',
    subject: (p) => p.id,
    live: (p) => p.gain,
    color: '#7ee787',
  },
  {
    title: 'Temperature',
    measurement: 'temperature',
    field: 'value_c',
    subject: (p) => p.sensor,
    live: (p) => p.temperature,
    color: '#ff7b72',
  },
];

interface Chart {
  def: TrendDef;
  plot: uPlot | null;
  xs: number[];
  ys: (number | null)[];
  lastTs: number;
}

export class Trends {
  readonly el = h('div', { class: 'trends' });
  private charts: Chart[] = [];
  private rangeMs: number = RANGES[0].ms;
  private pmtId = '';
  private generation = 0;
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor() {
    this.resize.observe(this.el);
  }

  /** Load the history of a PMT over the chosen range and draw the five plots. */
  async load(p: PmtView, rangeMs: number): Promise<void> {
    const gen = ++this.generation;
    this.rangeMs = rangeMs;
    this.pmtId = p.id;
    this.destroy();
    const to = Date.now();
    const from = to - rangeMs;
    // a PMT whose crystal or panel has no temperature sensor has no temperature plot
    const defs = TRENDS.filter((def) => def.subject(p) !== null);
    const holders = defs.map((def) =>
      h(
        'div',
        { class: 'trend', 'data-trend': def.field },
        h('div', { class: 'trend-title' }, `${def.title}: loading…`),
      ),
    );
    fill(this.el, ...holders);
    const results = await Promise.allSettled(
      defs.map((def) => {
        const q = new URLSearchParams({
          measurement: def.measurement,
          field: def.field,
          subject: def.subject(p)!,
          from: String(from),
          to: String(to),
          points: '600',
        });
        return api<TrendSeries>(`/api/trends?${q}`);
      }),
    );
    if (gen !== this.generation) return;
    const UPlot = window.uPlot;
    this.charts = defs.map((def, i) => {
      const r = results[i];
      const holder = holders[i];
      const chart: Chart = { def, plot: null, xs: [], ys: [], lastTs: 0 };
      if (r.status === 'rejected') {
        fill(
          holder,
          h(
            'div',
            { class: 'trend-title' },
            `${def.title}: history unavailable (${describeError(r.reason)})`,
          ),
        );
        return chart;
      }
      const unit = r.value.unit === 'degC' ? '°C' : r.value.unit === 'uA' ? 'µA' : r.value.unit;
      // empty bins before the first value are left out: the plot starts where the history starts
      const first = r.value.points.findIndex(([, v]) => v !== null);
      for (const [t, v] of first < 0 ? [] : r.value.points.slice(first)) {
        chart.xs.push(t / 1000);
        chart.ys.push(v);
      }
      chart.lastTs = r.value.points.at(-1)?.[0] ?? 0;
      const note =
        first < 0
          ? ' (no data in range)'
          : first > 0
            ? ` (history from ${timeText(r.value.points[first][0])})`
            : '';
      const title = `${def.title}${unit ? ` [${unit}]` : ''}${note}`;
      fill(holder, h('div', { class: 'trend-title' }, title));
      if (!UPlot) {
        holder.append(h('p', { class: 'error' }, 'uPlot did not load'));
        return chart;
      }
      chart.plot = new UPlot(this.options(def, unit, holder), [chart.xs, chart.ys], holder);
      return chart;
    });
  }

  private options(def: TrendDef, unit: string, holder: HTMLElement): uPlot.Options {
    const axis = {
      stroke: '#9aa7b4',
      grid: { stroke: '#2d3640', width: 1 },
      ticks: { stroke: '#2d3640' },
      font: '13px system-ui',
    };
    return {
      width: Math.max(280, holder.clientWidth || 400),
      height: 140,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      axes: [
        axis,
        {
          ...axis,
          size: 72,
          values: (_u: uPlot, splits: number[]) => tickLabels(splits),
        },
      ],
      series: [
        {},
        {
          label: `${def.title}${unit ? ` (${unit})` : ''}`,
          stroke: def.color,
          width: 1.5,
          spanGaps: true,
          points: { size: 4 },
        },
      ],
    };
  }

  /** Append a live value of the shown PMT (only when newer than what is drawn). */
  push(p: PmtView): void {
    if (p.id !== this.pmtId) return;
    const cutoff = (Date.now() - this.rangeMs) / 1000;
    for (const c of this.charts) {
      const v = c.def.live(p);
      if (!c.plot || !v || v.ts === null || v.ts <= c.lastTs) continue;
      c.lastTs = v.ts;
      c.xs.push(v.ts / 1000);
      c.ys.push(v.value);
      while (c.xs.length && c.xs[0] < cutoff) {
        c.xs.shift();
        c.ys.shift();
      }
      c.plot.setData([c.xs, c.ys]);
    }
  }

  private fit(): void {
    for (const c of this.charts) {
      const w = c.plot?.root.parentElement?.clientWidth;
      if (c.plot && w && Math.abs(w - c.plot.width) > 4) c.plot.setSize({ width: w, height: 140 });
    }
  }

  destroy(): void {
    for (const c of this.charts) c.plot?.destroy();
    this.charts = [];
  }
}

/** Axis labels with as many decimals as the tick step needs (21.85, 21.90; 1000, 1200). */
function tickLabels(splits: number[]): string[] {
  const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) : 1;
  const digits = step > 0 ? Math.min(6, Math.max(0, -Math.floor(Math.log10(step)))) : 1;
  return splits.map((v) => num(v, digits));
}
