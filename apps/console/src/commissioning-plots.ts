/**
 * A PMT's commissioning scans as they fill: DCR against HV (log rate) and the gain curve (log-log)
 * with the fitted G = G0 (V/V0)^beta once the fit is there. uPlot wants one x array per plot: the
 * measured voltages and the fit line's samples are merged, each series null where it has no value.
 */
import type { GainFit, ScanPoint } from '@cicenns/contracts';
import type uPlot from 'uplot';
import { h, fill } from './dom.js';
import { num } from './format.js';

const FIT_SAMPLES = 24;

export interface PlotData {
  xs: number[];
  series: (number | null)[][];
}

/** The fit's gain over [lo, hi], sampled evenly in log V (a straight line on log-log axes). */
export function fitLine(fit: GainFit, lo: number, hi: number): [number, number][] {
  if (!(lo > 0 && hi > lo)) return [];
  const out: [number, number][] = [];
  for (let i = 0; i <= FIT_SAMPLES; i++) {
    const v = lo * Math.pow(hi / lo, i / FIT_SAMPLES);
    out.push([v, fit.g0 * Math.pow(v / fit.v0, fit.beta)]);
  }
  return out;
}

/** Series over one merged, sorted x axis: each series' values where it has them, null elsewhere. */
export function merge(...series: [number, number][][]): PlotData {
  const xs = [...new Set(series.flatMap((s) => s.map(([x]) => x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  return {
    xs,
    series: series.map((s) => {
      const ys: (number | null)[] = xs.map(() => null);
      for (const [x, y] of s) ys[index.get(x)!] = y;
      return ys;
    }),
  };
}

export function dcrData(points: ScanPoint[]): PlotData {
  return merge(points.filter((p) => p.rateHz !== undefined && p.rateHz > 0).map((p) => [p.v, p.rateHz!]));
}

export function gainData(points: ScanPoint[], fit: GainFit | undefined): PlotData {
  const measured = points
    .filter((p) => p.gain !== undefined && p.gain > 0)
    .map((p): [number, number] => [p.v, p.gain!]);
  if (!fit || !measured.length) return merge(measured, []);
  const vs = [...measured.map(([v]) => v), ...(fit.vOp ? [fit.vOp] : [])];
  return merge(measured, fitLine(fit, Math.min(...vs) * 0.97, Math.max(...vs) * 1.03));
}

const AXIS = {
  stroke: '#9aa7b4',
  grid: { stroke: '#2d3640', width: 1 },
  ticks: { stroke: '#2d3640' },
  font: '13px system-ui',
};
const points = (color: string) => ({ show: true, size: 7, stroke: color, fill: color });

/** One scan plot of one PMT, redrawn in place as its points arrive. */
export class ScanPlot {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private drawn = '';

  constructor(
    private readonly kind: 'dcr' | 'gain',
    private readonly title: string,
  ) {
    this.el = h(
      'div',
      { class: 'scan-plot', 'data-plot': kind },
      h('div', { class: 'trend-title' }, `${title}: no points yet`),
    );
  }

  update(data: PlotData, count: number, note = ''): void {
    const key = JSON.stringify([data.xs, data.series]);
    if (key === this.drawn) return;
    this.drawn = key;
    this.el.dataset.points = String(count);
    const caption = `${this.title}: ${count} point${count === 1 ? '' : 's'}${note ? `, ${note}` : ''}`;
    const UPlot = window.uPlot;
    if (!data.xs.length || !UPlot) {
      this.plot?.destroy();
      this.plot = null;
      fill(
        this.el,
        h('div', { class: 'trend-title' }, UPlot ? `${this.title}: no points yet` : 'uPlot did not load'),
      );
      return;
    }
    const aligned = [data.xs, ...data.series] as uPlot.AlignedData;
    if (this.plot && this.plot.series.length === aligned.length) {
      (this.el.firstChild as HTMLElement).textContent = caption;
      this.plot.setData(aligned);
      return;
    }
    this.plot?.destroy();
    const titleEl = h('div', { class: 'trend-title' }, caption);
    fill(this.el, titleEl);
    this.plot = new UPlot(this.options(data.series.length), aligned, this.el);
  }

  private options(nSeries: number): uPlot.Options {
    const dcr = this.kind === 'dcr';
    const series: uPlot.Series[] = [
      { label: 'HV (V)', value: (_u, v) => (v === null ? '—' : `${num(v, 0)} V`) },
      {
        label: dcr ? 'DCR (Hz)' : 'gain',
        stroke: dcr ? '#ffa657' : '#7ee787',
        paths: () => null,
        points: points(dcr ? '#ffa657' : '#7ee787'),
        value: (_u, v) => num(v, dcr ? 1 : 0),
      },
    ];
    if (nSeries > 1)
      series.push({
        label: 'fit G0 (V/V0)^β',
        stroke: '#58a6ff',
        width: 1.5,
        spanGaps: true,
        points: { show: false },
        value: (_u, v) => num(v, 0),
      });
    return {
      width: Math.max(280, this.el.clientWidth || 420),
      height: 180,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      // the scan spans a few hundred volts, less than a decade: a linear HV axis with a margin,
      // rates and gains on log axes (the gain curve is then the fit's power law)
      scales: {
        x: {
          time: false,
          range: (_u, lo, hi) => [lo - 0.04 * (hi - lo || 100), hi + 0.04 * (hi - lo || 100)],
        },
        y: { distr: 3, log: 10 },
      },
      axes: [
        { ...AXIS, label: 'HV (V)', values: (_u, splits) => splits.map((v) => num(v, 0)) },
        {
          ...AXIS,
          size: 70,
          label: dcr ? 'DCR (Hz)' : 'gain',
          values: (_u, splits) => splits.map((v) => num(v, 0)),
        },
      ],
      series,
    };
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
    this.drawn = '';
  }
}
