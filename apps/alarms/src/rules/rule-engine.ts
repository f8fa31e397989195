import type { Reading, ServiceHealth } from '@cicenns/contracts';
import {
  accidentalRate,
  isCommissioned,
  type CalibrationRecord,
  type Pmt,
  type Sensor,
  type SystemConfig,
} from '@cicenns/model';
import type { Condition, RuleEngine } from '../contracts';
import { Cusum, type CusumParams } from '../detectors';
import { matchesAny, type AlarmConfig, type RuleName, type StaleKind } from './alarm-config';
import { coincidenceExcess, RatioWindow } from './coincidence-rules';
import { creepVerdict } from './creep';
import { brokerDrops, daqDown, deviceDown, historianBacklog, staleness } from './data-quality-rules';
import { dcrDead, dcrHigh, DcrBinner, dcrLow, expectedDcr } from './dcr-rules';
import { expectedGain, gainDrift, gainFromHv } from './gain-rules';
import {
  hvDeviation,
  hvOff,
  hvStatusBit,
  isOn,
  isRamping,
  statusMasks,
  type HvView,
  type StatusMasks,
} from './hv-rules';
import { RuleSlots, type KnownAlarm, type RuleSlot } from './rule-slots';
import { StaleQueue, type Queued } from './stale-queue';
import {
  crystalSubject,
  DAQ_SOURCE,
  deviceSubject,
  pmtSubject,
  sensorSubject,
  serviceSubject,
} from './subjects';
import { RateEstimator, sensorOpen, temperatureRange, temperatureRate } from './temperature-rules';
import type { Verdict } from './verdict';

/** The latest beam status (context for every alarm; not an alarm itself). */
export interface BeamState {
  on: boolean;
  power_kw: number;
  rep_rate_hz: number;
  ts: number;
}

const HV_STATUS_RULES = ['hv-over-current', 'hv-trip', 'hv-interlock', 'hv-temperature-error'] as const;
/**
 * a calibration is looked up again after this much reading time (a version whose validFrom
 * comes later takes effect); one received from the bus takes effect on the next reading
 * (calibrationChanged)
 */
const CALIBRATION_RECHECK_MS = 60_000;
/**
 * broker-drops with several intakes: a lower dropped count from another intake within this
 * long of the last report is that intake's older view of the same broker (3 $SYS intervals).
 */
const OTHER_VIEW_MS = 30_000;

/**
 * The verdict of a rule that compares a tube with its calibration while the tube has only its
 * datasheet record (SPEC 3.1): real tubes differ from the datasheet by far more than the
 * thresholds, so there is nothing to judge against. The relative detectors still run.
 */
export const NOT_COMMISSIONED = 'not commissioned (datasheet figures only): not compared';

/** When each measurement of a subject last arrived (arrival time, not the source's clock). */
type LastSeen = Partial<Record<StaleKind, number>>;

interface PmtState {
  pmt: Pmt;
  seen: LastSeen;
  stale: { hv?: StaleCheck; dcr?: StaleCheck; gain?: StaleCheck };
  hv?: HvView;
  masks: StatusMasks;
  dcrHz?: number;
  cal?: CalibrationRecord;
  /** reading time of the last look-up; NaN: look up again at the next reading */
  calCheckedAt: number;
  /** the calibration in force is of this tube (not its datasheet figure) */
  commissioned: boolean;
  gainCusum?: Cusum;
  dcrCusum?: Cusum;
  dcrBins?: DcrBinner;
  slots: {
    gainDrift?: RuleSlot<'gain-drift'>;
    gainHv?: RuleSlot<'gain-hv'>;
    gainCreep?: RuleSlot<'gain-creep'>;
    dcrHigh?: RuleSlot<'dcr-high'>;
    dcrLow?: RuleSlot<'dcr-low'>;
    dcrCreep?: RuleSlot<'dcr-creep'>;
    hvDeviation?: RuleSlot<'hv-deviation'>;
    hvStatus: RuleSlot<'hv-trip'>[];
    hvOff?: RuleSlot<'hv-off'>;
  };
  expectedOff: boolean;
}

interface SensorState {
  sensor: Sensor;
  seen: LastSeen;
  stale?: StaleCheck;
  tempC?: number;
  tempTs?: number;
  rate?: RateEstimator;
  slots: {
    range?: RuleSlot<'temperature-range'>;
    rate?: RuleSlot<'temperature-rate'>;
    open?: RuleSlot<'sensor-open'>;
  };
}

interface CrystalState {
  id: string;
  pmts: [string, string];
  seen: LastSeen;
  stale?: StaleCheck;
  window?: RatioWindow;
  slot?: RuleSlot<'coincidence-excess'>;
}

interface StaleCheck extends Queued {
  slot: RuleSlot<'stale'>;
  m: StaleKind;
  seen: LastSeen;
  periodMs: number;
  queue: StaleQueue<StaleCheck>;
  /** gain is only measured while the tube has HV: no gain is not stale then */
  pmt?: PmtState;
}

/** the measurements only the DAQ publishes: while daq-down holds, their stale checks are held */
const DAQ_KINDS: ReadonlySet<StaleKind> = new Set(['dcr', 'gain', 'coincidence']);

/**
 * The rule engine (SPEC 3): turns readings and service health into the conditions of every
 * alarm that config/alarms.yaml defines for the detector of cicenns.yaml. It keeps the latest
 * values each rule needs from other measurements (a PMT's VMon and its sensor's temperature for
 * the DCR expectation, both PMTs' DCR for a crystal's coincidences) and the per-channel change
 * detectors. It never looks at the clock: `now` and the readings' ts are the only time.
 */
export class DefaultRuleEngine implements RuleEngine {
  private readonly slots: RuleSlots;
  private readonly pmts = new Map<string, PmtState>();
  private readonly sensors = new Map<string, SensorState>();
  private readonly crystals = new Map<string, CrystalState>();
  /** stale checks by measurement and limit, each queue in the order its checks fall due */
  private readonly staleQueues = new Map<string, { queue: StaleQueue<StaleCheck>; daq: boolean }>();
  /** the stale checks whose condition holds: judged every tick until their readings return */
  private readonly staleActive = new Set<StaleCheck>();
  /** daq-down holds and holds the DAQ-side stale checks back (its holdStale) */
  private daqHeld = false;
  private readonly deviceSlots = new Map<string, RuleSlot<'device-down'>>();
  private readonly daqSlot: RuleSlot<'daq-down'> | undefined;
  /** false in a non-system partition: daq-down judged here for holdStale, owned elsewhere */
  private readonly daqOwned: boolean;
  /** when the DAQ last published anything (DCR, gain, coincidence) */
  private daqSeen?: number;
  private readonly backlogSlot?: RuleSlot<'historian-backlog'>;
  private readonly brokerSlot?: RuleSlot<'broker-drops'>;
  /** the broker's dropped count as last reported, and the drops seen within clearAfterMs */
  /** the broker's dropped count as last relayed: by which intake session (`session`), when (`at`) */
  private broker?: { total: number; lastIncreaseAt?: number; recent: number; session?: string; at: number };
  /** each historian instance's last spool report (one entry for a single historian) */
  private readonly backlogs = new Map<string, { lines: number; oldestMs: number }>();
  private readonly beamSeen: LastSeen = {};
  private readonly beamCheck?: StaleCheck;
  private beam?: BeamState;
  private startedAt?: number;

  constructor(
    private readonly cfg: SystemConfig,
    private readonly alarmCfg: AlarmConfig,
    /**
     * One alarm instance of several (scaleOut.alarmPartitions): `cfg` is its slice
     * (alarmSliceOf); only the system partition owns the alarms that are not per channel.
     * Every instance still judges the DAQ's liveness itself (it sees every DAQ batch), so that
     * daq-down holds back its own DAQ-side stale checks without asking the system instance.
     */
    partition: {
      system: boolean;
      slice: boolean;
      /** a slice's: every subject id of the whole configuration, for the override check */
      allSubjectIds?: ReadonlySet<string>;
    } = { system: true, slice: false },
  ) {
    this.slots = new RuleSlots(alarmCfg);
    this.daqOwned = partition.system;
    for (const s of cfg.detector.sensors) this.addSensor(s);
    for (const p of cfg.detector.pmts) this.addPmt(p);
    for (const c of cfg.detector.crystals) this.addCrystal(c.id, c.pmts);
    // the beam status comes from the accelerator, not the DAQ: daq-down does not stand for it
    if (partition.system) this.beamCheck = this.addStaleCheck(serviceSubject('beam'), 'beam', this.beamSeen);
    for (const d of cfg.app.devices) {
      const slot = this.slots.make('device-down', deviceSubject(d.id), 'data-quality');
      if (slot) this.deviceSlots.set(d.id, slot);
    }
    if (partition.system) {
      this.backlogSlot = this.slots.make('historian-backlog', serviceSubject('historian'), 'data-quality');
      this.brokerSlot = this.slots.make('broker-drops', serviceSubject('broker'), 'data-quality');
    }
    // a device-kind subject: while it holds, the runtime suppresses every alarm on device 'daq'
    this.daqSlot = this.slots.make('daq-down', deviceSubject(DAQ_SOURCE), 'daq', 'daq-down', this.daqOwned);
    // a slice holds a share of the subjects: an override for another partition's matches none
    // here, so it is checked against the whole configuration's subject ids when they are given
    if (!partition.slice) this.slots.checkEverythingMatched(cfg);
    else if (partition.allSubjectIds) this.slots.checkEverythingMatched(cfg, partition.allSubjectIds);
  }

  // ---------- RuleEngine ----------

  onReadings(readings: Reading[], now: number): Condition[] {
    this.startedAt ??= now;
    const out: Condition[] = [];
    for (const r of readings) {
      if (r.m === 'dcr' || r.m === 'gain' || r.m === 'coincidence') this.daqSeen = now;
      switch (r.m) {
        case 'hv':
          this.onHv(r, now, out);
          break;
        case 'temperature':
          this.onTemperature(r, now, out);
          break;
        case 'dcr':
          this.onDcr(r, now, out);
          break;
        case 'gain':
          this.onGain(r, now, out);
          break;
        case 'coincidence':
          this.onCoincidence(r, now, out);
          break;
        case 'beam':
          this.onBeam(r, now);
          break;
      }
    }
    return out;
  }

  onHealth(health: ServiceHealth, now: number): Condition[] {
    this.startedAt ??= now;
    const out: Condition[] = [];
    const ts = health.ts ?? now;
    for (const [id, slot] of this.deviceSlots) {
      const conn = health.connections[`device/${id}`];
      if (conn) this.emit(out, slot, deviceDown(conn, slot.params), ts);
    }
    const dropped = health.counters.brokerDropped;
    if (this.brokerSlot && health.service === 'intake' && dropped !== undefined) {
      this.onBrokerDropped(dropped, ts, out, health.session);
    }
    const lines = health.counters.backlogLines;
    if (this.backlogSlot && health.service === 'historian' && lines !== undefined) {
      // Several historians (scaleOut) each report their own spool: the alarm judges the worst
      // of their last reports, or it would follow whichever reported last.
      this.backlogs.set(health.instance ?? '', {
        lines,
        oldestMs: Number(health.detail?.backlogOldestMs ?? 0),
      });
      let worst = { lines: 0, oldestMs: 0 };
      for (const b of this.backlogs.values())
        worst = { lines: Math.max(worst.lines, b.lines), oldestMs: Math.max(worst.oldestMs, b.oldestMs) };
      const v = historianBacklog(
        worst.lines,
        worst.oldestMs,
        this.backlogSlot.params,
        this.backlogSlot.severity,
      );
      this.emit(out, this.backlogSlot, v, ts);
    }
    return out;
  }

  /**
   * Compare the broker's dropped count with its last report: the first one is the baseline.
   * Several intakes (scaleOut) relay the same broker count, each at its own time: a lower count
   * from another intake than the last reporter is its older view (Mosquitto sends $SYS every
   * 10 s), not a restarted broker, unless the last reporter has been silent for a while.
   */
  private onBrokerDropped(total: number, ts: number, out: Condition[], session?: string): void {
    const slot = this.brokerSlot!;
    const prev = this.broker;
    if (prev && total < prev.total && session !== prev.session && ts - prev.at < OTHER_VIEW_MS) return;
    if (!prev || total < prev.total) {
      // (re)started broker
      this.broker = {
        total,
        lastIncreaseAt: prev?.lastIncreaseAt,
        recent: prev?.recent ?? 0,
        session,
        at: ts,
      };
    } else if (total > prev.total) {
      const stillRecent =
        prev.lastIncreaseAt !== undefined && ts - prev.lastIncreaseAt < slot.params.clearAfterMs;
      this.broker = {
        total,
        lastIncreaseAt: ts,
        recent: (stillRecent ? prev.recent : 0) + total - prev.total,
        session,
        at: ts,
      };
    } else {
      Object.assign(prev, { total, session, at: ts });
    }
    const b = this.broker!;
    const sinceLastMs = b.lastIncreaseAt === undefined ? undefined : ts - b.lastIncreaseAt;
    this.emit(out, slot, brokerDrops({ recent: b.recent, total, sinceLastMs }, slot.params), ts);
  }

  /**
   * Stale data. Returns only changes: the age of a stale source is not news every second. Only
   * the checks whose deadline passed are judged, and those already stale (to see them clear).
   */
  onTick(now: number): Condition[] {
    this.startedAt ??= now;
    const out: Condition[] = [];
    if (this.daqSlot) {
      const v = daqDown(now - (this.daqSeen ?? this.startedAt), this.daqSlot.params);
      if (!this.daqOwned) {
        // judged here, raised by the system instance: said only for the suppression under it
        const prev = this.daqSlot.severity;
        this.daqSlot.severity = v.severity;
        if ((v.severity === undefined) !== (prev === undefined))
          out.push({ ...this.condition(this.daqSlot, v, now, prev), elsewhere: true });
      } else if (v.severity !== this.daqSlot.severity) this.emit(out, this.daqSlot, v, now);
      this.holdDaqChecks(this.daqSlot.severity !== undefined && this.daqSlot.params.holdStale, now);
    }
    for (const c of [...this.staleActive]) this.judgeStale(c, now, out);
    for (const { queue, daq } of this.staleQueues.values()) {
      if (daq && this.daqHeld) continue;
      for (const c of queue.takeDue(now, this.startedAt)) this.judgeStale(c, now, out);
    }
    return out;
  }

  /**
   * While the whole DAQ is silent, daq-down stands for every DAQ-side channel: their stale
   * checks are not judged (no per-channel condition, hence no burst of 50,000 transitions at
   * 45,000 PMTs when it goes silent or comes back). Once it is back, each check counts from then:
   * a channel the DAQ still does not publish goes stale one limit later.
   */
  private holdDaqChecks(hold: boolean, now: number): void {
    if (hold === this.daqHeld) return;
    this.daqHeld = hold;
    if (hold) return;
    for (const { queue, daq } of this.staleQueues.values()) if (daq) queue.floor = now;
  }

  private judgeStale(c: StaleCheck, now: number, out: Condition[]): void {
    const last = c.seen[c.m] ?? this.startedAt!;
    const noHv = c.pmt && c.pmt.cal && !this.hvDelivering(c.pmt, c.pmt.cal);
    const v: Verdict = noHv
      ? { message: 'HV off: no gain expected' }
      : staleness(now - last, c.periodMs, c.m, c.slot.params);
    if (v.severity !== c.slot.severity) this.emit(out, c.slot, v, now);
    if (v.severity) {
      // judged every tick from now on, until a reading arrives (or the tube's HV goes off)
      this.staleActive.add(c);
      c.queue.remove(c);
    } else {
      this.staleActive.delete(c);
      // not stale without a reading (HV off): looked at again one limit from now
      if (!c.queued) c.queue.touch(c, now);
    }
  }

  /** A reading of the check's measurement arrived now. */
  private seen(c: StaleCheck | undefined, now: number): void {
    if (c) c.queue.touch(c, now);
  }

  knownAlarms(): KnownAlarm[] {
    return this.slots.all.map(({ alarmId, rule, subject, subsystem, guidance }) => ({
      alarmId,
      rule,
      subject,
      subsystem,
      guidance,
    }));
  }

  /**
   * A calibration record of `pmtId` arrived (an approval): the next reading of that PMT looks
   * its calibration up again, so the new record is used at once; a new version restarts the
   * PMT's change detectors.
   */
  calibrationChanged(pmtId: string): void {
    const st = this.pmts.get(pmtId);
    if (st) st.calCheckedAt = NaN;
  }

  // ---------- beyond RuleEngine ----------

  /** The latest beam status, or undefined before the first one. */
  beamState(): BeamState | undefined {
    return this.beam && { ...this.beam };
  }

  /**
   * Forget a change detector's evidence (gain-creep:<pmt>, dcr-creep:<pmt>), e.g. when the
   * runtime has the alarm acknowledged. Returns the condition cleared by it (if it was active).
   */
  reset(alarmId: string, now: number): Condition[] {
    const [rule, id] = [alarmId.slice(0, alarmId.indexOf(':')), alarmId.slice(alarmId.indexOf(':') + 1)];
    const st = this.pmts.get(id);
    const slot =
      rule === 'gain-creep' ? st?.slots.gainCreep : rule === 'dcr-creep' ? st?.slots.dcrCreep : undefined;
    if (!st || !slot) return [];
    if (rule === 'gain-creep') st.gainCusum?.reset();
    else {
      st.dcrCusum?.reset();
      st.dcrBins?.reset();
    }
    const out: Condition[] = [];
    this.emit(out, slot, { message: 'change detector reset' }, now);
    return out;
  }

  // ---------- readings ----------

  private onHv(r: Reading, now: number, out: Condition[]): void {
    const st = this.pmts.get(r.id);
    if (!st) return;
    // Only a valid reading counts as seen: a channel whose reads keep failing goes stale. When its
    // whole crate is silent, device-down stands and the runtime suppresses these channel alarms.
    if (r.quality !== 'good') return;
    st.seen.hv = now;
    this.seen(st.stale.hv, now);
    const hv: HvView = {
      vmon: num(r.fields.vmon),
      vset: num(r.fields.vset),
      power: num(r.fields.power),
      status: num(r.fields.status),
      masks: st.masks,
    };
    st.hv = hv;
    const cal = this.calibration(st, r.ts);
    const s = st.slots;
    if (s.hvDeviation)
      this.emit(out, s.hvDeviation, hvDeviation(hv, s.hvDeviation.params, s.hvDeviation.severity), r.ts);
    for (const slot of s.hvStatus) this.emit(out, slot, hvStatusBit(hv, slot.params), r.ts);
    if (s.hvOff) this.emit(out, s.hvOff, hvOff(hv, cal?.hvV ?? 0, st.expectedOff, s.hvOff.params), r.ts);
    if (s.gainHv && cal) {
      const settled = hv.vmon !== undefined && isOn(hv) && !isRamping(hv);
      if (!st.commissioned) this.notCompared(out, s.gainHv, r.ts);
      else {
        const v = settled
          ? gainFromHv(hv.vmon!, cal, s.gainHv.params, s.gainHv.severity)
          : { message: 'HV off or ramping: gain not predicted' };
        this.emit(out, s.gainHv, v, r.ts);
      }
    }
  }

  private onTemperature(r: Reading, now: number, out: Condition[]): void {
    const st = this.sensors.get(r.id);
    if (!st) return;
    st.seen.temperature = now;
    this.seen(st.stale, now);
    const s = st.slots;
    if (r.quality !== 'good') {
      if (s.open && /open/i.test(r.error ?? ''))
        this.emit(out, s.open, sensorOpen(true, s.open.params), r.ts);
      return;
    }
    const t = num(r.fields.value_c);
    if (t === undefined) return;
    st.tempC = t;
    st.tempTs = r.ts;
    if (s.open) this.emit(out, s.open, sensorOpen(false, s.open.params), r.ts);
    if (s.range)
      this.emit(out, s.range, temperatureRange(t, st.sensor.rangeC, s.range.params, s.range.severity), r.ts);
    if (s.rate && st.rate) {
      st.rate.add(r.ts, t);
      const slope = st.rate.slopePerHour();
      if (slope !== undefined)
        this.emit(out, s.rate, temperatureRate(slope, s.rate.params, s.rate.severity), r.ts);
    }
  }

  private onDcr(r: Reading, now: number, out: Condition[]): void {
    const st = this.pmts.get(r.id);
    if (!st) return;
    st.seen.dcr = now;
    this.seen(st.stale.dcr, now);
    const rate = num(r.fields.rate_hz);
    if (r.quality !== 'good' || rate === undefined) return;
    st.dcrHz = rate;
    const cal = this.calibration(st, r.ts);
    if (!cal) return;
    const s = st.slots;
    if (!this.hvDelivering(st, cal)) {
      // The HV rules own a channel without voltage; its DCR says nothing about the tube.
      const quiet = { message: 'HV off: DCR not compared' };
      if (s.dcrHigh) this.emit(out, s.dcrHigh, quiet, r.ts);
      if (s.dcrLow) this.emit(out, s.dcrLow, quiet, r.ts);
      return;
    }
    const temp = this.temperatureOf(st, cal, r.ts);
    const expected = expectedDcr(cal, temp.tempC, st.hv?.vmon, this.alarmCfg.model.dcrBetaFraction);
    if (!(expected > 0)) return;
    const note = this.noSensorNote(st, cal);
    if (!st.commissioned) {
      if (s.dcrHigh) this.notCompared(out, s.dcrHigh, r.ts);
      // a dead channel needs no calibration: with its voltage on, any tube counts something
      const dead = s.dcrLow && dcrDead(rate, s.dcrLow.params, 'tube not commissioned: no expected rate');
      if (s.dcrLow && dead) this.emit(out, s.dcrLow, dead, r.ts);
      else if (s.dcrLow) this.notCompared(out, s.dcrLow, r.ts);
    } else {
      if (s.dcrHigh)
        this.emit(out, s.dcrHigh, note(dcrHigh(rate, expected, s.dcrHigh.params, s.dcrHigh.severity)), r.ts);
      if (s.dcrLow)
        this.emit(out, s.dcrLow, note(dcrLow(rate, expected, s.dcrLow.params, s.dcrLow.severity)), r.ts);
    }
    // The change detector needs the temperature of now: an old one would read as a creep.
    if (s.dcrCreep && st.dcrCusum && st.dcrBins && temp.fresh) {
      const windowS = num(r.fields.window_s) ?? this.periodMs('dcr') / 1000;
      const bin = st.dcrBins.add(r.ts, rate, expected, windowS);
      if (bin) {
        const status = st.dcrCusum.update(bin.residual, bin.poissonSigma);
        this.emit(out, s.dcrCreep, creepVerdict('DCR', status, s.dcrCreep.params), r.ts);
      }
    }
  }

  private onGain(r: Reading, now: number, out: Condition[]): void {
    const st = this.pmts.get(r.id);
    if (!st) return;
    st.seen.gain = now;
    this.seen(st.stale.gain, now);
    const gain = num(r.fields.gain);
    const cal = this.calibration(st, r.ts);
    if (r.quality !== 'good' || gain === undefined || !cal) return;
    const s = st.slots;
    if (!this.hvDelivering(st, cal)) {
      // Off or tripped: the HV rules own it; the gain of a tube without its voltage is no news.
      if (s.gainDrift) this.emit(out, s.gainDrift, { message: 'HV off: gain not compared' }, r.ts);
      return;
    }
    // While ramping the voltage explains any gain change: judge it once the channel has settled.
    if (st.hv && isRamping(st.hv)) return;
    // Gain moves a few tenths of a percent per degree: any known temperature beats none.
    const sensor = st.pmt.sensorId === undefined ? undefined : this.sensors.get(st.pmt.sensorId);
    const expected = expectedGain(cal, sensor?.tempC);
    const note = this.noSensorNote(st, cal);
    if (s.gainDrift && !st.commissioned) this.notCompared(out, s.gainDrift, r.ts);
    else if (s.gainDrift)
      this.emit(
        out,
        s.gainDrift,
        note(gainDrift(gain, expected, s.gainDrift.params, s.gainDrift.severity, cal)),
        r.ts,
      );
    if (s.gainCreep && st.gainCusum) {
      const err = num(r.fields.gain_err);
      const status = st.gainCusum.update(gain / expected - 1, err !== undefined && gain > 0 ? err / gain : 0);
      this.emit(out, s.gainCreep, creepVerdict('gain', status, s.gainCreep.params), r.ts);
    }
  }

  private onCoincidence(r: Reading, now: number, out: Condition[]): void {
    const c = this.crystals.get(r.id);
    if (!c) return;
    c.seen.coincidence = now;
    this.seen(c.stale, now);
    const rate = num(r.fields.rate_hz);
    const windowNs = num(r.fields.window_ns);
    if (r.quality !== 'good' || rate === undefined || windowNs === undefined || !c.slot || !c.window) return;
    const [a, b] = c.pmts.map((id) => this.pmts.get(id));
    if (a?.dcrHz === undefined || b?.dcrHz === undefined) return;
    if (!this.hvDelivering(a, a.cal) || !this.hvDelivering(b, b.cal)) return;
    const accidental = accidentalRate(a.dcrHz, b.dcrHz, windowNs);
    if (!(accidental > 0)) return;
    const avg = c.window.add(rate, accidental);
    this.emit(
      out,
      c.slot,
      coincidenceExcess(avg.measured, avg.expected, c.slot.params, c.slot.severity),
      r.ts,
    );
  }

  private onBeam(r: Reading, now: number): void {
    this.beamSeen.beam = now;
    this.seen(this.beamCheck, now);
    if (r.quality !== 'good') return;
    this.beam = {
      on: r.fields.on === true,
      power_kw: num(r.fields.power_kw) ?? 0,
      rep_rate_hz: num(r.fields.rep_rate_hz) ?? 0,
      ts: r.ts,
    };
  }

  // ---------- shared look-ups ----------

  /** The calibration in force at ts; a new version restarts the PMT's change detectors. */
  private calibration(st: PmtState, ts: number): CalibrationRecord | undefined {
    if (st.cal && Math.abs(ts - st.calCheckedAt) < CALIBRATION_RECHECK_MS) return st.cal;
    const cal = this.cfg.detector.currentCalibration(st.pmt.id, ts);
    if (cal && cal.version !== st.cal?.version) {
      st.commissioned = isCommissioned(cal);
      this.makeCreepDetectors(st);
    }
    st.cal = cal;
    st.calCheckedAt = ts;
    return cal;
  }

  /**
   * Fresh change detectors (a new warm-up) for the PMT's calibration. Without a calibration of
   * the tube itself their reference is always the warm-up's: a detector configured to measure
   * the offset from the calibration (baseline: calibration) would measure the datasheet's.
   */
  private makeCreepDetectors(st: PmtState): void {
    const params = (p: CusumParams): CusumParams => (st.commissioned ? p : { ...p, baseline: 'warmup' });
    if (st.slots.gainCreep) st.gainCusum = new Cusum(params(st.slots.gainCreep.params.cusum));
    if (st.slots.dcrCreep) {
      st.dcrCusum = new Cusum(params(st.slots.dcrCreep.params.cusum));
      st.dcrBins = new DcrBinner(st.slots.dcrCreep.params.aggregateMs);
    }
  }

  /**
   * A rule that compares with the calibration, on a tube that is not commissioned: normal, and
   * said once (a standing alarm clears), so that the console shows why it is not judged.
   */
  private notCompared(out: Condition[], slot: RuleSlot, ts: number): void {
    if (slot.notCompared && !slot.severity) return;
    const prev = slot.severity;
    slot.severity = undefined;
    slot.notCompared = true;
    out.push(this.condition(slot, { message: NOT_COMMISSIONED }, ts, prev));
  }

  /** The tube has its voltage: switched on and VMon near the setpoint (or no HV reading yet). */
  private hvDelivering(st: PmtState, cal: CalibrationRecord | undefined): boolean {
    if (!st.hv) return true;
    if (!isOn(st.hv)) return false;
    const vmon = st.hv.vmon;
    return vmon === undefined || !cal || vmon >= this.alarmCfg.model.hvOnFraction * cal.hvV;
  }

  /**
   * Latest temperature of the PMT's crystal or panel; the reference temperature if none yet.
   * Without a sensor configured the reference temperature is all there will ever be, so it
   * counts as fresh: the DCR change detector then runs on it rather than never.
   */
  private temperatureOf(st: PmtState, cal: CalibrationRecord, ts: number): { tempC: number; fresh: boolean } {
    if (st.pmt.sensorId === undefined) return { tempC: cal.dcrRefTempC, fresh: true };
    const s = this.sensors.get(st.pmt.sensorId);
    if (s?.tempC === undefined || s.tempTs === undefined) return { tempC: cal.dcrRefTempC, fresh: false };
    return { tempC: s.tempC, fresh: Math.abs(ts - s.tempTs) <= this.alarmCfg.model.temperatureMaxAgeMs };
  }

  /** For a PMT without a temperature sensor: say in the verdict what the judgement rests on. */
  private noSensorNote(st: PmtState, cal: CalibrationRecord): (v: Verdict) => Verdict {
    if (st.pmt.sensorId !== undefined) return (v) => v;
    const text =
      `no temperature sensor configured for ${st.pmt.parentId}: ` +
      `judged at the reference temperature ${cal.dcrRefTempC} degC`;
    return (v) => ({ ...v, message: `${v.message} (${text})` });
  }

  private periodMs(m: StaleKind, params = this.alarmCfg.rules.stale): number {
    return params.expectedPeriodMs[m] ?? this.cfg.app.quality.expectedPeriodMs[m];
  }

  /**
   * Report a verdict: a condition is returned when it holds, or when it just stopped holding;
   * an inactive condition that stays inactive is not news.
   */
  private emit(out: Condition[], slot: RuleSlot, v: Verdict, ts: number): void {
    const prev = slot.severity;
    slot.severity = v.severity;
    if (slot.notCompared && v.message !== NOT_COMMISSIONED) {
      // judged again (an approved record arrived): say so once, even when all is well
      slot.notCompared = false;
      out.push(this.condition(slot, v, ts, prev));
      return;
    }
    if (!v.severity && !prev) return;
    out.push(this.condition(slot, v, ts, prev));
  }

  private condition(slot: RuleSlot, v: Verdict, ts: number, prev: Verdict['severity']): Condition {
    return {
      alarmId: slot.alarmId,
      rule: slot.rule,
      subject: slot.subject,
      subsystem: slot.subsystem,
      active: v.severity !== undefined,
      // an inactive condition keeps the severity it had; one never raised needs some value
      severity: v.severity ?? prev ?? 'warning',
      value: v.value,
      limit: v.limit,
      unit: v.unit,
      message: v.message,
      guidance: slot.guidance,
      delayMs: slot.params.delayMs,
      ts,
    };
  }

  // ---------- construction ----------

  private addPmt(p: Pmt): void {
    const subject = pmtSubject(p);
    const make = <R extends RuleName>(rule: R, subsystem: 'pmt' | 'hv') =>
      this.slots.make(rule, subject, subsystem);
    const device = this.cfg.app.devices.find((d) => d.id === p.hv.device);
    const masks = statusMasks(device && this.cfg.profiles.get(device.profile));
    const hvStatus: RuleSlot<'hv-trip'>[] = [];
    for (const rule of HV_STATUS_RULES) {
      // a rule whose bit the crate's profile does not have cannot fire: not a known alarm there
      if (!masks.has(this.alarmCfg.rules[rule].statusBit)) continue;
      const slot = make(rule, 'hv');
      if (slot) hvStatus.push(slot as RuleSlot<'hv-trip'>);
    }
    const st: PmtState = {
      pmt: p,
      seen: {},
      stale: {},
      masks,
      calCheckedAt: 0,
      commissioned: false,
      expectedOff: matchesAny(this.alarmCfg.rules['hv-off'].expectedOff, p.id),
      slots: {
        gainDrift: make('gain-drift', 'pmt'),
        gainHv: make('gain-hv', 'pmt'),
        gainCreep: make('gain-creep', 'pmt'),
        dcrHigh: make('dcr-high', 'pmt'),
        dcrLow: make('dcr-low', 'pmt'),
        dcrCreep: make('dcr-creep', 'pmt'),
        hvDeviation: make('hv-deviation', 'hv'),
        hvStatus,
        hvOff: make('hv-off', 'hv'),
      },
    };
    this.makeCreepDetectors(st);
    this.pmts.set(p.id, st);
    st.stale.hv = this.addStaleCheck(subject, 'hv', st.seen);
    const daqSubject = pmtSubject(p, DAQ_SOURCE);
    st.stale.dcr = this.addStaleCheck(daqSubject, 'dcr', st.seen);
    st.stale.gain = this.addStaleCheck(daqSubject, 'gain', st.seen, st);
  }

  private addSensor(s: Sensor): void {
    const subject = sensorSubject(s);
    const rate = this.slots.make('temperature-rate', subject, 'temperature');
    const st: SensorState = {
      sensor: s,
      seen: {},
      rate: rate && new RateEstimator(rate.params.windowMs),
      slots: {
        range: this.slots.make('temperature-range', subject, 'temperature'),
        rate,
        open: this.slots.make('sensor-open', subject, 'temperature'),
      },
    };
    this.sensors.set(s.id, st);
    st.stale = this.addStaleCheck(subject, 'temperature', st.seen);
  }

  private addCrystal(id: string, pmts: [string, string]): void {
    const slot = this.slots.make('coincidence-excess', crystalSubject(id), 'coincidence');
    const st: CrystalState = {
      id,
      pmts,
      seen: {},
      slot,
      window: slot && new RatioWindow(slot.params.averageSamples),
    };
    this.crystals.set(id, st);
    st.stale = this.addStaleCheck(crystalSubject(id, DAQ_SOURCE), 'coincidence', st.seen);
  }

  private addStaleCheck(
    subject: Parameters<RuleSlots['make']>[1],
    m: StaleKind,
    seen: LastSeen,
    pmt?: PmtState,
  ): StaleCheck | undefined {
    const slot = this.slots.make('stale', subject, 'data-quality', `stale-${m}`);
    if (!slot) return undefined;
    const periodMs = this.periodMs(m, slot.params);
    const limitMs = slot.params.staleAfterPeriods * periodMs;
    const key = `${m}:${limitMs}`;
    let q = this.staleQueues.get(key);
    if (!q) this.staleQueues.set(key, (q = { queue: new StaleQueue(limitMs), daq: DAQ_KINDS.has(m) }));
    const c: StaleCheck = { slot, m, seen, periodMs, pmt, queue: q.queue, since: -Infinity, queued: false };
    q.queue.touch(c, -Infinity);
    return c;
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
