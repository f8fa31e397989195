/**
 * The detector as the commissioning service sees it on the bus: the latest HV reading of every
 * PMT, temperature of every sensor and the beam, from the readings batches (Topics.readingsAll:
 * the poller's hv/temperature readings, the intake's beam readings). Steps ask it for the
 * present and wait on it for an HV channel to reach a state.
 */
import { readingBatchSchema, Topics, type Reading } from '@cicenns/contracts';
import type { Detector } from '@cicenns/model';
import { abortError } from './abort';

export interface HvState {
  vmon?: number;
  imon?: number;
  vset?: number;
  power?: number;
  status?: number;
  /** the reading's time (the poller's clock) */
  ts: number;
  /** when this service received it (its own clock: the age of what it knows) */
  receivedAt: number;
  quality: 'good' | 'bad';
  error?: string;
}

/** A readings batch larger than this is refused unread (the poller's sweep of 45,000 channels fits). */
export const MAX_READINGS_BATCH_BYTES = 16 * 1024 * 1024;

interface HvWaiter {
  pred: (s: HvState) => boolean;
  settle: (s: HvState | undefined, err?: Error) => void;
}

export class DetectorState {
  private readonly hvByPmt = new Map<string, HvState>();
  private readonly temperatures = new Map<string, { valueC: number; ts: number }>();
  private beamState: { on: boolean; power_kw: number; ts: number } | undefined;
  private readonly waiters = new Map<string, Set<HvWaiter>>();
  private readonly count = {
    batches: 0,
    badBatches: 0,
    tooLarge: 0,
    /** readings of a PMT or sensor the detector does not have (not kept: bounds the maps) */
    unknownSubjects: 0,
    /** good readings without a usable value */
    badFields: 0,
  };

  constructor(
    private readonly detector: Detector,
    private readonly now: () => number = Date.now,
  ) {}

  /** One message of Topics.readingsAll; anything else, or a bad batch, is counted and ignored. */
  onBatch(topic: string, payload: Buffer | string): void {
    if (!topic.startsWith(Topics.readingsPrefix)) return;
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (size > MAX_READINGS_BATCH_BYTES) {
      this.count.tooLarge++;
      return;
    }
    let readings: Reading[];
    try {
      readings = readingBatchSchema.parse(JSON.parse(payload.toString())).readings;
    } catch {
      this.count.badBatches++;
      return;
    }
    this.count.batches++;
    for (const r of readings) {
      if (r.m === 'hv') this.onHv(r);
      else if (r.m === 'temperature') this.onTemperature(r);
      else if (r.m === 'beam') this.onBeam(r);
    }
  }

  hv(pmt: string): HvState | undefined {
    return this.hvByPmt.get(pmt);
  }

  temperature(sensorId: string): { valueC: number; ts: number } | undefined {
    return this.temperatures.get(sensorId);
  }

  beam(): { on: boolean; power_kw: number; ts: number } | undefined {
    return this.beamState;
  }

  /** resolves when pred(hv state) holds, rejects after timeoutMs or on abort */
  waitForHv(
    pmt: string,
    pred: (s: HvState) => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<HvState> {
    const current = this.hvByPmt.get(pmt);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    try {
      if (current && pred(current)) return Promise.resolve(current);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<HvState>((resolve, reject) => {
      const set = this.waiters.get(pmt) ?? new Set<HvWaiter>();
      this.waiters.set(pmt, set);
      const onAbort = () => waiter.settle(undefined, abortError(signal!));
      const timer = setTimeout(() => {
        const last = this.hvByPmt.get(pmt);
        const seen = last ? `last reading ${describeHv(last)}` : 'no HV reading of it yet';
        waiter.settle(undefined, new Error(`${pmt}: not reached within ${timeoutMs / 1000} s (${seen})`));
      }, timeoutMs);
      const waiter: HvWaiter = {
        pred,
        settle: (s, err) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          set.delete(waiter);
          if (set.size === 0 && this.waiters.get(pmt) === set) this.waiters.delete(pmt);
          if (err) reject(err);
          else resolve(s!);
        },
      };
      set.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  counters(): Record<string, number> {
    return { ...this.count, waiting: [...this.waiters.values()].reduce((n, s) => n + s.size, 0) };
  }

  private onHv(r: Reading): void {
    if (!this.detector.pmt(r.id)) {
      this.count.unknownSubjects++;
      return;
    }
    const prev = this.hvByPmt.get(r.id);
    if (prev && prev.ts > r.ts) return; // an older reading arriving late
    const s: HvState = { ts: r.ts, receivedAt: this.now(), quality: r.quality };
    if (r.error !== undefined) s.error = r.error;
    for (const k of ['vmon', 'imon', 'vset', 'power', 'status'] as const) {
      const v = r.fields[k];
      if (typeof v === 'number') s[k] = v;
    }
    this.hvByPmt.set(r.id, s);
    const waiting = this.waiters.get(r.id);
    if (!waiting) return;
    for (const w of [...waiting]) {
      let holds: boolean;
      try {
        holds = w.pred(s);
      } catch (err) {
        w.settle(undefined, err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (holds) w.settle(s);
    }
  }

  private onTemperature(r: Reading): void {
    if (!this.detector.sensor(r.id)) {
      this.count.unknownSubjects++;
      return;
    }
    if (r.quality !== 'good') return; // the last good value stays, with its age
    const v = r.fields.value_c;
    if (typeof v !== 'number') {
      this.count.badFields++;
      return;
    }
    const prev = this.temperatures.get(r.id);
    if (!prev || prev.ts <= r.ts) this.temperatures.set(r.id, { valueC: v, ts: r.ts });
  }

  private onBeam(r: Reading): void {
    if (r.quality !== 'good') return;
    const { on, power_kw } = r.fields;
    if (typeof on !== 'boolean' || typeof power_kw !== 'number') {
      this.count.badFields++;
      return;
    }
    if (!this.beamState || this.beamState.ts <= r.ts) this.beamState = { on, power_kw, ts: r.ts };
  }
}

/** "VMon 1398.2 V, status 3" or "bad: timeout": for a timeout's message. */
export function describeHv(s: HvState): string {
  if (s.quality === 'bad') return `bad: ${s.error ?? 'no reason given'}`;
  const parts = [];
  if (s.vmon !== undefined) parts.push(`VMon ${s.vmon} V`);
  if (s.vset !== undefined) parts.push(`VSet ${s.vset} V`);
  if (s.power !== undefined) parts.push(`power ${s.power ? 'on' : 'off'}`);
  if (s.status !== undefined) parts.push(`status ${s.status}`);
  return parts.join(', ') || 'no values';
}
