/**
 * Whether repeated readings of one quantity (gain or DCR over a soak) stayed put: a reading
 * counts as a change only when it is both beyond 3 sigma of its own error from the mean and more
 * than `maxChangePct` of the mean away, so noise alone never fails a tube.
 */
export interface StabilityVerdict {
  pass: boolean;
  /** the largest |x - mean| / mean of the readings, in percent */
  maxDevPct: number;
  mean: number;
}

export function stabilityVerdict(
  values: { value: number; err: number }[],
  maxChangePct: number,
): StabilityVerdict {
  if (values.length === 0) throw new Error('stability: no readings');
  values.forEach((x, i) => {
    if (!Number.isFinite(x.value) || !(x.err >= 0) || !Number.isFinite(x.err)) {
      throw new Error(`stability: reading ${i} is ${x.value} ± ${x.err}, not a number with an error`);
    }
  });
  const mean = values.reduce((sum, x) => sum + x.value, 0) / values.length;
  let maxDevPct = 0;
  let pass = true;
  for (const x of values) {
    const dev = Math.abs(x.value - mean);
    const pct = mean !== 0 ? (100 * dev) / Math.abs(mean) : dev === 0 ? 0 : Infinity;
    maxDevPct = Math.max(maxDevPct, pct);
    if (dev > 3 * x.err && pct > maxChangePct) pass = false;
  }
  return { pass, maxDevPct, mean };
}
