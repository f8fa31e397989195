/**
 * Inline SVG plots for the commissioning report: DCR against HV (log y), the gain curve
 * (log-log, with the fit, the target gain and the operating voltage) and the fit's residuals.
 * No script, no external reference, coordinates rounded so 94 PMTs stay small.
 */
import type { GainFit, ScanPoint } from '@cicenns/contracts';
import { gainAt } from '../analysis/gain-fit';
import { formatSci } from '../analysis/format';
import { escapeHtml } from './escape';

export interface PlotOptions {
  width?: number;
  height?: number;
  title?: string;
  /** a voltage to mark (the operating voltage) */
  markV?: number | null;
}

interface Frame {
  w: number;
  h: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

interface Axis {
  min: number;
  max: number;
  log: boolean;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

function frame(opts: PlotOptions): Frame {
  const w = opts.width ?? 460;
  const h = opts.height ?? 260;
  return { w, h, left: 62, right: w - 12, top: 24, bottom: h - 38 };
}

function project(axis: Axis, x: number, from: number, to: number): number {
  const t = axis.log
    ? (Math.log10(x) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min))
    : (x - axis.min) / (axis.max - axis.min);
  return r1(from + t * (to - from));
}

/** a range a little wider than the data, never empty */
function range(values: number[], log: boolean): Axis {
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (log) {
    if (min === max) [min, max] = [min / 2, max * 2];
    const pad = Math.pow(max / min, 0.08);
    return { min: min / pad, max: max * pad, log };
  }
  if (min === max) [min, max] = [min - 1, max + 1];
  const pad = (max - min) * 0.08;
  return { min: min - pad, max: max + pad, log };
}

function linearTicks(axis: Axis, count = 5): number[] {
  const raw = (axis.max - axis.min) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(axis.min / step) * step; t <= axis.max + 1e-9 * step; t += step)
    out.push(Number(t.toPrecision(12)));
  return out;
}

function logTicks(axis: Axis): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(axis.min)); k <= Math.ceil(Math.log10(axis.max)); k++) {
    for (const m of [1, 2, 5]) {
      const t = m * Math.pow(10, k);
      if (t >= axis.min && t <= axis.max) out.push(t);
    }
  }
  if (out.length >= 2) return out;
  // less than a decade: linear-looking ticks on the log axis
  return linearTicks({ ...axis, log: false }, 4).filter((t) => t > 0);
}

function ticks(axis: Axis): number[] {
  return axis.log ? logTicks(axis) : linearTicks(axis);
}

function tickLabel(t: number, axis: Axis): string {
  return axis.log || Math.abs(t) >= 1e4 ? formatSci(t, 1) : String(t);
}

function axesSvg(f: Frame, x: Axis, y: Axis, xLabel: string, yLabel: string, title?: string): string {
  const parts: string[] = [];
  parts.push(
    `<rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" height="${f.bottom - f.top}" fill="none" stroke="#444"/>`,
  );
  for (const t of ticks(x)) {
    const px = project(x, t, f.left, f.right);
    parts.push(`<line x1="${px}" y1="${f.bottom}" x2="${px}" y2="${f.bottom + 4}" stroke="#444"/>`);
    parts.push(
      `<text x="${px}" y="${f.bottom + 16}" text-anchor="middle">${escapeHtml(tickLabel(t, x))}</text>`,
    );
  }
  for (const t of ticks(y)) {
    const py = project(y, t, f.bottom, f.top);
    parts.push(`<line x1="${f.left}" y1="${py}" x2="${f.right}" y2="${py}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${f.left - 5}" y="${py + 4}" text-anchor="end">${escapeHtml(tickLabel(t, y))}</text>`,
    );
  }
  parts.push(
    `<text x="${r1((f.left + f.right) / 2)}" y="${f.h - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${r1((f.top + f.bottom) / 2)}" text-anchor="middle" transform="rotate(-90 14 ${r1((f.top + f.bottom) / 2)})">${escapeHtml(yLabel)}</text>`,
  );
  if (title) parts.push(`<text x="${f.left}" y="15" font-weight="bold">${escapeHtml(title)}</text>`);
  return parts.join('');
}

function svgOpen(f: Frame, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.w} ${f.h}" width="${f.w}" height="${f.h}" role="img" aria-label="${escapeHtml(label)}" font-family="sans-serif" font-size="11">`;
}

function emptyPlot(opts: PlotOptions, label: string): string {
  const f = frame(opts);
  return `${svgOpen(f, label)}<text x="${r1(f.w / 2)}" y="${r1(f.h / 2)}" text-anchor="middle">${escapeHtml(`${label}: no points`)}</text></svg>`;
}

/** points with y and an error bar of ±err (clipped at the axis bottom on a log axis) */
function pointsSvg(
  f: Frame,
  x: Axis,
  y: Axis,
  pts: { x: number; y: number; err: number }[],
  colour: string,
): string {
  return pts
    .map((p) => {
      const px = project(x, p.x, f.left, f.right);
      const py = project(y, p.y, f.bottom, f.top);
      const lo = y.log ? Math.max(p.y - p.err, y.min) : p.y - p.err;
      const y1 = project(y, lo, f.bottom, f.top);
      const y2 = project(y, p.y + p.err, f.bottom, f.top);
      return `<line x1="${px}" y1="${y1}" x2="${px}" y2="${y2}" stroke="${colour}"/><circle cx="${px}" cy="${py}" r="3" fill="${colour}"/>`;
    })
    .join('');
}

function markVoltage(f: Frame, x: Axis, v: number | null | undefined, label: string): string {
  if (v === null || v === undefined || !Number.isFinite(v) || v < x.min || v > x.max) return '';
  const px = project(x, v, f.left, f.right);
  return `<line x1="${px}" y1="${f.top}" x2="${px}" y2="${f.bottom}" stroke="#c60" stroke-dasharray="4 3"/><text x="${px + 3}" y="${f.top + 11}" fill="#c60">${escapeHtml(label)}</text>`;
}

export function svgDcrScan(points: ScanPoint[], opts: PlotOptions = {}): string {
  const pts = points
    .filter((p) => p.rateHz !== undefined && p.rateHz > 0 && Number.isFinite(p.v))
    .map((p) => ({ x: p.v, y: p.rateHz as number, err: p.rateErrHz ?? 0 }));
  if (pts.length === 0) return emptyPlot(opts, 'DCR against HV');
  const f = frame(opts);
  const x = range([...pts.map((p) => p.x), ...(opts.markV ? [opts.markV] : [])], false);
  const y = range(
    pts.flatMap((p) => [p.y + p.err, Math.max(p.y - p.err, p.y / 2)]),
    true,
  );
  return [
    svgOpen(f, 'DCR against HV'),
    axesSvg(f, x, y, 'HV (V)', 'DCR (Hz)', opts.title),
    markVoltage(f, x, opts.markV, 'vOp'),
    pointsSvg(f, x, y, pts, '#036'),
    '</svg>',
  ].join('');
}

export function svgGainCurve(points: ScanPoint[], fit: GainFit | undefined, opts: PlotOptions = {}): string {
  const pts = points
    .filter((p) => p.gain !== undefined && p.gain > 0 && p.v > 0)
    .map((p) => ({ x: p.v, y: p.gain as number, err: p.gainErr ?? 0 }));
  if (pts.length === 0) return emptyPlot(opts, 'gain curve');
  const f = frame(opts);
  const vOp = fit?.vOp ?? null;
  const xs = pts.map((p) => p.x);
  const x = range([...xs, ...(vOp !== null ? [vOp] : [])], true);
  const ys = pts.flatMap((p) => [p.y + p.err, Math.max(p.y - p.err, p.y / 2)]);
  if (fit) ys.push(fit.targetGain, gainAt(fit, x.min), gainAt(fit, x.max));
  const y = range(
    ys.filter((v) => v > 0 && Number.isFinite(v)),
    true,
  );
  const parts = [svgOpen(f, 'gain against HV'), axesSvg(f, x, y, 'HV (V)', 'gain', opts.title)];
  if (fit) {
    const ty = project(y, fit.targetGain, f.bottom, f.top);
    parts.push(
      `<line x1="${f.left}" y1="${ty}" x2="${f.right}" y2="${ty}" stroke="#393" stroke-dasharray="6 3"/><text x="${f.right - 3}" y="${ty - 4}" text-anchor="end" fill="#393">${escapeHtml(`target ${formatSci(fit.targetGain)}`)}</text>`,
    );
    // the fitted line, clipped to the frame: a straight line in log-log, so sampled ends suffice
    const samples = 24;
    const path: string[] = [];
    for (let i = 0; i <= samples; i++) {
      const v = x.min * Math.pow(x.max / x.min, i / samples);
      const g = gainAt(fit, v);
      if (!(g >= y.min && g <= y.max)) continue;
      path.push(
        `${path.length === 0 ? 'M' : 'L'}${project(x, v, f.left, f.right)} ${project(y, g, f.bottom, f.top)}`,
      );
    }
    if (path.length > 1) parts.push(`<path d="${path.join(' ')}" fill="none" stroke="#a00"/>`);
    parts.push(markVoltage(f, x, vOp, vOp !== null ? `vOp ${Math.round(vOp)} V` : ''));
  }
  parts.push(pointsSvg(f, x, y, pts, '#036'), '</svg>');
  return parts.join('');
}

export function svgResiduals(points: ScanPoint[], opts: PlotOptions = {}): string {
  const pts = points
    .filter((p) => p.residual !== undefined && Number.isFinite(p.residual))
    .map((p) => ({ x: p.v, y: p.residual as number, err: 1 }));
  if (pts.length === 0) return emptyPlot(opts, 'fit residuals');
  const f = frame({ height: 160, ...opts });
  const x = range(
    pts.map((p) => p.x),
    false,
  );
  const bound = Math.max(3, ...pts.map((p) => Math.abs(p.y) + 1));
  const y: Axis = { min: -bound, max: bound, log: false };
  const band = [-2, 0, 2]
    .map((t) => {
      const py = project(y, t, f.bottom, f.top);
      return `<line x1="${f.left}" y1="${py}" x2="${f.right}" y2="${py}" stroke="${t === 0 ? '#444' : '#999'}"${t === 0 ? '' : ' stroke-dasharray="3 3"'}/>`;
    })
    .join('');
  return [
    svgOpen(f, 'fit residuals'),
    axesSvg(f, x, y, 'HV (V)', '(ln g - fit)/σ', opts.title),
    band,
    pointsSvg(f, x, y, pts, '#036'),
    '</svg>',
  ].join('');
}
