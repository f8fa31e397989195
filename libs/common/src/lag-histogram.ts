/**
 * How late something happens relative to a timestamp it carries (e.g. a reading evaluated by the
 * alarm service, ms after the reading's ts), as a histogram of fixed log buckets: four per
 * doubling (each bound 19 % above the last), 1 ms to 2^18 ms (4.4 min), one more for anything
 * later. Fixed bounds make counts of two moments subtractable: a benchmark takes the counts at
 * the start and the end of its window and gets that window's percentiles (`percentilesOf`).
 * Memory is constant whatever the rate; a percentile is the bound of its bucket (at most 19 %
 * above the true value).
 */
const PER_DOUBLING = 4;
const TOP_EXPONENT = 18;
/** bucket i holds lags <= LAG_BOUNDS_MS[i] (and > the previous bound); the last one is Infinity */
export const LAG_BOUNDS_MS: readonly number[] = [
  ...Array.from({ length: PER_DOUBLING * TOP_EXPONENT + 1 }, (_, i) => 2 ** (i / PER_DOUBLING)),
  Infinity,
];

export function lagBucket(lagMs: number): number {
  if (!(lagMs > 1)) return 0; // at or below 1 ms, negative (a clock ahead of ours), or NaN
  const i = Math.ceil(Math.log2(lagMs) * PER_DOUBLING - 1e-9);
  return Math.min(i, LAG_BOUNDS_MS.length - 1);
}

/** Percentiles (0 < q <= 1) of bucket counts, as each bucket's upper bound; undefined if empty. */
export function percentilesOf(counts: readonly number[], qs: readonly number[]): (number | undefined)[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return qs.map((q) => {
    if (total === 0) return undefined;
    const want = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= want) return LAG_BOUNDS_MS[i];
    }
    return Infinity;
  });
}

/** Sparse counts (bucket index -> count, as in a health report) to a dense array. */
export function denseCounts(sparse: Record<string, number>): number[] {
  const out = new Array<number>(LAG_BOUNDS_MS.length).fill(0);
  for (const [k, v] of Object.entries(sparse)) {
    const i = Number(k);
    if (Number.isInteger(i) && i >= 0 && i < out.length && Number.isFinite(v)) out[i] = v;
  }
  return out;
}

export class LagHistogram {
  private readonly counts = new Array<number>(LAG_BOUNDS_MS.length).fill(0);
  total = 0;

  /** One event `now - ts` ms late; `times` events at once (a batch sharing its timestamp). */
  observe(ts: number, now: number, times = 1): void {
    this.counts[lagBucket(now - ts)] += times;
    this.total += times;
  }

  /** Every timestamp of a batch, one bucket look-up per run of equal timestamps (a DCR sweep). */
  observeAll(items: readonly { ts: number }[], now: number): void {
    let i = 0;
    while (i < items.length) {
      const ts = items[i].ts;
      let j = i + 1;
      while (j < items.length && items[j].ts === ts) j++;
      this.observe(ts, now, j - i);
      i = j;
    }
  }

  percentiles(qs: readonly number[]): (number | undefined)[] {
    return percentilesOf(this.counts, qs);
  }

  /** the non-empty buckets, index -> count (small enough for a health report: at most 74) */
  sparse(): Record<string, number> {
    const out: Record<string, number> = {};
    this.counts.forEach((n, i) => {
      if (n > 0) out[i] = n;
    });
    return out;
  }
}
