import type { Severity } from '@cicenns/contracts';
import type { RuleParams } from './alarm-config';
import { levelVerdict } from './levels';
import { fmt, type Verdict } from './verdict';

/**
 * Measured and expected coincidence rates over the last n readings. One 10 s reading holds only
 * ~17 accidentals (Poisson error ~25 %), so the ratio is taken over several.
 */
export class RatioWindow {
  private pairs: [number, number][] = [];

  constructor(private readonly n: number) {}

  add(measured: number, expected: number): { measured: number; expected: number } {
    this.pairs.push([measured, expected]);
    if (this.pairs.length > this.n) this.pairs.shift();
    let m = 0;
    let e = 0;
    for (const [a, b] of this.pairs) {
      m += a;
      e += b;
    }
    return { measured: m / this.pairs.length, expected: e / this.pairs.length };
  }
}

/**
 * coincidence-excess: a crystal's A-B coincidence rate against the accidental rate its two
 * PMTs' dark counts explain, 2 tau R1 R2 (SPEC 1): more means correlated noise (light leak in
 * the housing, HV discharge, electronics pick-up) raising the crystal's noise floor.
 */
export function coincidenceExcess(
  measuredHz: number,
  accidentalHz: number,
  p: RuleParams<'coincidence-excess'>,
  prev: Severity | undefined,
): Verdict {
  const ratio = measuredHz / accidentalHz;
  const levels = { warn: p.warnFactor, alarm: p.alarmFactor, deadband: p.deadband };
  return levelVerdict(
    ratio,
    ratio,
    'x accidental',
    levels,
    prev,
    (limit) =>
      `coincidence rate ${fmt(measuredHz)} Hz is ${fmt(ratio)} x the accidental ` +
      `${fmt(accidentalHz)} Hz from the two PMTs' DCR (limit ${limit} x)`,
  );
}
