/**
 * Numbers in words for people (verdicts, reports): gains as 3.6e6, voltages to the volt. One
 * place so a verdict line and the report print the same figure the same way.
 */

/** `3.6e6` (no `+`, no trailing zeros); plain for numbers of moderate size */
export function formatSci(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 0.01 && abs < 1e4) return String(Number(x.toPrecision(digits + 1)));
  const [mantissa, exponent] = x.toExponential(digits).split('e');
  return `${trimZeros(mantissa)}e${Number(exponent)}`;
}

/** a value with its error, the value rounded to the error's first significant digit (at least 1) */
export function formatVolts(v: number, err?: number | null): string {
  if (!Number.isFinite(v)) return `${v} V`;
  if (err === undefined || err === null || !Number.isFinite(err)) return `${Math.round(v)} V`;
  const decimals = err > 0 && err < 1 ? Math.min(3, -Math.floor(Math.log10(err))) : 0;
  return `${v.toFixed(decimals)} ± ${err.toFixed(decimals)} V`;
}

/** a percentage with one decimal: `8.3 %` */
export function formatPct(p: number): string {
  return `${Number.isFinite(p) ? p.toFixed(1) : String(p)} %`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * A value with its error, the value to the error's second significant digit: `7.16 ± 0.20`;
 * large or tiny values in the exponent form of formatSci.
 */
export function formatWithErr(value: number, err: number | undefined): string {
  if (err === undefined || !Number.isFinite(err) || err <= 0 || !Number.isFinite(value)) {
    return err === undefined ? formatSci(value, 3) : `${formatSci(value, 3)} ± ${formatSci(err, 1)}`;
  }
  const abs = Math.max(Math.abs(value), err);
  if (abs >= 1e4 || abs < 0.01) return `${formatSci(value, 3)} ± ${formatSci(err, 1)}`;
  const decimals = Math.min(6, Math.max(0, 1 - Math.floor(Math.log10(err))));
  return `${value.toFixed(decimals)} ± ${err.toFixed(decimals)}`;
}
