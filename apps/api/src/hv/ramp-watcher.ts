import type { Reading } from '@cicenns/contracts';

export interface RampProgress {
  operationId: string;
  pmt: string;
  target: number;
  vmon: number | null;
  done: boolean;
  timedOut?: boolean;
}

interface Watch {
  progress: RampProgress;
  deadline: number;
}

/**
 * Follows VMon of channels that were just set until it reaches the target (or a deadline from
 * the ramp rate passes), and reports each new reading as an `hv-progress` event.
 */
export class RampWatcher {
  private readonly watches = new Map<string, Watch>();

  constructor(
    private readonly emit: (p: RampProgress) => void,
    private readonly now: () => number = Date.now,
  ) {}

  watch(
    operationId: string,
    pmt: string,
    target: number,
    fromV: number | null,
    rampVps: number,
  ): RampProgress {
    const seconds = (Math.abs(target - (fromV ?? 0)) / Math.max(rampVps, 1)) * 2 + 30;
    const progress: RampProgress = { operationId, pmt, target, vmon: fromV, done: false };
    this.watches.set(pmt, { progress, deadline: this.now() + seconds * 1000 }); // a newer operation replaces
    this.emit(progress);
    return progress;
  }

  onReadings(readings: readonly Reading[]): void {
    if (this.watches.size === 0) return;
    for (const r of readings) {
      if (r.m !== 'hv') continue;
      const w = this.watches.get(r.id);
      if (!w) continue;
      const vmon = typeof r.fields.vmon === 'number' ? r.fields.vmon : null;
      const p = w.progress;
      p.vmon = vmon;
      if (vmon !== null && Math.abs(vmon - p.target) <= Math.max(2, p.target * 0.002)) p.done = true;
      else if (this.now() > w.deadline) p.done = p.timedOut = true;
      if (p.done) this.watches.delete(r.id);
      this.emit({ ...p });
    }
  }

  get active(): number {
    return this.watches.size;
  }
}
