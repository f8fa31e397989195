import { gainAtVoltage, type CalibrationRecord } from '@cicenns/model';
import type { Severity } from '@cicenns/contracts';
import type { RuleParams } from './alarm-config';
import { levelVerdict } from './levels';
import { fmt, type Verdict } from './verdict';

/**
 * The gain the calibration predicts at a temperature: linear coefficient around the
 * calibration's reference temperature (the record has one, dcrRefTempC, for both quantities).
 * Without a temperature the calibrated gain itself.
 */
export function expectedGain(cal: CalibrationRecord, tempC: number | undefined): number {
  if (tempC === undefined) return cal.gain;
  return cal.gain * (1 + cal.gainTempCoeffPerC * (tempC - cal.dcrRefTempC));
}

/**
 * gain-drift: measured SPE gain against the (temperature-corrected) calibrated gain, in percent.
 * With `cal` the message names the record it judges against (which version, its gain), so that
 * after an approval the shift sees which calibration an alarm is about.
 */
export function gainDrift(
  measured: number,
  expected: number,
  p: RuleParams<'gain-drift'>,
  prev: Severity | undefined,
  cal?: Pick<CalibrationRecord, 'version' | 'gain' | 'dcrRefTempC'>,
): Verdict {
  const pct = (measured / expected - 1) * 100;
  const levels = { warn: p.warnPct, alarm: p.alarmPct, deadband: p.deadbandPct };
  return levelVerdict(
    Math.abs(pct),
    pct,
    '%',
    levels,
    prev,
    (limit) =>
      `SPE gain ${fmt(measured)} is ${fmt(Math.abs(pct), 2)} % ${pct >= 0 ? 'above' : 'below'} ` +
      (cal
        ? `the expected ${fmt(expected)} (calibration v${cal.version}: ${fmt(cal.gain)} at ${cal.dcrRefTempC} degC; limit ${limit} %)`
        : `calibration ${fmt(expected)} (limit ${limit} %)`),
  );
}

/**
 * gain-hv: the gain the power law predicts from VMon, G_cal * (V / V_cal)^beta, against the
 * calibrated gain: an HV that moved 1 % moves the gain ~7 % before any SPE fit shows it.
 */
export function gainFromHv(
  vmon: number,
  cal: CalibrationRecord,
  p: RuleParams<'gain-hv'>,
  prev: Severity | undefined,
): Verdict {
  const predicted = gainAtVoltage(cal, vmon);
  const pct = (predicted / cal.gain - 1) * 100;
  const levels = { warn: p.warnPct, alarm: p.alarmPct, deadband: p.deadbandPct };
  return levelVerdict(
    Math.abs(pct),
    pct,
    '%',
    levels,
    prev,
    (limit) =>
      `gain predicted from VMon ${fmt(vmon, 5)} V is ${fmt(Math.abs(pct), 2)} % ` +
      `${pct >= 0 ? 'above' : 'below'} calibration (${fmt(cal.hvV, 5)} V; limit ${limit} %)`,
  );
}
