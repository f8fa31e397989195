/**
 * Dark count rate against HV: a straight line in ln R against ln V through the scan, fitted by
 * weighted least squares (sigma(ln R) = rateErr/rate), read at the operating voltage. Within the
 * scan range this interpolates; the error comes from the fit's covariance.
 */
import { fitLine, lineAt } from './weighted-line';

export interface DcrPoint {
  v: number;
  rateHz: number;
  rateErrHz: number;
}

export interface DcrRate {
  rateHz: number;
  rateErrHz: number;
}

export function dcrAtVoltage(points: DcrPoint[], v: number): { rateHz: number; errHz: number } {
  if (!(v > 0) || !Number.isFinite(v)) throw new Error(`DCR: voltage ${v} is not positive`);
  points.forEach((p, i) => {
    if (!(p.v > 0) || !Number.isFinite(p.v)) throw new Error(`DCR: point ${i} has voltage ${p.v}`);
    if (!(p.rateHz >= 0) || !Number.isFinite(p.rateHz)) {
      throw new Error(`DCR: point ${i} (${p.v} V) has rate ${p.rateHz} Hz`);
    }
    if (p.rateHz > 0 && (!(p.rateErrHz > 0) || !Number.isFinite(p.rateErrHz))) {
      throw new Error(`DCR: point ${i} (${p.v} V) has rate error ${p.rateErrHz} Hz, not a positive number`);
    }
  });
  // a rate of 0 has no logarithm: it says little more than "below the counting limit"
  const counted = points.filter((p) => p.rateHz > 0);
  if (counted.length < 2) {
    throw new Error(`DCR at ${v} V needs at least 2 points with a nonzero rate, got ${counted.length}`);
  }
  // x centred on the scan keeps the normal equations well conditioned
  const xRef = counted.reduce((sum, p) => sum + Math.log(p.v), 0) / counted.length;
  const line = fitLine(
    counted.map((p) => ({ x: Math.log(p.v) - xRef, y: Math.log(p.rateHz), sigma: p.rateErrHz / p.rateHz })),
  );
  const at = lineAt(line, Math.log(v) - xRef);
  const rateHz = Math.exp(at.y);
  return { rateHz, errHz: rateHz * at.sigma };
}

/**
 * Two measurements of one rate (e.g. two counting windows) agree when their difference is within
 * `sigma` combined standard deviations, or within `tolerancePct` of their mean (a floor, so very
 * precise windows are not failed over a systematic change too small to matter).
 */
export function windowsAgree(a: DcrRate, b: DcrRate, sigma: number, tolerancePct: number): boolean {
  const diff = Math.abs(a.rateHz - b.rateHz);
  const statistical = sigma * Math.hypot(a.rateErrHz, b.rateErrHz);
  const floor = ((tolerancePct / 100) * Math.abs(a.rateHz + b.rateHz)) / 2;
  return diff <= Math.max(statistical, floor);
}
