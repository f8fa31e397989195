/**
 * Grafana threshold steps from the alarm levels of config/alarms.yaml, in the colours of the
 * levels (normal, warning, alarm). A level that is not a finite number or out of order cannot be
 * drawn truthfully: it fails with the rule's name.
 */
import { ThresholdsMode, type ThresholdsConfig } from '@grafana/grafana-foundation-sdk/dashboard';
import { DashboardInputError } from './errors';

/** One colour per alarm level, everywhere in the dashboards (lines, timelines, tables). */
export const LEVEL_COLOURS = { normal: 'green', warning: 'orange', alarm: 'red' } as const;

function steps(what: string, list: [number | null, string][]): ThresholdsConfig {
  for (let i = 1; i < list.length; i++) {
    const v = list[i][0];
    if (v === null || !Number.isFinite(v)) {
      throw new DashboardInputError(what, `threshold ${v} is not a finite number`);
    }
    const prev = list[i - 1][0];
    if (prev !== null && !(v > prev)) {
      throw new DashboardInputError(what, `thresholds must rise: ${prev} then ${v}`);
    }
  }
  return { mode: ThresholdsMode.Absolute, steps: list.map(([value, color]) => ({ value, color })) };
}

/** Warning from `warn` up, alarm from `alarm` up (a rate, a count, a backlog). */
export function above(what: string, warn: number, alarm: number): ThresholdsConfig {
  const { normal, warning, alarm: red } = LEVEL_COLOURS;
  return steps(what, [
    [null, normal],
    [warn, warning],
    [alarm, red],
  ]);
}

/** |x| >= warn is a warning, |x| >= alarm an alarm (a deviation, a rate of change). */
export function band(what: string, warn: number, alarm: number): ThresholdsConfig {
  const { normal, warning, alarm: red } = LEVEL_COLOURS;
  return steps(what, [
    [null, red],
    [-alarm, warning],
    [-warn, normal],
    [warn, warning],
    [alarm, red],
  ]);
}

/** Outside [lo, hi] a warning, further than `margin` outside an alarm (temperature-range). */
export function range(what: string, lo: number, hi: number, margin: number): ThresholdsConfig {
  const { normal, warning, alarm: red } = LEVEL_COLOURS;
  return steps(what, [
    [null, red],
    [lo - margin, warning],
    [lo, normal],
    [hi, warning],
    [hi + margin, red],
  ]);
}

/** Good from `ok` up, a warning from `warn` up to it, an alarm below (a share of good readings). */
export function goodAbove(what: string, warn: number, ok: number): ThresholdsConfig {
  const { normal, warning, alarm: red } = LEVEL_COLOURS;
  return steps(what, [
    [null, red],
    [warn, warning],
    [ok, normal],
  ]);
}
