import type { Severity } from '@cicenns/contracts';

/** What one rule says about one subject after one evaluation; the engine turns it into a Condition. */
export interface Verdict {
  /** undefined: the condition does not hold (hysteresis already applied) */
  severity?: Severity;
  value?: number;
  limit?: number;
  unit?: string;
  /** one line for a person */
  message: string;
}

/** A number for a message: 3 significant digits, no exponent for everyday magnitudes. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3)) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}
