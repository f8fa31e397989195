/**
 * Small fakes of the commissioning service's hardware seam (DetectorState, HvActuator, DaqClient)
 * for the runner's unit specs: a channel reaches its voltage at once, IMon lies on the tube's
 * divider line, the DAQ answers from each tube's truth with honest gaussian noise. The e2e tests
 * use the real parts against the simulator.
 */
import { Random } from '@cicenns/common';
import type { MeasurementKind } from '@cicenns/contracts';
import type { Detector } from '@cicenns/model';
import type {
  DaqPort,
  DetectorStatePort,
  HvPort,
  HvReading,
  MeasureOutcome,
  Who,
} from '../../../apps/commissioning/src/runner/ports';

export interface FakeTube {
  g0: number;
  v0: number;
  beta: number;
  /** DCR at v0 */
  dcr0: number;
  dividerMOhm: number;
  /** relative sigma of each gain measurement */
  gainRelErr?: number;
  /** from the measurement after `after` on, the gain swings by ± fraction (gain-wander) */
  wander?: { fraction: number; after: number };
}

export class FakeState implements DetectorStatePort {
  readonly channels = new Map<string, HvReading>();
  temperatureC = 22;
  beamState = { on: false, power_kw: 0, ts: Date.now() };

  constructor(detector: Detector) {
    for (const p of detector.pmts)
      this.channels.set(p.id, {
        vmon: 0,
        imon: 0,
        vset: 0,
        power: 0,
        status: 0,
        ts: Date.now(),
        receivedAt: Date.now(),
        quality: 'good',
      });
  }

  hv(pmt: string): HvReading | undefined {
    const s = this.channels.get(pmt);
    // every read is a fresh reading (the poller polls all the time)
    return s && { ...s, ts: Date.now(), receivedAt: Date.now() };
  }

  temperature(): { valueC: number; ts: number } {
    return { valueC: this.temperatureC, ts: Date.now() };
  }

  beam() {
    return this.beamState;
  }

  async waitForHv(pmt: string, pred: (s: HvReading) => boolean, timeoutMs: number): Promise<HvReading> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = this.hv(pmt);
      if (s && pred(s)) return s;
      if (Date.now() > until) throw new Error(`timeout waiting for ${pmt}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

export class FakeHv implements HvPort {
  /** every setVoltage and off, in order */
  readonly log: { pmt: string; volts: number; user: string; runId: string }[] = [];
  /** ms a ramp takes */
  rampMs = 1;

  constructor(
    private readonly state: FakeState,
    private readonly detector: Detector,
    private readonly tubes: Map<string, FakeTube>,
  ) {}

  async setVoltage(pmt: string, volts: number, who: Who, signal?: AbortSignal): Promise<HvReading> {
    const p = this.detector.pmt(pmt)!;
    if (volts > p.limits.vmax) throw new Error(`not set: vset ${volts} V above vmax ${p.limits.vmax} V`);
    this.log.push({ pmt, volts, ...who });
    await new Promise((r) => setTimeout(r, this.rampMs));
    if (signal?.aborted) throw new Error('aborted');
    const r = this.tubes.get(pmt)?.dividerMOhm ?? 14;
    this.state.channels.set(pmt, {
      ...this.state.channels.get(pmt)!,
      vset: volts,
      vmon: volts,
      imon: volts / r,
      power: 1,
    });
    return this.state.hv(pmt)!;
  }

  async off(pmt: string, who: Who): Promise<void> {
    this.log.push({ pmt, volts: 0, ...who });
    this.state.channels.set(pmt, { ...this.state.channels.get(pmt)!, vset: 0, vmon: 0, imon: 0, power: 0 });
  }

  /** the highest voltage ever asked of this PMT */
  maxVolts(pmt: string): number {
    return Math.max(0, ...this.log.filter((l) => l.pmt === pmt).map((l) => l.volts));
  }
}

export class FakeDaq implements DaqPort {
  readonly requests: { kind: MeasurementKind; pmt: string; durationS: number; volts: number }[] = [];
  /** PMTs whose measurements fail with this reason (a DAQ that answers for another PMT, say) */
  readonly failing = new Map<string, string>();
  /** PMTs whose measurements never come (until aborted) */
  readonly silent = new Set<string>();
  /** ms a measurement takes */
  delayMs = 1;
  private readonly rnd = new Random(42);
  private readonly wanderStep = new Map<string, number>();

  constructor(
    private readonly state: FakeState,
    private readonly tubes: Map<string, FakeTube>,
  ) {}

  async measure(
    kind: MeasurementKind,
    pmt: string,
    durationS: number,
    _runId: string,
    signal?: AbortSignal,
  ): Promise<MeasureOutcome> {
    const volts = this.state.channels.get(pmt)?.vmon ?? 0;
    this.requests.push({ kind, pmt, durationS, volts });
    if (this.silent.has(pmt))
      return new Promise((_, reject) =>
        signal?.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (signal?.aborted) throw new Error('aborted');
    const failing = this.failing.get(pmt);
    if (failing) return { ok: false, reason: failing };
    const t = this.tubes.get(pmt)!;
    const x = volts / t.v0;
    if (kind === 'dcr') {
      const rate = t.dcr0 * x ** (t.beta / 2);
      const n = this.rnd.poisson(rate * durationS);
      return {
        ok: true,
        dcr: { rate_hz: n / durationS, rate_err_hz: Math.sqrt(Math.max(n, 1)) / durationS },
      };
    }
    const rel = t.gainRelErr ?? 0.02;
    let g = t.g0 * x ** t.beta;
    if (t.wander) {
      const k = (this.wanderStep.get(pmt) ?? 0) + 1;
      this.wanderStep.set(pmt, k);
      if (k > t.wander.after) g *= 1 + t.wander.fraction * (k % 2 ? 1 : -1);
    }
    const gain = g * (1 + rel * this.rnd.gaussian());
    return { ok: true, gain: { gain, gain_err: g * rel, n_spe: 5000 } };
  }

  /** the voltages a kind was measured at for one PMT */
  voltsOf(pmt: string, kind: MeasurementKind): number[] {
    return this.requests.filter((r) => r.pmt === pmt && r.kind === kind).map((r) => r.volts);
  }
}

/** Tubes of the datasheet type with a seeded spread like SPEC 3.1. */
export function fakeTubes(detector: Detector, seed = 7): Map<string, FakeTube> {
  const rnd = new Random(seed);
  const out = new Map<string, FakeTube>();
  for (const p of detector.pmts) {
    const crystal = p.group === 'crystal';
    out.set(p.id, {
      g0: (crystal ? 3.6e6 : 1.4e7) * Math.exp(0.35 * rnd.gaussian()),
      v0: crystal ? 1400 : 900,
      beta: 6 + 3 * rnd.next(),
      dcr0: (crystal ? 2900 : 290) * Math.exp(0.4 * rnd.gaussian()),
      dividerMOhm: (crystal ? 14 : 10) * (1 + 0.05 * (2 * rnd.next() - 1)),
    });
  }
  return out;
}
