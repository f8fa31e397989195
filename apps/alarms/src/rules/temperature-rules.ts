import type { Severity } from '@cicenns/contracts';
import type { RuleParams } from './alarm-config';
import { levelVerdict, severityAbove } from './levels';
import { fmt, type Verdict } from './verdict';

/**
 * temperature-range: outside the sensor's range from detector.yaml (rangeC) is a warning,
 * further out than alarmMarginC an alarm; back inside by deadbandC clears.
 */
export function temperatureRange(
  valueC: number,
  rangeC: readonly [number, number],
  p: RuleParams<'temperature-range'>,
  prev: Severity | undefined,
): Verdict {
  const [lo, hi] = rangeC;
  const excess = Math.max(valueC - hi, lo - valueC); // > 0 outside the range
  const levels = { warn: 0, alarm: p.alarmMarginC, deadband: p.deadbandC };
  const severity = severityAbove(excess, prev, levels);
  const side = valueC > hi ? 'above' : 'below';
  const edge = valueC > hi ? hi : lo;
  const limit = severity === 'alarm' ? (valueC > hi ? hi + p.alarmMarginC : lo - p.alarmMarginC) : edge;
  return {
    severity,
    value: valueC,
    limit,
    unit: 'degC',
    message:
      excess > 0
        ? `temperature ${fmt(valueC)} degC is ${side} its range ${lo}..${hi} degC`
        : `temperature ${fmt(valueC)} degC within ${lo}..${hi} degC`,
  };
}

/**
 * Rate of change from a least-squares line through the readings of the last window (a
 * difference of two readings would be dominated by the 0.1 degC resolution of the transmitter).
 */
export class RateEstimator {
  private points: { t: number; v: number }[] = [];

  constructor(private readonly windowMs: number) {}

  add(ts: number, valueC: number): void {
    this.points.push({ t: ts, v: valueC });
    while (this.points.length > 0 && this.points[0].t < ts - this.windowMs) this.points.shift();
  }

  /** degC per hour, once the points span at least half the window; else undefined. */
  slopePerHour(): number | undefined {
    const n = this.points.length;
    if (n < 3 || this.points[n - 1].t - this.points[0].t < this.windowMs / 2) return undefined;
    const t0 = this.points[0].t;
    let st = 0;
    let sv = 0;
    for (const p of this.points) {
      st += p.t - t0;
      sv += p.v;
    }
    const mt = st / n;
    const mv = sv / n;
    let num = 0;
    let den = 0;
    for (const p of this.points) {
      num += (p.t - t0 - mt) * (p.v - mv);
      den += (p.t - t0 - mt) ** 2;
    }
    return den > 0 ? (num / den) * 3_600_000 : undefined;
  }

  clear(): void {
    this.points = [];
  }
}

/** temperature-rate: the temperature changes faster than the limit (cooling failure, door open). */
export function temperatureRate(
  cPerHour: number,
  p: RuleParams<'temperature-rate'>,
  prev: Severity | undefined,
): Verdict {
  const levels = { warn: p.warnCPerHour, alarm: p.alarmCPerHour, deadband: p.deadbandCPerHour };
  return levelVerdict(
    Math.abs(cPerHour),
    cPerHour,
    'degC/h',
    levels,
    prev,
    (limit) =>
      `temperature ${cPerHour >= 0 ? 'rising' : 'falling'} at ${fmt(Math.abs(cPerHour), 2)} degC/h (limit ${limit} degC/h)`,
  );
}

/** sensor-open: the transmitter reports an open PT100 (0x8000). */
export function sensorOpen(open: boolean, p: RuleParams<'sensor-open'>): Verdict {
  return {
    severity: open ? p.severity : undefined,
    message: open ? 'temperature sensor open (broken wire or connector)' : 'temperature sensor reads',
  };
}
