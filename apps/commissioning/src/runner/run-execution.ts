import { describeError, type ServiceLogger } from '@cicenns/common';
import type { DcrResult, GainResult, StepProgress } from '@cicenns/contracts';
import type { CalibrationRecord, Detector, Pmt, ResolvedStep, StepKind } from '@cicenns/model';
import type { CommissioningStore, RunRecord } from '../store/commissioning-store';
import type { DaqPort, DetectorStatePort, HvPort, HvReading } from './ports';
import { PairBoard, RunAborted, StepFailed, type StepEnv, type StepOutcome } from './step-env';
import { dcrScan } from './steps/dcr-scan';
import { gainAt } from '../analysis/gain-fit';
import { gainCurve, gainErrAt, setpointOf } from './steps/gain-curve';
import { lowVoltage } from './steps/low-voltage';
import { preconditions } from './steps/preconditions';
import { result } from './steps/result';
import { stability } from './steps/stability';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind reads its own StepParams
const STEPS: Record<StepKind, (env: StepEnv<any>) => Promise<StepOutcome>> = {
  preconditions,
  'low-voltage': lowVoltage,
  'dcr-scan': dcrScan,
  'gain-curve': gainCurve,
  stability,
  result,
};

export interface RunDeps {
  store: CommissioningStore;
  detector: Detector;
  state: DetectorStatePort;
  hv: HvPort;
  daq: DaqPort;
  log: ServiceLogger;
  now?: () => number;
  /** after every change of the run's state (reports, health) */
  onEnd?: (run: RunRecord) => void;
  /** a proposal was stored */
  nextVersion(pmt: string): number;
}

/** A gate the PMTs pass before every HV change and measurement: closed while the run is paused. */
class PauseGate {
  private waiting?: { promise: Promise<void>; open: () => void };

  get closed(): boolean {
    return this.waiting !== undefined;
  }

  close(): void {
    if (this.waiting) return;
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    this.waiting = { promise, open };
  }

  open(): void {
    this.waiting?.open();
    this.waiting = undefined;
  }

  pass(signal: AbortSignal): Promise<void> {
    if (!this.waiting) return Promise.resolve();
    return abortable(this.waiting.promise, signal);
  }
}

/**
 * One commissioning run: its PMTs each go through the procedure's steps in order, up to
 * maxParallel at once (a crystal's two tubes together: they meet for the gain match). Every
 * change is stored before the run goes on, so a new process continues it where it stopped:
 * finished steps are not repeated, a scan goes on after its last stored point.
 */
export class RunExecution {
  private readonly abortCtl = new AbortController();
  private readonly gate = new PauseGate();
  private readonly confirmed = new PauseGate();
  private readonly pairs = new PairBoard();
  private readonly progress: Map<string, Map<string, StepProgress>>;
  private readonly now: () => number;
  private done?: Promise<void>;
  /** the service is stopping: the run stays active in the store for the next process */
  private halted = false;

  constructor(
    private run: RunRecord,
    private readonly deps: RunDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.progress = deps.store.steps(run.runId);
    for (const pmt of run.pmts) {
      let m = this.progress.get(pmt);
      if (!m) this.progress.set(pmt, (m = new Map()));
      for (const s of run.procedure.steps)
        if (!m.has(s.id)) {
          const p: StepProgress = { id: s.id, kind: s.kind, state: 'pending', progress: 0 };
          m.set(s.id, p);
          deps.store.saveStep(run.runId, pmt, p);
        }
    }
    this.seedPairs();
    if (run.state === 'paused') this.gate.close();
    if (this.pendingConfirmations().length > 0) this.confirmed.close();
  }

  get runId(): string {
    return this.run.runId;
  }

  get record(): RunRecord {
    return this.run;
  }

  pendingConfirmations(): string[] {
    const have = new Set(this.deps.store.confirmations(this.run.runId).map((c) => c.item));
    return this.run.manualItems.filter((i) => !have.has(i));
  }

  /** Run it to the end (finished or aborted). Resolves when it is over; never rejects. */
  start(): Promise<void> {
    this.done ??= this.execute().catch((err) => {
      if (this.halted) return;
      this.deps.log.error(`run ${this.run.runId}: ${describeError(err)}`);
      this.update({ state: 'aborted', reason: `internal error: ${describeError(err)}`, endedAt: this.now() });
    });
    return this.done;
  }

  confirm(items: string[], by: string): string[] {
    const unknown = items.filter((i) => !this.run.manualItems.includes(i));
    if (unknown.length > 0)
      throw new Error(
        `unknown manual item ${unknown.join(', ')} (this run has: ${this.run.manualItems.join(', ')})`,
      );
    for (const item of items) {
      if (this.deps.store.confirm(this.run.runId, { item, by, at: this.now() }))
        this.event('confirm', undefined, { item, by });
    }
    const pending = this.pendingConfirmations();
    if (pending.length === 0) {
      this.confirmed.open();
      if (this.run.state === 'waiting')
        this.update(this.gate.closed ? { state: 'paused' } : { state: 'running', reason: undefined });
    } else if (this.run.state === 'waiting') this.update({ reason: waitingReason(pending) });
    return pending;
  }

  pause(by: string): void {
    if (this.run.state === 'finished' || this.run.state === 'aborted')
      throw new Error(`run ${this.run.runId} is ${this.run.state}`);
    if (this.run.abortRequested) throw new Error(`run ${this.run.runId} is being aborted`);
    this.gate.close();
    this.event('pause', undefined, { by });
    this.update({
      state: this.run.state === 'waiting' ? 'waiting' : 'paused',
      reason:
        `paused by ${by}: the PMTs stop before their next HV change or measurement; ` +
        'the channels keep their voltage',
      pausedBy: by,
    });
  }

  resume(by: string): void {
    if (this.run.state !== 'paused' && !(this.run.state === 'waiting' && this.gate.closed))
      throw new Error(`run ${this.run.runId} is ${this.run.state}, not paused`);
    this.gate.open();
    this.event('resume', undefined, { by });
    const pending = this.pendingConfirmations();
    this.update(
      pending.length > 0
        ? { state: 'waiting', reason: waitingReason(pending), pausedBy: undefined }
        : { state: 'running', reason: undefined, pausedBy: undefined },
    );
  }

  /** Stop every PMT of the run and switch every channel of the run off; resolves when done. */
  abort(by: string): Promise<void> {
    if (this.run.state === 'finished' || this.run.state === 'aborted')
      return Promise.reject(new Error(`run ${this.run.runId} is already ${this.run.state}`));
    if (!this.run.abortRequested) {
      this.event('abort', undefined, { by });
      this.update({
        abortRequested: { by, at: this.now() },
        reason: `aborting (by ${by}): switching the run's ${this.run.pmts.length} channels off`,
      });
    }
    this.abortCtl.abort(by);
    return this.start();
  }

  /**
   * The service stops: every PMT stops where it is, nothing is switched off or marked, the run
   * stays as stored (the next process continues it). Resolves when the PMTs have stopped.
   */
  halt(): Promise<void> {
    this.halted = true;
    this.abortCtl.abort('service stopping');
    return this.done ?? Promise.resolve();
  }

  // ---------- the run ----------

  private async execute(): Promise<void> {
    if (this.run.abortRequested) return this.finishAborted();
    if (this.run.state === 'waiting') this.deps.log.log(`run ${this.run.runId}: ${this.run.reason}`);
    try {
      await this.confirmed.pass(this.abortCtl.signal);
    } catch {
      return this.finishAborted();
    }
    const units = this.units();
    const max = this.run.procedure.maxParallel;
    const running = new Set<Promise<void>>();
    let used = 0;
    for (const unit of units) {
      if (this.abortCtl.signal.aborted) break;
      // a crystal pair takes two places, or all of them when maxParallel is 1
      const weight = Math.min(unit.length, max);
      while (used + weight > max) await Promise.race(running);
      used += weight;
      const task: Promise<void> = Promise.all(unit.map((pmt) => this.runPmt(pmt))).then(() => {
        used -= weight;
        running.delete(task);
      });
      running.add(task);
    }
    await Promise.all(running);
    if (this.halted) return;
    if (this.abortCtl.signal.aborted) return this.finishAborted();
    const counts = { passed: 0, failed: 0 };
    for (const pmt of this.run.pmts) {
      const steps = [...this.progress.get(pmt)!.values()];
      if (steps.some((s) => s.state === 'failed')) counts.failed++;
      else counts.passed++;
    }
    this.event('end', undefined, counts);
    this.update({
      state: 'finished',
      endedAt: this.now(),
      reason: `finished: ${counts.passed} of ${this.run.pmts.length} PMTs passed, ${counts.failed} failed`,
    });
    this.deps.log.log(`run ${this.run.runId}: ${this.run.reason}`);
    this.deps.onEnd?.(this.run);
  }

  private async finishAborted(): Promise<void> {
    if (this.halted) return;
    const by = this.run.abortRequested?.by ?? 'unknown';
    for (const pmt of this.run.pmts)
      for (const p of this.progress.get(pmt)!.values()) {
        if (p.state === 'running' || p.state === 'waiting')
          this.saveStep(pmt, { ...p, state: 'aborted', endedAt: this.now() });
        else if (p.state === 'pending') this.saveStep(pmt, { ...p, state: 'skipped' });
      }
    const failures: string[] = [];
    await Promise.all(
      this.run.pmts.map(async (pmt) => {
        try {
          await this.deps.hv.off(pmt, this.who);
          this.event('hv-off', pmt, { ok: true, why: 'abort' });
        } catch (err) {
          failures.push(`${pmt}: ${describeError(err)}`);
          this.event('hv-off', pmt, { ok: false, why: 'abort', error: describeError(err) });
        }
      }),
    );
    this.update({
      state: 'aborted',
      endedAt: this.now(),
      reason:
        failures.length === 0
          ? `aborted by ${by}; every channel of the run switched off`
          : `aborted by ${by}; ${failures.length} channels could not be switched off: ${failures.join('; ')}`,
    });
    this.deps.log.log(`run ${this.run.runId}: ${this.run.reason}`);
    this.deps.onEnd?.(this.run);
  }

  /** the run's PMTs in detector order, the two tubes of a crystal in one unit */
  private units(): string[][] {
    const inRun = new Set(this.run.pmts);
    const seen = new Set<string>();
    const out: string[][] = [];
    for (const pmt of this.run.pmts) {
      if (seen.has(pmt)) continue;
      const p = this.deps.detector.pmt(pmt)!;
      const crystal =
        p.group === 'crystal' ? this.deps.detector.crystals.find((c) => c.id === p.parentId) : undefined;
      const unit = crystal ? crystal.pmts.filter((id) => inRun.has(id)) : [pmt];
      unit.forEach((id) => seen.add(id));
      out.push(unit);
    }
    return out;
  }

  private async runPmt(pmtId: string): Promise<void> {
    const pmt = this.deps.detector.pmt(pmtId)!;
    const tubeType = this.run.procedure.tubeTypes[pmt.group];
    const steps = this.progress.get(pmtId)!;
    let ended = false;
    for (const step of this.run.procedure.steps) {
      const stored = steps.get(step.id)!;
      if (ended) {
        if (stored.state === 'pending') this.saveStep(pmtId, { ...stored, state: 'skipped' });
        continue;
      }
      if (stored.state === 'passed' || stored.state === 'skipped') continue;
      if (stored.state === 'failed' || stored.state === 'aborted') {
        ended = true;
        continue;
      }
      if (this.abortCtl.signal.aborted) return;
      const ok = await this.runStep(pmt, tubeType, step, stored);
      if (!ok) ended = true;
    }
  }

  /** One step of one PMT; false if it failed or was aborted (the PMT goes no further). */
  private async runStep(
    pmt: Pmt,
    tubeType: string,
    step: ResolvedStep,
    stored: StepProgress,
  ): Promise<boolean> {
    const progress: StepProgress = {
      ...stored,
      state: 'running',
      startedAt: stored.startedAt ?? this.now(),
      verdict: undefined,
    };
    this.saveStep(pmt.id, progress);
    this.event('step-start', pmt.id, { step: step.id, resumed: stored.state === 'running' });
    const env = this.envFor(pmt, tubeType, step, progress);
    try {
      const outcome = await STEPS[step.kind](env);
      Object.assign(progress, {
        state: 'passed',
        progress: 1,
        verdict: outcome.verdict,
        checks: outcome.checks,
        live: undefined,
        endedAt: this.now(),
      });
      this.saveStep(pmt.id, progress);
      this.event('step-end', pmt.id, { step: step.id, state: 'passed', verdict: outcome.verdict });
      return true;
    } catch (err) {
      if (err instanceof RunAborted || this.abortCtl.signal.aborted) {
        // finishAborted marks it and switches the channel off (or, halted, the next process goes on)
        return false;
      }
      const failed = err instanceof StepFailed ? err : new StepFailed(describeError(err));
      Object.assign(progress, {
        state: 'failed',
        verdict: failed.verdict,
        checks: failed.checks.length > 0 ? failed.checks : progress.checks,
        live: undefined,
        endedAt: this.now(),
      });
      this.saveStep(pmt.id, progress);
      this.event('step-end', pmt.id, { step: step.id, state: 'failed', verdict: failed.verdict });
      this.deps.log.warn(`run ${this.run.runId}: ${pmt.id} failed ${step.id}: ${failed.verdict}`);
      this.pairs.post({ pmt: pmt.id, failed: `failed ${step.id}: ${failed.verdict}` });
      // preconditions only read: the channel is left as it was (it may be someone else's business)
      if (step.kind !== 'preconditions') await this.switchOff(pmt.id, `failed ${step.id}`);
      return false;
    }
  }

  private envFor(pmt: Pmt, tubeType: string, step: ResolvedStep, progress: StepProgress): StepEnv {
    const signal = this.abortCtl.signal;
    const runId = this.run.runId;
    const checkpoint = async () => {
      if (signal.aborted) throw new RunAborted(String(signal.reason));
      await this.gate.pass(signal);
    };
    const measure = async (kind: 'dcr' | 'spe-gain', durationS: number) => {
      await checkpoint();
      this.event('daq-request', pmt.id, { step: step.id, kind, durationS });
      const out = await this.deps.daq.measure(kind, pmt.id, durationS, runId, signal, (why) =>
        this.event('daq-wait', pmt.id, { step: step.id, why }),
      );
      if (signal.aborted) throw new RunAborted(String(signal.reason));
      if (!out.ok) {
        this.event('daq-result', pmt.id, { step: step.id, kind, ok: false, reason: out.reason });
        throw new StepFailed(`${kind} measurement of ${durationS} s failed: ${out.reason}`, progress.checks);
      }
      const value = kind === 'dcr' ? out.dcr : out.gain;
      this.event('daq-result', pmt.id, { step: step.id, kind, ok: true, ...value });
      if (!value)
        throw new StepFailed(`the DAQ's ${kind} result has no value for ${pmt.id}`, progress.checks);
      return value;
    };
    return {
      run: this.run,
      pmt,
      tubeType,
      params: step.byType[tubeType] as Record<string, unknown>,
      detector: this.deps.detector,
      hvSettings: this.run.procedure.hv,
      state: this.deps.state,
      progress,
      save: () => this.saveStep(pmt.id, progress),
      live: (what, value, unit) => {
        progress.live = { what, value, unit, at: this.now() };
        this.saveStep(pmt.id, progress);
      },
      event: (kind, detail) => this.event(kind, pmt.id, { step: step.id, ...detail }),
      confirmations: () => this.deps.store.confirmations(runId),
      stepOfKind: (kind) => {
        const s = this.run.procedure.steps.find((x) => x.kind === kind);
        return s ? this.progress.get(pmt.id)!.get(s.id) : undefined;
      },
      setVoltage: async (volts) => {
        await checkpoint();
        this.event('hv-set', pmt.id, { step: step.id, volts });
        progress.live = { what: `ramping to ${volts} V`, value: volts, unit: 'V', at: this.now() };
        this.saveStep(pmt.id, progress);
        let reached: HvReading;
        try {
          reached = await this.deps.hv.setVoltage(pmt.id, volts, this.who, signal);
        } catch (err) {
          if (signal.aborted) throw new RunAborted(String(signal.reason));
          this.event('hv-reached', pmt.id, { step: step.id, volts, ok: false, error: describeError(err) });
          throw new StepFailed(`setting ${volts} V failed: ${describeError(err)}`, progress.checks);
        }
        this.event('hv-reached', pmt.id, { step: step.id, volts, ok: true, vmon: reached.vmon });
        return reached;
      },
      measureDcr: (windowS) => measure('dcr', windowS) as Promise<DcrResult>,
      measureGain: (durationS) => measure('spe-gain', durationS) as Promise<GainResult>,
      switchOff: () => this.switchOff(pmt.id, 'end of the procedure'),
      propose: (record) => this.propose(record),
      sleep: (ms) => (ms <= 0 ? checkpoint() : abortable(sleep(ms), signal)),
      signal,
      now: this.now,
      pairs: this.pairs,
    };
  }

  private propose(r: Omit<CalibrationRecord, 'version'>): CalibrationRecord {
    // idempotent per run and PMT: a result step repeated after a restart proposes nothing new
    const existing = this.deps.store.proposalsOfRun(this.run.runId).find((p) => p.pmt === r.pmt);
    if (existing) return existing.record;
    const record = { ...r, version: this.deps.nextVersion(r.pmt) } as CalibrationRecord;
    const previous = this.deps.detector.currentCalibration(r.pmt, this.now());
    this.deps.store.transaction(() => {
      this.deps.store.saveProposal({
        runId: this.run.runId,
        pmt: r.pmt,
        version: record.version,
        state: 'proposed',
        record,
        previous,
        createdAt: this.now(),
      });
      this.event('proposal', r.pmt, { version: record.version, hvV: record.hvV, gain: record.gain });
    });
    return record;
  }

  private async switchOff(pmt: string, why: string): Promise<void> {
    try {
      await this.deps.hv.off(pmt, this.who);
      this.event('hv-off', pmt, { ok: true, why });
    } catch (err) {
      this.event('hv-off', pmt, { ok: false, why, error: describeError(err) });
      this.deps.log.error(`run ${this.run.runId}: switching ${pmt} off failed: ${describeError(err)}`);
    }
  }

  /** After a restart: the gain outcomes of tubes that finished their gain curve (or ended before it). */
  private seedPairs(): void {
    const gainStep = this.run.procedure.steps.find((s) => s.kind === 'gain-curve');
    if (!gainStep) return;
    const gainIndex = this.run.procedure.steps.indexOf(gainStep);
    for (const pmt of this.run.pmts) {
      const steps = this.progress.get(pmt)!;
      const g = steps.get(gainStep.id)!;
      if (g.state === 'passed' && g.fit?.vOp != null) {
        const v = setpointOf(g.fit.vOp);
        this.pairs.post({ pmt, gain: gainAt(g.fit, v), gainErr: gainErrAt(g.fit, v) });
      } else if (g.state === 'failed') this.pairs.post({ pmt, failed: g.verdict ?? 'failed' });
      else {
        const earlier = this.run.procedure.steps
          .slice(0, gainIndex)
          .find((s) => steps.get(s.id)!.state === 'failed');
        if (earlier)
          this.pairs.post({ pmt, failed: `failed ${earlier.id}: ${steps.get(earlier.id)!.verdict}` });
      }
    }
  }

  private get who() {
    return { user: this.run.startedBy, runId: this.run.runId };
  }

  private saveStep(pmt: string, p: StepProgress): void {
    this.progress.get(pmt)!.set(p.id, p);
    this.deps.store.saveStep(this.run.runId, pmt, p);
  }

  private event(kind: string, pmt: string | undefined, detail?: Record<string, unknown>): void {
    this.deps.store.event({ runId: this.run.runId, ts: this.now(), kind, pmt, detail });
  }

  private update(change: Partial<RunRecord>): void {
    this.run = { ...this.run, ...change };
    this.deps.store.saveRun(this.run);
  }
}

export function waitingReason(pending: string[]): string {
  return `waiting for a named person to confirm: ${pending.join(', ')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** p, or a RunAborted as soon as the signal aborts */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new RunAborted(String(signal.reason)));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RunAborted(String(signal.reason)));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
