import type { CalibrationRecord } from './schemas';

/** Gain predicted by the power law G(V) = G_cal * (V / V_cal)^beta (SPEC 1, 3). */
export function gainAtVoltage(cal: CalibrationRecord, volts: number): number {
  if (volts <= 0) return 0;
  return cal.gain * Math.pow(volts / cal.hvV, cal.beta);
}

/** Expected DCR at a temperature: exponential in temperature around the reference. */
export function dcrAtTemperature(cal: CalibrationRecord, tempC: number): number {
  return cal.dcrHz * Math.exp(cal.dcrTempCoeffPerC * (tempC - cal.dcrRefTempC));
}

/** Accidental coincidence rate of two PMTs in a window tau: 2 * tau * R1 * R2. */
export function accidentalRate(r1Hz: number, r2Hz: number, windowNs: number): number {
  return 2 * windowNs * 1e-9 * r1Hz * r2Hz;
}
