import { Random } from '@cicenns/common';
import { Cusum, type CusumParams } from './cusum';
import { median, robustSigma, trimmedMean } from './robust-stats';

const params: CusumParams = {
  k: 0.5,
  h: 16,
  warmupSamples: 288,
  minSigma: 0.01,
  zClip: 5,
  clearFraction: 0.5,
  baseline: 'warmup',
};

/** Samples of a relative residual with 1 % noise around `offset`. */
function noise(rng: Random, n: number, offset = 0, sigma = 0.01): number[] {
  return Array.from({ length: n }, () => offset + sigma * rng.gaussian());
}

describe('robust statistics', () => {
  it('median, MAD sigma and trimmed mean ignore a few outliers', () => {
    const xs = noise(new Random(3), 1000, 0.05, 0.01);
    xs[10] = 10;
    xs[20] = -10;
    expect(median(xs)).toBeCloseTo(0.05, 2);
    expect(robustSigma(xs)).toBeGreaterThan(0.009);
    expect(robustSigma(xs)).toBeLessThan(0.011);
    expect(trimmedMean(xs, median(xs), robustSigma(xs))).toBeCloseTo(0.05, 3);
  });
});

describe('Cusum', () => {
  it('stays quiet on a year of pure 1 % noise around an offset (52 560 samples)', () => {
    const c = new Cusum(params);
    const rng = new Random(11);
    let alarms = 0;
    let maxStat = 0;
    for (const x of noise(rng, 52_560, 0.02)) {
      const s = c.update(x);
      if (s.alarm) alarms++;
      maxStat = Math.max(maxStat, s.upper, s.lower);
    }
    expect(alarms).toBe(0);
    expect(maxStat).toBeLessThan(params.h);
    const s = c.status();
    expect(s.phase).toBe('armed');
    expect(s.baseline).toBeCloseTo(0.02, 2); // the 2 % offset is the baseline, not a change
    expect(s.sigma).toBeGreaterThanOrEqual(0.01);
    expect(s.sigma).toBeLessThan(0.0115);
  });

  it('detects a 2 %/day drift (10-min samples) within a day, while the drift is still < 2 %', () => {
    const c = new Cusum(params);
    const rng = new Random(5);
    for (const x of noise(rng, params.warmupSamples)) c.update(x);
    const perSample = 0.02 / 144;
    let n = 0;
    let s = c.status();
    while (!s.alarm && n < 1000) {
      n++;
      s = c.update(n * perSample + 0.01 * rng.gaussian());
    }
    expect(s.alarm).toBe('up');
    expect(n).toBeLessThan(144); // under a day; the 5 % threshold needs ~1.5 days
    expect(n * perSample).toBeLessThan(0.02);
    expect(s.upper).toBeGreaterThan(params.h);
    expect(s.shift).toBeGreaterThan(0.005); // estimated mean shift over the run, a few tenths of a percent
  });

  it('detects a downward step of 1.5 sigma in tens of samples on the lower side', () => {
    const c = new Cusum({ ...params, warmupSamples: 50 });
    const rng = new Random(8);
    for (const x of noise(rng, 50)) c.update(x);
    let n = 0;
    let s = c.status();
    while (!s.alarm && n < 200) {
      n++;
      s = c.update(-0.015 + 0.01 * rng.gaussian());
    }
    expect(s.alarm).toBe('down');
    expect(n).toBeGreaterThan(5);
    expect(n).toBeLessThan(40);
  });

  it('clips outliers: one huge sample alone does not raise it', () => {
    const c = new Cusum({ ...params, warmupSamples: 20 });
    for (const x of noise(new Random(2), 20)) c.update(x);
    const s = c.update(1.0); // 100 sigma
    expect(s.alarm).toBeUndefined();
    expect(s.upper).toBeCloseTo(params.zClip - params.k, 6);
  });

  it('clears with hysteresis once the shift is gone, and reset() forgets the evidence', () => {
    const c = new Cusum({ ...params, warmupSamples: 20, sigma: 0.01 });
    for (let i = 0; i < 20; i++) c.update(0);
    for (let i = 0; i < 6; i++) c.update(0.04); // z = 4: +3.5 per sample -> 21 > 16
    expect(c.status().alarm).toBe('up');
    c.update(0); // 21 - 0.5: still above clearFraction * h = 8
    expect(c.status().alarm).toBe('up');
    for (let i = 0; i < 24; i++) c.update(0);
    expect(c.status().alarm).toBe('up'); // 20.5 - 24 * 0.5 = 8.5: not yet below 8
    c.update(0);
    c.update(0);
    expect(c.status().alarm).toBeUndefined();
    for (let i = 0; i < 6; i++) c.update(0.04);
    expect(c.status().alarm).toBe('up');
    c.reset();
    expect(c.status()).toMatchObject({ alarm: undefined, upper: 0, lower: 0, phase: 'armed', baseline: 0 });
    c.reset(true);
    expect(c.status().phase).toBe('warmup');
  });

  it('baseline "calibration" measures from 0; sigmaFloor raises a too small sigma', () => {
    const c = new Cusum({ ...params, warmupSamples: 10, baseline: 'calibration', minSigma: 0.001 });
    for (let i = 0; i < 10; i++) c.update(0.03 + (i % 2 ? 0.001 : -0.001));
    expect(c.status().baseline).toBe(0);
    const s = c.update(0.03, 0.01); // z = 3 with the floor, 30 without
    expect(s.upper).toBeCloseTo(2.5, 6);
  });
});
