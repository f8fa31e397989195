/** The p-th percentile (nearest rank) of xs; xs is not changed. */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** The middle of xs (of an even count, the upper of the two middles); xs is not changed. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A Markdown row: name, count, p50, p99, max. */
export const percentileRow = (name: string, xs: number[], digits = 0): string =>
  `| ${name} | ${xs.length} | ${pct(xs, 50).toFixed(digits)} | ${pct(xs, 99).toFixed(digits)} | ${Math.max(...xs).toFixed(digits)} |`;
