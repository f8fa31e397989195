import { denseCounts, LAG_BOUNDS_MS, lagBucket, LagHistogram, percentilesOf } from './lag-histogram';

describe('LagHistogram: how late, in fixed log buckets', () => {
  it('puts a lag in the first bucket whose bound is at or above it', () => {
    expect(lagBucket(-50)).toBe(0);
    expect(lagBucket(1)).toBe(0);
    expect(LAG_BOUNDS_MS[lagBucket(1.1)]).toBeCloseTo(2 ** 0.25);
    expect(LAG_BOUNDS_MS[lagBucket(16)]).toBe(16); // a bound itself falls in its own bucket
    expect(LAG_BOUNDS_MS[lagBucket(17)]).toBeCloseTo(2 ** 4.25);
    expect(lagBucket(1e9)).toBe(LAG_BOUNDS_MS.length - 1);
    for (const lag of [1.5, 7, 300, 999, 12_345]) {
      const b = LAG_BOUNDS_MS[lagBucket(lag)];
      expect(b).toBeGreaterThanOrEqual(lag);
      expect(b / lag).toBeLessThan(2 ** 0.25 + 1e-9);
    }
  });

  it('p50 and p99 of 1000 known lags, each within one bucket (19 %) above the true value', () => {
    const h = new LagHistogram();
    const now = 1_000_000;
    for (let i = 1; i <= 1000; i++) h.observe(now - i, now); // lags 1..1000 ms
    const [p50, p99] = h.percentiles([0.5, 0.99]);
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50! / 500).toBeLessThan(1.19);
    expect(p99).toBeGreaterThanOrEqual(990);
    expect(p99! / 990).toBeLessThan(1.19);
  });

  it('a batch counts every reading; two moments subtract to the window between them', () => {
    const h = new LagHistogram();
    h.observeAll([{ ts: 0 }, { ts: 0 }, { ts: 0 }, { ts: 95 }], 100); // 3 x 100 ms, 1 x 5 ms
    expect(h.total).toBe(4);
    const before = denseCounts(h.sparse());
    expect(before.reduce((a, b) => a + b)).toBe(4);
    for (let i = 0; i < 10; i++) h.observe(0, 5000); // the window: 10 x 5 s
    const after = denseCounts(h.sparse());
    const window = after.map((n, i) => n - before[i]);
    expect(percentilesOf(window, [0.5, 0.99]).map((b) => b! >= 5000 && b! < 5000 * 1.19)).toEqual([
      true,
      true,
    ]);
    expect(percentilesOf(new Array(LAG_BOUNDS_MS.length).fill(0), [0.5])).toEqual([undefined]);
  });

  it('ignores what a health report must not carry into the counts', () => {
    expect(denseCounts({ '3': 2, x: 5, '-1': 1, '999': 4, '4': NaN }).reduce((a, b) => a + b)).toBe(2);
  });
});
