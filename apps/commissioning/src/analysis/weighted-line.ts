/**
 * Weighted least squares of a straight line y = a + b x with known errors sigma_y (no scaling by
 * chi2: the errors are the measurement's own). Shared by the gain curve and the DCR curve, which
 * are both straight lines in log-log.
 */
export interface LinePoint {
  x: number;
  y: number;
  sigma: number;
}

export interface LineFit {
  a: number;
  b: number;
  varA: number;
  varB: number;
  covAB: number;
  chi2: number;
  dof: number;
  /** (y - fit) / sigma per point */
  residuals: number[];
}

export function fitLine(points: LinePoint[]): LineFit {
  let s = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const w = 1 / (p.sigma * p.sigma);
    s += w;
    sx += w * p.x;
    sy += w * p.y;
    sxx += w * p.x * p.x;
    sxy += w * p.x * p.y;
  }
  // D is s times the weighted variance of x: relative to s*sxx it measures how distinct the xs are
  const d = s * sxx - sx * sx;
  if (!(d > 1e-12 * Math.max(s * sxx, Number.MIN_VALUE))) {
    throw new Error('all points are at one voltage: a slope cannot be fitted');
  }
  const a = (sxx * sy - sx * sxy) / d;
  const b = (s * sxy - sx * sy) / d;
  const residuals = points.map((p) => (p.y - (a + b * p.x)) / p.sigma);
  const chi2 = residuals.reduce((sum, r) => sum + r * r, 0);
  return { a, b, varA: sxx / d, varB: s / d, covAB: -sx / d, chi2, dof: points.length - 2, residuals };
}

/** the fitted line at x, and its standard deviation from the full covariance */
export function lineAt(fit: LineFit, x: number): { y: number; sigma: number } {
  const variance = fit.varA + x * x * fit.varB + 2 * x * fit.covAB;
  return { y: fit.a + fit.b * x, sigma: Math.sqrt(Math.max(0, variance)) };
}
