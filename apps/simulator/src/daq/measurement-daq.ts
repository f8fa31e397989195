import type { Random, ServiceLogger } from '@cicenns/common';
import {
  measureRequestIdSchema,
  measureRequestSchema,
  Topics,
  type DcrResult,
  type GainResult,
  type MeasureRequest,
  type MeasureResult,
  type MeasureStatus,
} from '@cicenns/contracts';
import type { FaultRegistry } from '../faults/fault-registry';
import { describeIssue } from '../faults/fault-schema';
import type { DetectorSim } from '../physics/detector-sim';
import type { Publisher } from './daq-publisher';

/** A request larger than this is refused unread (1000 PMT ids of up to 64 characters fit). */
export const MAX_REQUEST_BYTES = 131_072;
/** relative SPE gain error k / sqrt(n_spe): 3000 SPE give 2.7 % */
export const SPE_GAIN_K = 1.5;
/** fewer single photoelectrons than this: no gain fit, an error for that PMT */
export const MIN_SPE = 100;

export interface MeasurementDaqSettings {
  /** scales the measurement scatter (SIM_NOISE); the stated errors stay the statistical ones */
  noise: number;
  /** with the beam on the DAQ takes physics data and answers `busy` */
  daqBusyWhenBeam: boolean;
}

/** What one PMT collected over the window so far: integrals of the true rate over time. */
interface Collected {
  /** expected counts: integral of DCR dt */
  counts: number;
  /** integral of DCR * gain dt: the pulse-weighted mean gain is gainCounts / counts */
  gainCounts: number;
}

interface Running {
  request: MeasureRequest;
  startedMs: number;
  lastMs: number;
  collected: Map<string, Collected>;
  errors: Record<string, string>;
  timer: NodeJS.Timeout;
  unsubscribe: () => void;
}

/**
 * The simulated DAQ's side of measurement requests (SPEC 2.4): validates a request, answers
 * `accepted`, `busy` or `rejected` on its status topic, integrates the true rates of the asked
 * PMTs over the physics ticks of the window and after duration_s publishes the result, with
 * Poisson counts and honest errors. One request at a time. Faults make it silent, busy, or
 * answer for the wrong PMT.
 */
export class MeasurementDaq {
  readonly counters = {
    requests: 0,
    accepted: 0,
    busy: 0,
    rejected: 0,
    invalid: 0,
    ignored: 0,
    results: 0,
    dropped: 0,
  };
  private running?: Running;

  constructor(
    private readonly sim: DetectorSim,
    private readonly faults: FaultRegistry,
    private readonly rng: Random,
    private readonly settings: MeasurementDaqSettings,
    private readonly client: Publisher,
    private readonly log: Pick<ServiceLogger, 'log' | 'warn'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The request being measured, for /truth. */
  get current(): { request_id: string; kind: string; pmts: number; startedAt: number } | undefined {
    const r = this.running;
    return (
      r && {
        request_id: r.request.request_id,
        kind: r.request.kind,
        pmts: r.request.pmts.length,
        startedAt: r.startedMs,
      }
    );
  }

  /** One message on Topics.measure.request. Never throws. */
  handle(payload: Buffer | string): void {
    this.counters.requests++;
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (size > MAX_REQUEST_BYTES)
      return this.invalid(`request of ${size} bytes (at most ${MAX_REQUEST_BYTES})`);
    let body: unknown;
    try {
      body = JSON.parse(payload.toString());
    } catch {
      return this.invalid('request is not JSON');
    }
    const r = measureRequestSchema.safeParse(body);
    if (!r.success) {
      const reason = describeIssue(r.error);
      const id = measureRequestIdSchema.safeParse((body as { request_id?: unknown } | null)?.request_id);
      if (!id.success) return this.invalid(`request without a usable request_id: ${reason}`);
      this.counters.rejected++;
      this.log.warn(`measurement request ${id.data} rejected: ${reason}`);
      return this.status(id.data, 'rejected', reason);
    }
    const req = r.data;
    if (this.faults.ofType('daq-silent').length) {
      this.counters.ignored++;
      this.log.log(`measurement request ${req.request_id} ignored (fault daq-silent)`);
      return;
    }
    const busy = this.busyReason();
    if (busy) {
      this.counters.busy++;
      this.log.log(`measurement request ${req.request_id}: busy, ${busy}`);
      return this.status(req.request_id, 'busy', busy);
    }
    this.begin(req);
  }

  stop(): void {
    if (!this.running) return;
    clearTimeout(this.running.timer);
    this.running.unsubscribe();
    this.running = undefined;
  }

  private busyReason(): string | undefined {
    if (this.running) return `measuring request ${this.running.request.request_id}`;
    if (this.faults.ofType('daq-busy').length) return 'busy (fault daq-busy)';
    if (this.settings.daqBusyWhenBeam && this.faults.ofType('beam-off').length === 0)
      return 'taking physics data: beam on';
    return undefined;
  }

  private begin(req: MeasureRequest): void {
    const d = this.sim.config.detector;
    const collected = new Map<string, Collected>();
    const errors: Record<string, string> = {};
    for (const id of new Set(req.pmts)) {
      if (d.pmt(id)) collected.set(id, { counts: 0, gainCounts: 0 });
      else errors[id] = `unknown PMT "${id}"`;
    }
    const startedMs = this.now();
    const running: Running = {
      request: req,
      startedMs,
      lastMs: startedMs,
      collected,
      errors,
      timer: setTimeout(() => this.finish(), req.duration_s * 1000),
      unsubscribe: this.sim.onTick((t) => this.collect(running, t)),
    };
    this.running = running;
    this.counters.accepted++;
    this.status(req.request_id, 'accepted');
    this.log.log(
      `measurement request ${req.request_id} accepted: ${req.kind}, ${req.pmts.length} PMTs, ${req.duration_s} s`,
    );
  }

  /** Add the present true rates times the time since the last sample (rectangle rule on the ticks). */
  private collect(r: Running, nowMs: number): void {
    const dt = (nowMs - r.lastMs) / 1000;
    if (dt <= 0) return;
    r.lastMs = nowMs;
    for (const [id, c] of r.collected) {
      const rate = this.sim.expectedDcr(id);
      c.counts += rate * dt;
      c.gainCounts += rate * this.sim.expectedGain(id, nowMs) * dt;
    }
  }

  private finish(): void {
    const r = this.running;
    if (!r) return;
    const end = this.now();
    this.collect(r, end);
    r.unsubscribe();
    this.running = undefined;
    const t = Math.max(1e-3, (end - r.startedMs) / 1000);
    const results: Record<string, DcrResult | GainResult> = {};
    const errors = { ...r.errors };
    for (const [id, c] of r.collected) {
      if (r.request.kind === 'dcr') results[id] = this.dcrResult(c, t);
      else {
        const g = this.gainResult(id, c);
        if (typeof g === 'string') errors[id] = g;
        else results[id] = g;
      }
    }
    const result: MeasureResult = {
      request_id: r.request.request_id,
      ts: end,
      kind: r.request.kind,
      results: this.faults.ofType('daq-wrong-pmt').length
        ? this.misattribute(results, r.request.pmts)
        : results,
      ...(Object.keys(errors).length ? { errors } : {}),
    };
    this.counters.results++;
    this.send(Topics.measure.result(r.request.request_id), result);
  }

  /** N ~ Poisson(integral of the rate): rate N / t, error sqrt(N) / t. */
  private dcrResult(c: Collected, t: number): DcrResult {
    const n = this.settings.noise === 0 ? c.counts : this.rng.poisson(c.counts);
    return { rate_hz: n / t, rate_err_hz: Math.sqrt(n) / t };
  }

  /** n_spe ~ Poisson(dark pulses in the window); gain scattered by k / sqrt(n_spe), stated as such. */
  private gainResult(id: string, c: Collected): GainResult | string {
    const volts = this.sim.hvOfPmt(id)?.vTrue ?? 0;
    const n = Math.round(this.settings.noise === 0 ? c.counts : this.rng.poisson(c.counts));
    if (n < MIN_SPE || volts < 1 || !(c.gainCounts > 0))
      return `too few single photoelectrons (${n}) at ${volts.toFixed(0)} V`;
    const trueGain = c.gainCounts / c.counts;
    const rel = SPE_GAIN_K / Math.sqrt(n);
    const gain = Math.max(trueGain * 1e-3, trueGain * (1 + rel * this.settings.noise * this.rng.gaussian()));
    return { gain, gain_err: rel * gain, n_spe: n };
  }

  /** Fault daq-wrong-pmt: each result filed under a PMT that was not asked for. */
  private misattribute(results: Record<string, DcrResult | GainResult>, asked: string[]): typeof results {
    const askedSet = new Set(asked);
    const others = this.sim.config.detector.pmts.map((p) => p.id).filter((id) => !askedSet.has(id));
    const out: typeof results = {};
    Object.values(results).forEach((v, i) => {
      out[others.length ? others[i % others.length] : `NOT-${asked[0]}`.slice(0, 64)] = v;
    });
    return out;
  }

  private invalid(reason: string): void {
    this.counters.invalid++;
    this.log.warn(`measurement request refused: ${reason}`);
  }

  private status(requestId: string, state: MeasureStatus['state'], reason?: string): void {
    const s: MeasureStatus = { request_id: requestId, ts: this.now(), state, ...(reason ? { reason } : {}) };
    this.send(Topics.measure.status(requestId), s);
  }

  private send(topic: string, payload: object): void {
    if (!this.client.connected) {
      this.counters.dropped++;
      return;
    }
    this.client.publish(topic, JSON.stringify(payload), { qos: 1 }, (err) => {
      if (err) this.counters.dropped++;
    });
  }
}
