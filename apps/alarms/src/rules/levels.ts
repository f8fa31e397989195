import type { Severity } from '@cicenns/contracts';
import { lazyMessage, type Verdict } from './verdict';

export interface Levels {
  warn: number;
  alarm: number;
  /** a raised level holds until the value is back past it by this much (hysteresis) */
  deadband: number;
}

/**
 * Severity of a value that is bad when high: raised when it exceeds a level, held until it
 * falls below that level minus the deadband, so noise around a limit does not flap the alarm.
 */
export function severityAbove(value: number, prev: Severity | undefined, l: Levels): Severity | undefined {
  if (value > l.alarm || (prev === 'alarm' && value > l.alarm - l.deadband)) return 'alarm';
  if (value > l.warn || (prev !== undefined && value > l.warn - l.deadband)) return 'warning';
  return undefined;
}

/** The limit that a severity refers to, for the message. */
export function limitOf(sev: Severity | undefined, l: Pick<Levels, 'warn' | 'alarm'>): number {
  return sev === 'alarm' ? l.alarm : l.warn;
}

/**
 * The verdict of a rule with warning/alarm levels: `judged` (e.g. |%| or a ratio) against the
 * levels with hysteresis, `value` as reported, and the message written with the limit in force.
 */
export function levelVerdict(
  judged: number,
  value: number,
  unit: string,
  levels: Levels,
  prev: Severity | undefined,
  message: (limit: number) => string,
): Verdict {
  const severity = severityAbove(judged, prev, levels);
  const limit = limitOf(severity, levels);
  return lazyMessage({ severity, value, limit, unit }, () => message(limit));
}
