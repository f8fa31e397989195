import fc from 'fast-check';
import { describeUnreachable, fitGainCurve, gainAt, GainPoint, operatingVoltage } from './gain-fit';

const wide = { min: 1, max: 1e5 };

/** a tube's true curve sampled at `voltages`, each gain off by a gaussian of relErr */
function simulate(
  g0: number,
  beta: number,
  v0: number,
  voltages: number[],
  relErrs: number[],
  normals: number[],
): GainPoint[] {
  return voltages.map((v, i) => {
    const truth = gainAt({ v0, g0, beta }, v);
    const gain = truth * (1 + relErrs[i] * normals[i]);
    return { v, gain, gainErr: relErrs[i] * truth };
  });
}

/**
 * A uniform in (0,1) from an integer: fc.double spreads over the representable doubles (most of
 * them tiny), which is not a uniform distribution of reals.
 */
const uniform = fc.integer({ min: 1, max: 2 ** 30 }).map((n) => n / (2 ** 30 + 1));
const between = (min: number, max: number) => uniform.map((u) => min + u * (max - min));
/** Box-Muller: two uniforms to one standard normal */
const normal = fc
  .tuple(uniform, uniform)
  .map(([u1, u2]) => Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));

const tube = fc.record({
  logG0: between(Math.log(1e6), Math.log(2e7)),
  beta: between(6, 9),
  vStart: between(900, 1300),
  step: between(30, 80),
  relErrs: fc.array(between(0.02, 0.05), { minLength: 6, maxLength: 6 }),
  normals: fc.array(normal, { minLength: 6, maxLength: 6 }),
});

describe('fitGainCurve', () => {
  it('recovers G0, beta and the operating voltage exactly from noiseless points', () => {
    fc.assert(
      fc.property(tube, (t) => {
        const voltages = Array.from({ length: 6 }, (_, i) => t.vStart + i * t.step);
        const v0 = voltages[2];
        const g0 = Math.exp(t.logG0);
        const points = simulate(g0, t.beta, v0, voltages, t.relErrs, [0, 0, 0, 0, 0, 0]);
        const target = gainAt({ v0, g0, beta: t.beta }, voltages[3] + 7);
        const fit = fitGainCurve(points, v0, target, wide);
        expect(fit.g0 / g0).toBeCloseTo(1, 9);
        expect(fit.beta).toBeCloseTo(t.beta, 9);
        expect(fit.vOp).toBeCloseTo(voltages[3] + 7, 6);
        expect(fit.chi2).toBeLessThan(1e-12);
        expect(fit.dof).toBe(4);
        fit.residuals.forEach((r) => expect(Math.abs(r)).toBeLessThan(1e-6));
      }),
      { seed: 20240611, numRuns: 200 },
    );
  });

  it('covers the true beta, ln G0 and operating-voltage gain within 2 sigma in ~95 % of 2000 simulated tubes', () => {
    const tubes = fc.sample(tube, { seed: 7, numRuns: 2000, unbiased: true });
    let betaIn = 0;
    let g0In = 0;
    let vOpIn = 0;
    let chi2Sum = 0;
    for (const t of tubes) {
      const voltages = Array.from({ length: 6 }, (_, i) => t.vStart + i * t.step);
      const v0 = voltages[0];
      const g0 = Math.exp(t.logG0);
      const target = gainAt({ v0, g0, beta: t.beta }, t.vStart + 2.5 * t.step);
      const fit = fitGainCurve(simulate(g0, t.beta, v0, voltages, t.relErrs, t.normals), v0, target, wide);
      if (Math.abs(fit.beta - t.beta) <= 2 * fit.betaErr) betaIn++;
      if (Math.abs(Math.log(fit.g0) - t.logG0) <= (2 * fit.g0Err) / fit.g0) g0In++;
      // the true curve at the proposed voltage, against the target, by the error of vOp
      const vOpTrue = operatingVoltage({ v0, g0, beta: t.beta }, target);
      if (fit.vOp !== null && fit.vOpErr !== null && Math.abs(fit.vOp - vOpTrue) <= 2 * fit.vOpErr) vOpIn++;
      chi2Sum += fit.chi2 / fit.dof;
    }
    const pct = (n: number) => (100 * n) / tubes.length;
    expect(pct(betaIn)).toBeGreaterThanOrEqual(92);
    expect(pct(betaIn)).toBeLessThanOrEqual(98);
    expect(pct(g0In)).toBeGreaterThanOrEqual(92);
    expect(pct(g0In)).toBeLessThanOrEqual(98);
    expect(pct(vOpIn)).toBeGreaterThanOrEqual(92);
    expect(pct(vOpIn)).toBeLessThanOrEqual(98);
    // known errors: chi2/dof averages 1
    expect(chi2Sum / tubes.length).toBeGreaterThan(0.9);
    expect(chi2Sum / tubes.length).toBeLessThan(1.1);
  });

  it('reports the correlation of ln G0 and beta: strong with V0 at the scan end, small with V0 mid-scan', () => {
    const voltages = [1000, 1050, 1100, 1150, 1200, 1250];
    const points = voltages.map((v) => ({
      v,
      gain: gainAt({ v0: 1000, g0: 1e6, beta: 7 }, v),
      gainErr: gainAt({ v0: 1000, g0: 1e6, beta: 7 }, v) * 0.03,
    }));
    const atEnd = fitGainCurve(points, 1000, 3.6e6, wide);
    const mid = fitGainCurve(points, Math.sqrt(1000 * 1250), 3.6e6, wide);
    expect(atEnd.corr).toBeLessThan(-0.8);
    expect(Math.abs(mid.corr)).toBeLessThan(0.3);
    // same line whatever V0: same operating voltage and error
    expect(mid.vOp).toBeCloseTo(atEnd.vOp as number, 6);
    expect(mid.vOpErr).toBeCloseTo(atEnd.vOpErr as number, 6);
  });

  it('gives no operating voltage outside the limits, and says which limit and what voltage it needs', () => {
    const points = [1000, 1100, 1200, 1300].map((v) => ({
      v,
      gain: gainAt({ v0: 1000, g0: 2e5, beta: 7 }, v),
      gainErr: gainAt({ v0: 1000, g0: 2e5, beta: 7 }, v) * 0.03,
    }));
    const limits = { min: 800, max: 1500 };
    const high = fitGainCurve(points, 1000, 3.6e6, limits);
    expect(high.vOp).toBeNull();
    expect(high.vOpErr).toBeNull();
    const needs = operatingVoltage(high, 3.6e6);
    expect(needs).toBeGreaterThan(1500);
    expect(describeUnreachable(high, limits)).toMatch(
      new RegExp(`^target gain 3.6e6 needs ${Math.round(needs)} ± \\d+ V, above the channel's vmax 1500 V$`),
    );
    const low = fitGainCurve(points, 1000, 3e4, limits);
    expect(low.vOp).toBeNull();
    expect(describeUnreachable(low, limits)).toMatch(
      /^target gain 3e4 needs \d+ ± \d+ V, below the channel's vmin 800 V$/,
    );
    const inside = fitGainCurve(points, 1000, 1e6, limits);
    expect(inside.vOp).toBeCloseTo(operatingVoltage({ v0: 1000, g0: 2e5, beta: 7 }, 1e6), 6);
  });

  it('says a falling gain curve cannot reach the target', () => {
    const points = [
      { v: 1000, gain: 2e6, gainErr: 1e5 },
      { v: 1100, gain: 1e6, gainErr: 1e5 },
    ];
    const fit = fitGainCurve(points, 1000, 3.6e6, wide);
    expect(fit.beta).toBeLessThan(0);
    expect(fit.vOp).toBeNull();
    expect(describeUnreachable(fit, wide)).toMatch(
      /cannot be reached: the gain does not rise with HV \(beta -7.27 ± /,
    );
  });

  it('refuses fewer than 2 points, non-positive values and a single voltage, naming the point', () => {
    const ok = { v: 1000, gain: 1e6, gainErr: 3e4 };
    expect(() => fitGainCurve([ok], 1000, 3.6e6, wide)).toThrow('gain fit needs at least 2 points, got 1');
    expect(() => fitGainCurve([ok, { ...ok, v: 1100, gain: 0 }], 1000, 3.6e6, wide)).toThrow(
      'gain fit: point 1 (1100 V) has gain 0, not a positive number',
    );
    expect(() => fitGainCurve([ok, { ...ok, v: 1100, gainErr: -1 }], 1000, 3.6e6, wide)).toThrow(
      'point 1 (1100 V) has gainErr -1',
    );
    expect(() => fitGainCurve([ok, { ...ok, v: NaN }], 1000, 3.6e6, wide)).toThrow('has v NaN');
    expect(() => fitGainCurve([ok, { ...ok, gain: 1.1e6 }], 1000, 3.6e6, wide)).toThrow(
      'all points are at one voltage',
    );
    expect(() => fitGainCurve([ok, { ...ok, v: 1100 }], 0, 3.6e6, wide)).toThrow('reference voltage V0 0');
    expect(() => fitGainCurve([ok, { ...ok, v: 1100 }], 1000, -1, wide)).toThrow('target gain -1');
  });
});
