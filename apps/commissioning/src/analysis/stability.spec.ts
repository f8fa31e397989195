import { stabilityVerdict } from './stability';

describe('stabilityVerdict', () => {
  it('passes steady readings and reports the largest deviation from the mean', () => {
    const v = stabilityVerdict(
      [
        { value: 100, err: 1 },
        { value: 102, err: 1 },
        { value: 98, err: 1 },
      ],
      5,
    );
    expect(v).toEqual({ pass: true, maxDevPct: 2, mean: 100 });
  });

  it('fails a change beyond both the limit and 3 sigma', () => {
    const v = stabilityVerdict(
      [
        { value: 100, err: 1 },
        { value: 100, err: 1 },
        { value: 130, err: 1 },
      ],
      10,
    );
    expect(v.pass).toBe(false);
    expect(v.mean).toBeCloseTo(110, 9);
    expect(v.maxDevPct).toBeCloseTo((100 * 20) / 110, 9);
  });

  it('does not fail a large change within the readings own errors (noise)', () => {
    const v = stabilityVerdict(
      [
        { value: 100, err: 20 },
        { value: 130, err: 20 },
      ],
      10,
    );
    expect(v.maxDevPct).toBeGreaterThan(10);
    expect(v.pass).toBe(true);
  });

  it('does not fail a significant change within the limit', () => {
    expect(
      stabilityVerdict(
        [
          { value: 100, err: 0.01 },
          { value: 101, err: 0.01 },
        ],
        2,
      ).pass,
    ).toBe(true);
  });

  it('refuses no readings and readings without a number', () => {
    expect(() => stabilityVerdict([], 5)).toThrow('stability: no readings');
    expect(() => stabilityVerdict([{ value: NaN, err: 1 }], 5)).toThrow('reading 0 is NaN ± 1');
    expect(() => stabilityVerdict([{ value: 1, err: -1 }], 5)).toThrow('reading 0 is 1 ± -1');
  });
});
