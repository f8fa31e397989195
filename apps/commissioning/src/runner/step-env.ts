import type { DcrResult, GainResult, StepCheck, StepProgress } from '@cicenns/contracts';
import type { CalibrationRecord, Detector, Pmt, Procedure } from '@cicenns/model';
import type { RunRecord } from '../store/commissioning-store';
import type { DetectorStatePort, HvReading } from './ports';

/** A step's verdict when it fails: names the value and the limit; the PMT's run ends there. */
export class StepFailed extends Error {
  constructor(
    readonly verdict: string,
    readonly checks: StepCheck[] = [],
  ) {
    super(verdict);
  }
}

/** The run was aborted: the step stops where it is (not a failure of the tube). */
export class RunAborted extends Error {
  constructor(readonly by: string) {
    super(`aborted by ${by}`);
  }
}

/** What a step ends with when it passes. */
export interface StepOutcome {
  verdict: string;
  checks: StepCheck[];
}

/**
 * Everything one step of one PMT may use. HV changes and measurements go through setVoltage and
 * measure, which wait while the run is paused, stop on abort and write the run's event log, so a
 * step never touches the hardware except through them.
 */
export interface StepEnv<P = Record<string, unknown>> {
  run: RunRecord;
  pmt: Pmt;
  tubeType: string;
  params: P;
  detector: Detector;
  hvSettings: Procedure['hv'];
  state: DetectorStatePort;
  /** this step's progress: change it, then save() */
  progress: StepProgress;
  save(): void;
  /** the value being measured now (shown live) */
  live(what: string, value: number, unit: string): void;
  event(kind: string, detail?: Record<string, unknown>): void;
  /** the manual items of the run confirmed so far */
  confirmations(): { item: string; by: string; at: number }[];
  /** the stored progress of another step of this PMT (an earlier one: its fit, its points) */
  stepOfKind(kind: string): StepProgress | undefined;
  setVoltage(volts: number): Promise<HvReading>;
  measureDcr(windowS: number): Promise<DcrResult>;
  measureGain(durationS: number): Promise<GainResult>;
  /** ramps the PMT's channel off (vset 0, power off) */
  switchOff(): Promise<void>;
  /** store a proposed calibration of this PMT (not in force until approved); its version is chosen there */
  propose(record: Omit<CalibrationRecord, 'version'>): CalibrationRecord;
  /** waits ms unless the run is aborted (then throws RunAborted) */
  sleep(ms: number): Promise<void>;
  signal: AbortSignal;
  now(): number;
  /** the crystal partner's gain at its operating point, once it has one (gain-curve steps) */
  pairs: PairBoard;
}

/** A tube's outcome of its gain curve, for the gain match of its crystal. */
export interface PairOutcome {
  pmt: string;
  gain?: number;
  gainErr?: number;
  failed?: string;
}

/**
 * The two tubes of a crystal in one run meet here after their gain curves: each posts its
 * operating gain (or why it has none) and waits for the other's. A tube that ends before its
 * gain curve posts why, so its partner never waits for ever.
 */
export class PairBoard {
  private readonly outcomes = new Map<string, PairOutcome>();
  private readonly waiters = new Map<string, ((o: PairOutcome) => void)[]>();

  post(o: PairOutcome): void {
    if (this.outcomes.has(o.pmt)) return;
    this.outcomes.set(o.pmt, o);
    for (const w of this.waiters.get(o.pmt) ?? []) w(o);
    this.waiters.delete(o.pmt);
  }

  get(pmt: string): PairOutcome | undefined {
    return this.outcomes.get(pmt);
  }

  wait(pmt: string, signal: AbortSignal): Promise<PairOutcome> {
    const known = this.outcomes.get(pmt);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new RunAborted(String(signal.reason ?? 'abort')));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const list = this.waiters.get(pmt) ?? [];
      list.push((o) => {
        signal.removeEventListener('abort', onAbort);
        resolve(o);
      });
      this.waiters.set(pmt, list);
    });
  }
}

/** 3.6e6, 1.4e7: gains and rates in a short readable form */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-2)) return x.toExponential(digits - 1).replace('e+', 'e');
  return Number(x.toPrecision(digits)).toString();
}
