/** How commissioning states read on the page: a glyph and a word for each, never colour alone. */
import type { PmtRunView, RunState, StepCheck, StepProgress } from '@cicenns/contracts';
import { num } from './format.js';

export const STEP_TEXT: Record<StepProgress['state'], string> = {
  pending: '· pending',
  running: '▶ running',
  waiting: '… waiting',
  passed: '✔ pass',
  failed: '✖ FAIL',
  skipped: '– skipped',
  aborted: '■ aborted',
};

export const RUN_TEXT: Record<RunState, string> = {
  waiting: '… waiting',
  running: '▶ running',
  paused: '❚❚ paused',
  finished: '✔ finished',
  aborted: '■ aborted',
};

export const PMT_TEXT: Record<PmtRunView['state'], string> = {
  pending: '· pending',
  running: '▶ running',
  passed: '✔ passed',
  failed: '✖ failed',
  aborted: '■ aborted',
};

export const ACTIVE_RUN = new Set<RunState>(['waiting', 'running', 'paused']);

/** The value being measured: "DCR 512.3 Hz". */
export function liveText(s: StepProgress): string {
  return s.live ? `${s.live.what} ${num(s.live.value, 1)} ${s.live.unit}`.trim() : '';
}

/** A checklist cell: the state, and while running its progress and the live value. */
export function cellText(s: StepProgress): string {
  if (s.state !== 'running') return STEP_TEXT[s.state];
  const live = liveText(s);
  return `${STEP_TEXT.running} ${Math.round(s.progress * 100)} %${live ? ` · ${live}` : ''}`;
}

export function checkValue(c: StepCheck): string {
  if (c.value === null) return '—';
  const v = typeof c.value === 'number' ? num(c.value, Math.abs(c.value) < 10 ? 3 : 1) : String(c.value);
  return `${v}${c.unit ? ` ${c.unit}` : ''}`;
}

/** A calibration record's value for the proposal table, with its error when the record has one. */
export function recordValue(r: Record<string, unknown> | undefined, key: string): string {
  const v = r?.[key];
  if (v === undefined || v === null) return '—';
  const err = (r?.errors as Record<string, unknown> | undefined)?.[key];
  const n = (x: unknown) =>
    typeof x !== 'number'
      ? String(x)
      : Number.isInteger(x) && Math.abs(x) < 1e5
        ? String(x)
        : Math.abs(x) >= 1e5
          ? x.toExponential(2)
          : num(x, key === 'beta' ? 3 : 1);
  // an error in its value's notation: 3.60e+6 ± 3.56e+4, not ± 35582.3
  const e = (x: number) => (typeof v === 'number' && Math.abs(v) >= 1e5 ? x.toExponential(2) : n(x));
  return typeof err === 'number' ? `${n(v)} ± ${e(err)}` : n(v);
}
