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

/**
 * A verdict whose message is written only when it is read: most verdicts say "all is well" and
 * are dropped unread (the engine reports only changes), and formatting their numbers was a
 * large share of a reading's cost at 45,000 PMTs. A class, so that every one has the same shape.
 */
class LazyVerdict implements Verdict {
  severity?: Severity;
  value?: number;
  limit?: number;
  unit?: string;
  private text?: string;

  constructor(
    v: Omit<Verdict, 'message'>,
    private readonly write: () => string,
  ) {
    this.severity = v.severity;
    this.value = v.value;
    this.limit = v.limit;
    this.unit = v.unit;
  }

  get message(): string {
    return (this.text ??= this.write());
  }
}

export function lazyMessage(v: Omit<Verdict, 'message'>, write: () => string): Verdict {
  return new LazyVerdict(v, write);
}

/** A number for a message: 3 significant digits, no exponent for everyday magnitudes. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3)) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}
