import { dcrAtTemperature, type CalibrationRecord } from '@cicenns/model';
import type { Severity } from '@cicenns/contracts';
import type { RuleParams } from './alarm-config';
import { levelVerdict } from './levels';
import { fmt, type Verdict } from './verdict';

/**
 * The DCR the calibration predicts now: exponential in the temperature of the PMT's crystal or
 * panel, and a power of the voltage, (V / V_cal)^(beta * betaFraction), when VMon is known.
 */
export function expectedDcr(
  cal: CalibrationRecord,
  tempC: number,
  vmon: number | undefined,
  betaFraction: number,
): number {
  const atT = dcrAtTemperature(cal, tempC);
  return vmon === undefined ? atT : atT * Math.pow(vmon / cal.hvV, cal.beta * betaFraction);
}

/** dcr-high: a single reading well above expectation (light leak, HV discharge: a jump). */
export function dcrHigh(
  measuredHz: number,
  expectedHz: number,
  p: RuleParams<'dcr-high'>,
  prev: Severity | undefined,
): Verdict {
  const ratio = measuredHz / expectedHz;
  const levels = { warn: p.warnFactor, alarm: p.alarmFactor, deadband: p.deadband };
  return levelVerdict(
    ratio,
    ratio,
    'x expected',
    levels,
    prev,
    (limit) =>
      `DCR ${fmt(measuredHz)} Hz is ${fmt(ratio)} x the expected ${fmt(expectedHz)} Hz (limit ${limit} x)`,
  );
}

/**
 * dcr-low: too few dark counts (warning), none at all (alarm: a dead channel or a broken cable).
 * The engine does not ask while the HV channel is off: the HV rules own that case.
 */
export function dcrLow(
  measuredHz: number,
  expectedHz: number,
  p: RuleParams<'dcr-low'>,
  prev: Severity | undefined,
): Verdict {
  const ratio = measuredHz / expectedHz;
  const dead = dcrDead(measuredHz, p, `expected ${fmt(expectedHz)} Hz`);
  if (dead) return dead;
  const low = ratio < p.warnFactor || (prev !== undefined && ratio < p.warnFactor + p.deadband);
  return {
    severity: low ? 'warning' : undefined,
    value: ratio,
    limit: p.warnFactor,
    unit: 'x expected',
    message: `DCR ${fmt(measuredHz)} Hz is only ${fmt(ratio)} x the expected ${fmt(expectedHz)} Hz (limit ${p.warnFactor} x)`,
  };
}

/**
 * The part of dcr-low that needs no calibration: a tube with its voltage counts some dark
 * pulses whatever its own DCR, so a rate at or below deadHz is a dead channel (alarm) also on a
 * tube that is not commissioned yet. `context` says what the rate was compared with.
 */
export function dcrDead(measuredHz: number, p: RuleParams<'dcr-low'>, context: string): Verdict | undefined {
  if (measuredHz > p.deadHz) return undefined;
  return {
    severity: 'alarm',
    value: measuredHz,
    limit: p.deadHz,
    unit: 'Hz',
    message: `DCR ${fmt(measuredHz)} Hz: the channel counts nothing (${context})`,
  };
}

/** One aggregated DCR sample for the change detector. */
export interface DcrBin {
  /** measured / expected - 1 over the bin */
  residual: number;
  /** Poisson error of that residual, 1 / sqrt(expected counts) */
  poissonSigma: number;
}

/**
 * Sums dark counts (rate x window) into fixed time bins, so the change detector sees one sample
 * per bin whatever rate the DAQ publishes at, and the Poisson error of each sample is known.
 */
export class DcrBinner {
  private bin = NaN;
  private measured = 0;
  private expected = 0;

  constructor(private readonly binMs: number) {}

  /** Add one reading; returns the finished bin when this reading starts a new one. */
  add(ts: number, measuredHz: number, expectedHz: number, windowS: number): DcrBin | undefined {
    const bin = Math.floor(ts / this.binMs);
    let done: DcrBin | undefined;
    if (bin !== this.bin) {
      if (this.expected > 0) {
        done = { residual: this.measured / this.expected - 1, poissonSigma: 1 / Math.sqrt(this.expected) };
      }
      this.bin = bin;
      this.measured = this.expected = 0;
    }
    this.measured += measuredHz * windowS;
    this.expected += expectedHz * windowS;
    return done;
  }

  reset(): void {
    this.bin = NaN;
    this.measured = this.expected = 0;
  }
}
