import { dcrAtVoltage, windowsAgree } from './dcr-curve';

/** R = 500 Hz (V/1200)^4 */
const rate = (v: number) => 500 * Math.pow(v / 1200, 4);

describe('dcrAtVoltage', () => {
  it('interpolates a power law exactly between scan points, with an error smaller than the points', () => {
    const points = [1000, 1100, 1200, 1300, 1400].map((v) => ({
      v,
      rateHz: rate(v),
      rateErrHz: rate(v) * 0.05,
    }));
    const at = dcrAtVoltage(points, 1250);
    expect(at.rateHz).toBeCloseTo(rate(1250), 9);
    // five points of 5 % each: the line is known better than one point
    expect(at.errHz / at.rateHz).toBeGreaterThan(0.01);
    expect(at.errHz / at.rateHz).toBeLessThan(0.05);
  });

  it('skips points with a rate of 0 and weights by the errors', () => {
    const points = [
      { v: 900, rateHz: 0, rateErrHz: 1 },
      { v: 1000, rateHz: 100, rateErrHz: 1 },
      { v: 1100, rateHz: 200, rateErrHz: 2 },
      // an outlier with a huge error barely moves the line
      { v: 1200, rateHz: 10000, rateErrHz: 1e6 },
    ];
    const at = dcrAtVoltage(points, 1050);
    const exact = 100 * Math.pow(1050 / 1000, Math.log(2) / Math.log(1.1));
    expect(at.rateHz).toBeCloseTo(exact, 1);
  });

  it('grows the error outside the scan (extrapolation)', () => {
    const points = [1000, 1100, 1200].map((v) => ({ v, rateHz: rate(v), rateErrHz: rate(v) * 0.05 }));
    const inside = dcrAtVoltage(points, 1100);
    const outside = dcrAtVoltage(points, 1500);
    expect(outside.errHz / outside.rateHz).toBeGreaterThan((2 * inside.errHz) / inside.rateHz);
  });

  it('refuses fewer than 2 counted points, bad values and a single voltage', () => {
    expect(() =>
      dcrAtVoltage(
        [
          { v: 1000, rateHz: 100, rateErrHz: 5 },
          { v: 1100, rateHz: 0, rateErrHz: 1 },
        ],
        1000,
      ),
    ).toThrow('DCR at 1000 V needs at least 2 points with a nonzero rate, got 1');
    expect(() => dcrAtVoltage([{ v: 1000, rateHz: -1, rateErrHz: 5 }], 1000)).toThrow(
      'point 0 (1000 V) has rate -1 Hz',
    );
    expect(() => dcrAtVoltage([{ v: 1000, rateHz: 10, rateErrHz: 0 }], 1000)).toThrow(
      'point 0 (1000 V) has rate error 0 Hz',
    );
    expect(() =>
      dcrAtVoltage(
        [
          { v: 1000, rateHz: 10, rateErrHz: 1 },
          { v: 1000, rateHz: 12, rateErrHz: 1 },
        ],
        1000,
      ),
    ).toThrow('all points are at one voltage');
    expect(() => dcrAtVoltage([], 0)).toThrow('DCR: voltage 0 is not positive');
  });
});

describe('windowsAgree', () => {
  it('agrees within sigma combined errors', () => {
    expect(windowsAgree({ rateHz: 100, rateErrHz: 3 }, { rateHz: 110, rateErrHz: 4 }, 2, 1)).toBe(true); // 10 <= 2*5
    expect(windowsAgree({ rateHz: 100, rateErrHz: 3 }, { rateHz: 111, rateErrHz: 4 }, 2, 1)).toBe(false);
  });
  it('agrees within the tolerance of the mean when the errors are tiny', () => {
    expect(windowsAgree({ rateHz: 1000, rateErrHz: 0.1 }, { rateHz: 1040, rateErrHz: 0.1 }, 3, 5)).toBe(true); // 40 <= 51
    expect(windowsAgree({ rateHz: 1000, rateErrHz: 0.1 }, { rateHz: 1060, rateErrHz: 0.1 }, 3, 5)).toBe(
      false,
    );
  });
});
