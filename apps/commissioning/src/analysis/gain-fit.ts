/**
 * The gain curve G = G0 (V/V0)^beta (SPEC 4, as IceCube's DOMCal): a straight line
 * ln G = ln G0 + beta ln(V/V0), fitted by weighted least squares with sigma(ln G) = gainErr/gain.
 * The operating voltage is where the line reaches the target gain.
 */
import type { GainFit } from '@cicenns/contracts';
import { formatSci, formatVolts } from './format';
import { fitLine } from './weighted-line';

export interface GainPoint {
  v: number;
  gain: number;
  gainErr: number;
}

export interface GainFitResult extends GainFit {
  /** per point, (ln g - fit) / sigma_ln */
  residuals: number[];
}

export interface VoltageLimits {
  min: number;
  max: number;
}

export function fitGainCurve(
  points: GainPoint[],
  v0: number,
  targetGain: number,
  vLimits: VoltageLimits,
): GainFitResult {
  if (!(v0 > 0) || !Number.isFinite(v0))
    throw new Error(`gain fit: reference voltage V0 ${v0} is not positive`);
  if (!(targetGain > 0) || !Number.isFinite(targetGain)) {
    throw new Error(`gain fit: target gain ${targetGain} is not positive`);
  }
  if (points.length < 2) throw new Error(`gain fit needs at least 2 points, got ${points.length}`);
  points.forEach((p, i) => {
    for (const key of ['v', 'gain', 'gainErr'] as const) {
      if (!(p[key] > 0) || !Number.isFinite(p[key])) {
        throw new Error(`gain fit: point ${i} (${p.v} V) has ${key} ${p[key]}, not a positive number`);
      }
    }
  });
  const line = fitLine(
    points.map((p) => ({ x: Math.log(p.v / v0), y: Math.log(p.gain), sigma: p.gainErr / p.gain })),
  );
  const sigmaA = Math.sqrt(line.varA);
  const sigmaB = Math.sqrt(line.varB);
  const g0 = Math.exp(line.a);
  const op = operatingVoltageWithError(
    { v0, a: line.a, beta: line.b, varA: line.varA, varB: line.varB, cov: line.covAB },
    targetGain,
  );
  const reachable = op !== null && op.v >= vLimits.min && op.v <= vLimits.max;
  return {
    v0,
    g0,
    g0Err: g0 * sigmaA,
    beta: line.b,
    betaErr: sigmaB,
    corr: line.covAB / (sigmaA * sigmaB),
    chi2: line.chi2,
    dof: line.dof,
    targetGain,
    vOp: reachable ? op.v : null,
    vOpErr: reachable ? op.err : null,
    residuals: line.residuals,
  };
}

/** the voltage at which the curve gives `gain` (NaN when the gain does not rise with HV) */
export function operatingVoltage(fit: { v0: number; g0: number; beta: number }, gain: number): number {
  if (!(fit.beta > 0)) return NaN;
  return fit.v0 * Math.pow(gain / fit.g0, 1 / fit.beta);
}

export function gainAt(fit: { v0: number; g0: number; beta: number }, v: number): number {
  return fit.g0 * Math.pow(v / fit.v0, fit.beta);
}

/**
 * Why a fit has no operating voltage, naming the voltage it would need and the limit, e.g.
 * "target gain 3.6e6 needs 1623 ± 12 V, above the channel's vmax 1500 V".
 */
export function describeUnreachable(fit: GainFit, vLimits: VoltageLimits): string {
  const target = `target gain ${formatSci(fit.targetGain)}`;
  const sigmaA = fit.g0 > 0 ? fit.g0Err / fit.g0 : NaN;
  const op = operatingVoltageWithError(
    {
      v0: fit.v0,
      a: Math.log(fit.g0),
      beta: fit.beta,
      varA: sigmaA * sigmaA,
      varB: fit.betaErr * fit.betaErr,
      cov: fit.corr * sigmaA * fit.betaErr,
    },
    fit.targetGain,
  );
  if (op === null) {
    return `${target} cannot be reached: the gain does not rise with HV (beta ${formatSci(fit.beta)} ± ${formatSci(fit.betaErr)})`;
  }
  const needs = `${target} needs ${formatVolts(op.v, op.err)}`;
  if (op.v > vLimits.max) return `${needs}, above the channel's vmax ${formatVolts(vLimits.max)}`;
  if (op.v < vLimits.min) return `${needs}, below the channel's vmin ${formatVolts(vLimits.min)}`;
  return `${needs}, within the channel's limits ${formatVolts(vLimits.min)}..${formatVolts(vLimits.max)}`;
}

interface LogLine {
  v0: number;
  /** ln G0 */
  a: number;
  beta: number;
  varA: number;
  varB: number;
  cov: number;
}

/**
 * ln vOp = ln V0 + (ln T - a) / beta; its variance by first-order propagation with the full
 * covariance of (a, beta): the two are strongly correlated unless V0 sits mid-scan.
 */
function operatingVoltageWithError(line: LogLine, target: number): { v: number; err: number } | null {
  if (!(line.beta > 0)) return null;
  const u = (Math.log(target) - line.a) / line.beta;
  const v = line.v0 * Math.exp(u);
  if (!Number.isFinite(v)) return null;
  const varLn = (line.varA + u * u * line.varB + 2 * u * line.cov) / (line.beta * line.beta);
  return { v, err: v * Math.sqrt(Math.max(0, varLn)) };
}
