import { median, robustSigma, trimmedMean } from './robust-stats';

export interface CusumParams {
  /** allowance in sigmas: half the shift the detector is tuned for */
  k: number;
  /** decision interval in sigmas */
  h: number;
  /** samples that estimate baseline and sigma before the detector is armed */
  warmupSamples: number;
  /** lower bound of sigma, in the samples' unit */
  minSigma: number;
  /** fixed sigma instead of the warm-up estimate */
  sigma?: number;
  /** standardized residuals are clipped to +-zClip */
  zClip: number;
  /** a raised side clears when its statistic falls below clearFraction * h */
  clearFraction: number;
  /** warmup: reference = warm-up median (detects change); calibration: reference = 0 (detects offset) */
  baseline: 'warmup' | 'calibration';
}

export type CusumSide = 'up' | 'down';

export interface CusumStatus {
  phase: 'warmup' | 'armed';
  /** the side whose statistic crossed h (hysteresis applied) */
  alarm?: CusumSide;
  /** one-sided statistics, in sigmas */
  upper: number;
  lower: number;
  /** reference level and sigma in the samples' unit (NaN during the warm-up) */
  baseline: number;
  sigma: number;
  /** estimated mean shift of the raised (or larger) side since it last left zero, in the samples' unit */
  shift: number;
}

/**
 * Two-sided tabular CUSUM (Page 1954) on a residual that is ~0 when all is well, e.g.
 * measured / expected - 1. It accumulates evidence of a persistent small shift that a fixed
 * threshold only sees once the shift itself has grown past the threshold:
 *   S+ = max(0, S+ + z - k),  S- = max(0, S- - z - k),  z = (x - baseline) / sigma.
 * Baseline and sigma come from a robust warm-up (trimmed mean, MAD) unless sigma is configured.
 */
export class Cusum {
  private warmup: number[] = [];
  private ref = NaN;
  private sigma = NaN;
  private upper = 0;
  private lower = 0;
  private upperRun = 0;
  private lowerRun = 0;
  private raised: CusumSide | undefined;

  constructor(private readonly p: CusumParams) {}

  /**
   * Add one sample. `sigmaFloor` is a per-sample lower bound of sigma known to the caller
   * (e.g. the Poisson error of a count), applied on top of the configured minimum.
   */
  update(x: number, sigmaFloor = 0): CusumStatus {
    if (Number.isNaN(this.ref)) {
      this.warmup.push(x);
      if (this.warmup.length === this.p.warmupSamples) this.arm();
      return this.status();
    }
    const sigma = Math.max(this.sigma, sigmaFloor);
    const z = Math.max(-this.p.zClip, Math.min(this.p.zClip, (x - this.ref) / sigma));
    this.upper = Math.max(0, this.upper + z - this.p.k);
    this.lower = Math.max(0, this.lower - z - this.p.k);
    this.upperRun = this.upper > 0 ? this.upperRun + 1 : 0;
    this.lowerRun = this.lower > 0 ? this.lowerRun + 1 : 0;
    this.applyHysteresis();
    return this.status();
  }

  /**
   * Forget the accumulated evidence (after the alarm was acknowledged or cleared). With
   * `rebaseline` the warm-up starts again, e.g. after a new calibration took effect.
   */
  reset(rebaseline = false): void {
    this.upper = this.lower = this.upperRun = this.lowerRun = 0;
    this.raised = undefined;
    if (rebaseline) {
      this.warmup = [];
      this.ref = this.sigma = NaN;
    }
  }

  status(): CusumStatus {
    const armed = !Number.isNaN(this.ref);
    const side = this.raised ?? (this.upper >= this.lower ? 'up' : 'down');
    const [stat, run] = side === 'up' ? [this.upper, this.upperRun] : [-this.lower, this.lowerRun];
    // Over a run of n samples S = sum(z - k), so the mean z over the run is k + S/n.
    const shiftSigmas = run > 0 ? Math.sign(stat) * this.p.k + stat / run : 0;
    return {
      phase: armed ? 'armed' : 'warmup',
      alarm: this.raised,
      upper: this.upper,
      lower: this.lower,
      baseline: this.ref,
      sigma: this.sigma,
      shift: armed ? shiftSigmas * this.sigma : 0,
    };
  }

  private arm(): void {
    const center = median(this.warmup);
    const spread = robustSigma(this.warmup, center);
    this.sigma = this.p.sigma ?? Math.max(this.p.minSigma, spread);
    // The baseline's own error acts like a shift: it must stay well below k sigma.
    this.ref =
      this.p.baseline === 'warmup' ? trimmedMean(this.warmup, center, Math.max(spread, this.p.minSigma)) : 0;
    this.warmup = [];
  }

  private applyHysteresis(): void {
    const { h, clearFraction } = this.p;
    if (this.raised === 'up' && this.upper < clearFraction * h) this.raised = undefined;
    if (this.raised === 'down' && this.lower < clearFraction * h) this.raised = undefined;
    if (!this.raised && this.upper > h) this.raised = 'up';
    else if (!this.raised && this.lower > h) this.raised = 'down';
  }
}
