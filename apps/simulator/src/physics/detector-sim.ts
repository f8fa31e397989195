import { accidentalRate, type CalibrationRecord, type SystemConfig } from '@cicenns/model';
import type { Fault } from '../faults/fault-schema';
import { NO_FAULTS, type FaultOf, type FaultRegistry } from '../faults/fault-registry';
import { HvChannel } from './hv-channel';
import type { Random } from '@cicenns/common';
import { datasheetTube, drawTube, tubeDcr, tubeGain, type TrueTube } from './true-tubes';

/** A divider-short fault without a factor: the divider keeps this fraction of its resistance. */
const DEFAULT_SHORT_FACTOR = 0.3;
/** Ambient temperature of the known sensor locations; crystal housings scatter around 22 degC. */
const BASE_TEMP_C: Record<string, number> = {
  'T-hall': 23.5,
  'T-shield-inner': 21.8,
  'T-rack': 28.0,
  'T-psv': 22.5,
};
const TEMP_NOISE_C = 0.02;
const GAIN_REL_ERR = 0.01;

export interface DetectorSimOptions {
  /** scales every noise amplitude; 0 = measurements equal expectations */
  noise: number;
  coincWindowNs: number;
  /** scales the tube-to-tube spreads (SPEC 3.1); default 0: every tube is its datasheet */
  tubeSpread?: number;
  /** seeds the tubes' own random streams (one per PMT id); default 0 */
  seed?: number;
  /** off: every channel starts powered off at 0 V; default on, settled at the calibration setpoint */
  hvStart?: 'on' | 'off';
  /** DCR after a voltage change: rate * (1 + A exp(-t / tau)); default A = 0 (no settling) */
  dcrSettleAmplitude?: number;
  dcrSettleTauS?: number;
}

/** When a tube's voltage last changed: the DCR settles from then on. */
interface SettleState {
  lastV: number;
  changedAtMs: number;
}

/**
 * One HV channel of a crate with what a tick needs of it, looked up once: a tick steps every
 * channel (10,000 at 10 Hz), and building and parsing "device/ch" keys, a PMT look-up per
 * channel and the arrays they made were most of the simulator's CPU at that size.
 */
interface SimChannel {
  device: string;
  hv: HvChannel;
  /** the PMT it feeds; undefined for a spare channel */
  pmtId?: string;
  settle?: SettleState;
}

/** A temperature sensor's ambient value and, after each tick, its true value and its reading. */
interface SimSensor {
  id: string;
  base: number;
  trueC: number;
  /** null: the sensor reads open */
  reading: number | null;
}

export interface BeamStatus {
  on: boolean;
  power_kw: number;
  rep_rate_hz: number;
}

/**
 * The true state of the simulated detector: HV channels, temperatures, and the DAQ
 * measurements derived from them (SPEC 1, 3). Time only moves in tick(); the measure*()
 * methods draw one noisy measurement of the present state and remember it for /truth.
 */
export class DetectorSim {
  /** every HV channel of every crate, in the configuration's order (the order of the noise draws) */
  private readonly channels: SimChannel[] = [];
  /** a crate's channels by channel number */
  private readonly hvByDevice = new Map<string, HvChannel[]>();
  private readonly hvByPmt = new Map<string, HvChannel>();
  private readonly tubes = new Map<string, TrueTube>();
  private readonly settle = new Map<string, SettleState>();
  /** the random-walk part of each gain-wander fault, by fault id */
  private readonly wander = new Map<string, number>();
  private readonly tickListeners = new Set<(nowMs: number) => void>();
  private readonly sensors: SimSensor[] = [];
  private readonly sensorById = new Map<string, SimSensor>();
  readonly last = {
    dcr: {} as Record<string, number>,
    gain: {} as Record<string, number>,
    coincidence: {} as Record<string, number>,
    beam: undefined as BeamStatus | undefined,
  };
  private lastTickMs: number;
  /** what the measurement DAQ is doing, shown in /truth (set by the simulator that runs one) */
  measurementState?: () => unknown;

  constructor(
    readonly config: SystemConfig,
    private readonly faults: FaultRegistry,
    private readonly rng: Random,
    private readonly opts: DetectorSimOptions,
    nowMs: number,
  ) {
    this.lastTickMs = nowMs;
    const d = config.detector;
    // the tubes first, each from its own stream: the same seed gives the same tubes
    for (const pmt of d.pmts) {
      const history = d.calibrationHistory(pmt.id);
      const sheet = history.find((r) => r.method === 'datasheet') ?? this.calibration(pmt.id);
      this.tubes.set(
        pmt.id,
        drawTube(datasheetTube(pmt, sheet), opts.seed ?? 0, pmt.id, opts.tubeSpread ?? 0),
      );
    }
    const hvOn = (opts.hvStart ?? 'on') === 'on';
    for (const dev of config.app.devices) {
      if (config.profiles.get(dev.profile)?.kind !== 'hv') continue;
      const ofDevice: HvChannel[] = [];
      this.hvByDevice.set(dev.id, ofDevice);
      for (let ch = 0; ch < dev.channels; ch++) {
        const pmt = d.pmtByHv(dev.id, ch);
        const cal = pmt && this.calibration(pmt.id);
        const tube = pmt && this.tubes.get(pmt.id);
        const channel =
          pmt && tube
            ? cal && hvOn
              ? new HvChannel(cal.hvV, true, tube.dividerMOhm, pmt.limits.vmax)
              : new HvChannel(0, false, tube.dividerMOhm, pmt.limits.vmax)
            : new HvChannel(0, false, 10, 2000); // spare channel: off
        ofDevice[ch] = channel;
        const sim: SimChannel = { device: dev.id, hv: channel };
        if (pmt) {
          this.hvByPmt.set(pmt.id, channel);
          // settled long ago: the detector has been running before the simulator started
          const settle = { lastV: channel.vTrue, changedAtMs: -Infinity };
          this.settle.set(pmt.id, settle);
          sim.pmtId = pmt.id;
          sim.settle = settle;
        }
        this.channels.push(sim);
      }
    }
    for (const s of d.sensors) {
      const base = BASE_TEMP_C[s.id] ?? 22 + 0.6 * (rng.next() - 0.5);
      const sensor: SimSensor = { id: s.id, base, trueC: base, reading: null };
      this.sensors.push(sensor);
      this.sensorById.set(s.id, sensor);
    }
    faults.onChange((ev, f) => this.onFault(ev, f));
    this.tick(nowMs);
  }

  hvChannel(device: string, channel: number): HvChannel | undefined {
    return this.hvByDevice.get(device)?.[channel];
  }

  hvOfPmt(pmtId: string): HvChannel | undefined {
    return this.hvByPmt.get(pmtId);
  }

  /** The true tube behind a PMT (not its calibration record). */
  tube(pmtId: string): TrueTube | undefined {
    return this.tubes.get(pmtId);
  }

  /** Hear every physics step, after it (a measurement integrates the true rates over its window). */
  onTick(fn: (nowMs: number) => void): () => void {
    this.tickListeners.add(fn);
    return () => this.tickListeners.delete(fn);
  }

  get nowMs(): number {
    return this.lastTickMs;
  }

  /** The calibration in force now (or the first one, if all lie in the future). */
  calibration(pmtId: string): CalibrationRecord | undefined {
    const d = this.config.detector;
    return d.currentCalibration(pmtId) ?? d.calibrationHistory(pmtId)[0];
  }

  /** Advance the physics to `nowMs`. */
  tick(nowMs: number): void {
    const dt = Math.max(0, (nowMs - this.lastTickMs) / 1000);
    this.lastTickMs = nowMs;
    const noise = this.opts.noise;
    // each fault type looked up once per tick; with no fault of a type, no look-up per channel
    const offsets = this.faults.byTarget('temperature-offset');
    const cycles = this.faults.byTarget('temperature-cycle');
    const open = this.faults.byTarget('sensor-open');
    for (const s of this.sensors) {
      let t = s.base;
      for (const f of offsets.get(s.id) ?? NO_FAULTS) t += f.deltaC;
      for (const f of cycles.get(s.id) ?? NO_FAULTS) {
        t += f.amplitudeC * Math.sin((2 * Math.PI * (nowMs - f.injectedAtMs)) / 1000 / f.periodS);
      }
      s.trueC = t;
      s.reading = open.has(s.id) ? null : t + TEMP_NOISE_C * noise * this.rng.gaussian();
    }
    const overCurrent = this.faults.byTarget('over-current');
    const interlock = this.faults.byTarget('interlock');
    const dividerOpen = this.faults.byTarget('divider-open');
    const dividerShort = this.faults.byTarget('divider-short');
    const dividerFaults = dividerOpen.size + dividerShort.size > 0;
    for (const c of this.channels) {
      const ch = c.hv;
      const pmtId = c.pmtId;
      const oc = pmtId !== undefined && overCurrent.size ? overCurrent.get(pmtId) : undefined;
      let forced: number | undefined;
      if (oc) for (const f of oc) forced = Math.max(forced ?? -Infinity, f.imonUa ?? ch.iset * 1.5);
      ch.interlocked = interlock.size > 0 && interlock.has(c.device);
      ch.dividerScale =
        pmtId !== undefined && dividerFaults
          ? dividerScale(dividerOpen.get(pmtId), dividerShort.get(pmtId))
          : 1;
      ch.step(dt, this.rng, noise, forced);
      const st = c.settle;
      if (st && ch.vTrue !== st.lastV) {
        st.lastV = ch.vTrue;
        st.changedAtMs = nowMs;
      }
    }
    for (const f of this.faults.ofType('gain-wander')) {
      // Ornstein-Uhlenbeck walk with unit spread and the fault's period as its time scale
      const a = Math.min(1, dt / f.periodS);
      const w = this.wander.get(f.id) ?? 0;
      this.wander.set(f.id, w * (1 - a) + Math.sqrt(2 * a) * noise * this.rng.gaussian());
    }
    for (const fn of this.tickListeners) fn(nowMs);
  }

  /** 1 + A exp(-t / tau), t since the tube's voltage last changed (A elevated while it ramps). */
  dcrSettleFactor(pmtId: string): number {
    const a = this.opts.dcrSettleAmplitude ?? 0;
    const st = this.settle.get(pmtId);
    if (!a || !st) return 1;
    const t = (this.lastTickMs - st.changedAtMs) / 1000;
    return 1 + a * Math.exp(-t / (this.opts.dcrSettleTauS ?? 20));
  }

  /** Physical temperature (also when the sensor reads open); the hall's 22 degC where none is configured. */
  temperature(sensorId: string | undefined): number {
    return (sensorId !== undefined ? this.sensorById.get(sensorId)?.trueC : undefined) ?? 22;
  }

  /** What the PT100 transmitter reports: null when the sensor is open. */
  temperatureReading(sensorId: string): number | null {
    return this.sensorById.get(sensorId)?.reading ?? null;
  }

  /**
   * Noiseless dark count rate of the true tube: DCR0 exponential in temperature, (V/V0)^(beta/2),
   * elevated after a voltage change, times any dcr-jump.
   */
  expectedDcr(pmtId: string): number {
    const pmt = this.config.detector.pmt(pmtId);
    const tube = this.tubes.get(pmtId);
    const ch = this.hvByPmt.get(pmtId);
    if (!pmt || !tube || !ch || ch.vTrue < 1) return 0;
    let rate = tubeDcr(tube, ch.vTrue, this.temperature(pmt.sensorId)) * this.dcrSettleFactor(pmtId);
    for (const f of this.faults.on('dcr-jump', pmtId)) rate *= f.factor;
    return rate;
  }

  /** Noiseless gain of the true tube: power law in the true voltage, temperature, injected drift and wander. */
  expectedGain(pmtId: string, nowMs: number): number {
    const pmt = this.config.detector.pmt(pmtId);
    const tube = this.tubes.get(pmtId);
    const ch = this.hvByPmt.get(pmtId);
    if (!pmt || !tube || !ch) return 0;
    let drift = 1;
    for (const f of this.faults.on('gain-drift', pmtId)) {
      drift += ((f.pctPerHour / 100) * (nowMs - f.injectedAtMs)) / 3_600_000;
    }
    for (const f of this.faults.on('gain-wander', pmtId)) {
      const phase = (2 * Math.PI * (nowMs - f.injectedAtMs)) / 1000 / f.periodS;
      drift *= 1 + (f.amplitudePct / 100) * 0.7 * (Math.sin(phase) + (this.wander.get(f.id) ?? 0));
    }
    return tubeGain(tube, ch.vTrue, this.temperature(pmt.sensorId)) * Math.max(0, drift);
  }

  expectedCoincidence(crystalId: string): number {
    const c = this.config.detector.crystal(crystalId);
    if (!c) return 0;
    return accidentalRate(this.expectedDcr(c.pmts[0]), this.expectedDcr(c.pmts[1]), this.opts.coincWindowNs);
  }

  /** One DCR measurement per PMT: Poisson counts over the window. */
  measureDcr(windowS: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.config.detector.pmts) out[p.id] = this.count(this.expectedDcr(p.id), windowS);
    Object.assign(this.last.dcr, out);
    return out;
  }

  /**
   * One SPE gain measurement per PMT whose tube has enough voltage for an SPE peak
   * (the DAQ cannot fit a gain on a tube that is off).
   */
  measureGain(nowMs: number): Record<string, { gain: number; gain_err: number }> {
    const out: Record<string, { gain: number; gain_err: number }> = {};
    for (const p of this.config.detector.pmts) {
      const tube = this.tubes.get(p.id);
      const ch = this.hvByPmt.get(p.id);
      if (!tube || !ch || ch.vTrue < 0.5 * tube.v0) continue;
      const g = this.expectedGain(p.id, nowMs) * (1 + GAIN_REL_ERR * this.opts.noise * this.rng.gaussian());
      out[p.id] = { gain: g, gain_err: GAIN_REL_ERR * g };
      this.last.gain[p.id] = g;
    }
    return out;
  }

  measureCoincidence(windowS: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.config.detector.crystals)
      out[c.id] = this.count(this.expectedCoincidence(c.id), windowS);
    Object.assign(this.last.coincidence, out);
    return out;
  }

  beam(): BeamStatus {
    const on = this.faults.ofType('beam-off').length === 0;
    const b = { on, power_kw: on ? 140 : 0, rep_rate_hz: on ? 25 : 0 };
    this.last.beam = b;
    return b;
  }

  get coincWindowNs(): number {
    return this.opts.coincWindowNs;
  }

  /** The simulator's present true state, for GET /api/sim/truth. */
  truth(nowMs: number): Record<string, unknown> {
    const hv: Record<string, unknown> = {};
    const dcrExpected: Record<string, number> = {};
    const gainExpected: Record<string, number> = {};
    const tubes: Record<string, TrueTube> = {};
    for (const p of this.config.detector.pmts) {
      const tube = this.tubes.get(p.id);
      if (tube) tubes[p.id] = { ...tube };
      const ch = this.hvByPmt.get(p.id);
      if (ch) {
        hv[p.id] = {
          vset: ch.vset,
          iset: ch.iset,
          vmon: ch.vmon,
          imon: ch.imon,
          status: ch.status,
          power: ch.power,
          tripped: ch.tripped,
          vTrue: ch.vTrue,
        };
      }
      dcrExpected[p.id] = this.expectedDcr(p.id);
      gainExpected[p.id] = this.expectedGain(p.id, nowMs);
    }
    const temperatures: Record<string, number | null> = {};
    const temperaturesTrue: Record<string, number> = {};
    for (const s of this.config.detector.sensors) {
      temperatures[s.id] = this.temperatureReading(s.id);
      temperaturesTrue[s.id] = this.temperature(s.id);
    }
    const coincidenceExpected: Record<string, number> = {};
    for (const c of this.config.detector.crystals) coincidenceExpected[c.id] = this.expectedCoincidence(c.id);
    return {
      ts: nowMs,
      tubes,
      hv,
      temperatures,
      temperaturesTrue,
      dcr: { ...this.last.dcr },
      dcrExpected,
      gain: { ...this.last.gain },
      gainExpected,
      coincidence: { ...this.last.coincidence },
      coincidenceExpected,
      coincidenceWindowNs: this.opts.coincWindowNs,
      beam: this.last.beam ?? this.beam(),
      faults: this.faults.list(),
      ...(this.measurementState ? { measurement: this.measurementState() } : {}),
    };
  }

  private count(expectedHz: number, windowS: number): number {
    if (this.opts.noise === 0) return expectedHz;
    return this.rng.poisson(expectedHz * windowS) / windowS;
  }

  /** Trips are events: inject one trips the channel; removing the fault resets the channel. */
  private onFault(ev: 'added' | 'removed', f: Fault): void {
    if (f.type !== 'hv-trip' && f.type !== 'over-current') return;
    const ch = this.hvByPmt.get(f.pmt);
    if (!ch) return;
    if (ev === 'added' && f.type === 'hv-trip') ch.trip();
    if (ev === 'removed' && ch.tripped) ch.setPower(true);
  }
}

/** The divider's resistance as a multiple of the tube's (short: a fraction, open: infinite). */
function dividerScale(
  open: readonly Fault[] | undefined,
  shorts: readonly FaultOf<'divider-short'>[] | undefined,
): number {
  if (open?.length) return Infinity;
  let scale = 1;
  for (const f of shorts ?? NO_FAULTS) scale *= f.factor ?? DEFAULT_SHORT_FACTOR;
  return scale;
}
