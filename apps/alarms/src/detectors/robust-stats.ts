/** Median of a non-empty list (the list is not modified). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Robust standard deviation: 1.4826 * median absolute deviation, which equals sigma for normal
 * data but ignores a few outliers (a light flash during the warm-up must not inflate sigma).
 */
export function robustSigma(xs: readonly number[], center = median(xs)): number {
  return 1.4826 * median(xs.map((x) => Math.abs(x - center)));
}

/**
 * Mean of the values within `cut` sigmas of the center: as robust to a few outliers as the
 * median, but with the smaller error of a mean (the median's is 1.25x larger for normal data).
 */
export function trimmedMean(xs: readonly number[], center: number, sigma: number, cut = 3): number {
  let sum = 0;
  let n = 0;
  for (const x of xs) {
    if (Math.abs(x - center) <= cut * sigma) {
      sum += x;
      n++;
    }
  }
  return n > 0 ? sum / n : center;
}
