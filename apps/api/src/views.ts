import type { CalibrationFeed } from '@cicenns/bus';
import { healthName, type Reading } from '@cicenns/contracts';
import {
  alarmOwnershipOf,
  deviceById,
  extraRegisters,
  isCommissioned,
  type DeviceProfile,
  type SystemConfig,
} from '@cicenns/model';
import { calibrationView, commissioningSummary } from './calibration-summary';
import type { LiveCache } from './live-cache';

export type QualityFlag = 'good' | 'stale' | 'bad' | 'none';

export interface ValueView {
  value: number | null;
  unit: string;
  ts: number | null;
  quality: QualityFlag;
  error?: string;
}

/**
 * good: a valid value younger than staleAfterPeriods expected periods; stale: older, or none
 * though one was due; none: no value yet, and none due yet (the API started less than
 * staleAfterPeriods periods ago: a gain comes every 10 minutes); bad: the source reported a
 * failure (the error says which).
 */
export function qualityOf(
  r: Reading | undefined,
  periodMs: number,
  staleAfterPeriods: number,
  now: number,
  since = -Infinity,
): QualityFlag {
  if (!r) return now - since > periodMs * staleAfterPeriods ? 'stale' : 'none';
  if (r.quality === 'bad') return 'bad';
  return now - r.ts > periodMs * staleAfterPeriods ? 'stale' : 'good';
}

/** how long the health's commissioning summary is reused (no calibration applied meanwhile) */
const SUMMARY_MS = 10_000;

export class Views {
  private readonly statusBits = new Map<string, DeviceProfile['statusBits']>();
  /** device id -> its profile's extra registers (name -> unit) */
  private readonly extras = new Map<string, Record<string, string>>();

  /** the last health's commissioning summary: which records had been applied, when, what */
  private summary?: { applied: number; at: number; value: ReturnType<typeof commissioningSummary> };

  constructor(
    private readonly cfg: SystemConfig,
    private readonly cache: LiveCache,
    /** since when values could have arrived: before a period has passed, none is not stale */
    private readonly since = Date.now(),
    /** the approved calibration records from the bus (counted in health) */
    private readonly calibrations?: Pick<CalibrationFeed, 'counters'>,
  ) {
    for (const d of cfg.app.devices) {
      const profile = cfg.profiles.get(d.profile);
      this.statusBits.set(d.id, profile?.statusBits ?? {});
      this.extras.set(d.id, extraRegisters(profile));
    }
  }

  private value(
    r: Reading | undefined,
    field: string,
    unit: string,
    periodMs: number,
    now: number,
  ): ValueView {
    const q = this.cfg.app.quality;
    const raw = r?.fields[field];
    return {
      value: typeof raw === 'number' ? raw : null,
      unit,
      ts: r?.ts ?? null,
      quality:
        raw === undefined && r?.quality === 'good'
          ? 'bad'
          : qualityOf(r, periodMs, q.staleAfterPeriods, now, this.since),
      ...(r?.error && { error: r.error }),
    };
  }

  pmt(id: string, now = Date.now()) {
    const p = this.cfg.detector.pmt(id);
    if (!p) return undefined;
    const periods = this.cfg.app.quality.expectedPeriodMs;
    const hvPeriod = deviceById(this.cfg.app.devices, p.hv.device)?.pollMs ?? periods.hv;
    const hv = this.cache.get('hv', id);
    const t = p.sensorId === undefined ? undefined : this.cache.get('temperature', p.sensorId);
    const extra: Record<string, ValueView> = {};
    for (const [name, unit] of Object.entries(this.extras.get(p.hv.device) ?? {}))
      extra[name] = this.value(hv, name, unit, hvPeriod, now);
    const status = this.value(hv, 'status', '', hvPeriod, now);
    const bits = this.statusBits.get(p.hv.device) ?? {};
    const cal = this.cfg.detector.currentCalibration(id, now);
    return {
      id,
      group: p.group,
      parent: p.parentId,
      hv: p.hv,
      /** null: no temperature sensor configured for its crystal or panel */
      sensor: p.sensorId ?? null,
      limits: p.limits,
      vset: this.value(hv, 'vset', 'V', hvPeriod, now),
      vmon: this.value(hv, 'vmon', 'V', hvPeriod, now),
      imon: this.value(hv, 'imon', 'uA', hvPeriod, now),
      status: {
        ...status,
        flags:
          status.value === null
            ? []
            : Object.entries(bits)
                .filter(([bit]) => ((status.value as number) >> Number(bit)) & 1)
                .map(([, name]) => name),
      },
      temperature:
        p.sensorId === undefined ? null : this.value(t, 'value_c', 'degC', periods.temperature, now),
      dcr: this.value(this.cache.get('dcr', id), 'rate_hz', 'Hz', periods.dcr, now),
      gain: this.value(this.cache.get('gain', id), 'gain', '', periods.gain, now),
      /** false while the calibration in force is the datasheet figure (SPEC 3.1) */
      commissioned: isCommissioned(cal),
      /** the calibration in force: which version, how, when, by whom, from which run */
      calibration: calibrationView(cal),
      /** the HV profile's extra registers (e.g. a board temperature), by register name */
      extra,
    };
  }

  pmts(now = Date.now()) {
    return this.cfg.detector.pmts.map((p) => this.pmt(p.id, now)!);
  }

  sensors(now = Date.now()) {
    const period = this.cfg.app.quality.expectedPeriodMs.temperature;
    return this.cfg.detector.sensors.map((s) => {
      const r = this.cache.get('temperature', s.id);
      const extra: Record<string, ValueView> = {};
      for (const [name, unit] of Object.entries(this.extras.get(s.device) ?? {}))
        extra[name] = this.value(r, name, unit, period, now);
      return {
        id: s.id,
        location: s.location,
        temperature: this.value(r, 'value_c', 'degC', period, now),
        /** the temperature profile's extra registers, by register name, as for a PMT */
        extra,
      };
    });
  }

  /** The latest beam status (SPEC 2.3), or null before the first. */
  beam(now = Date.now()) {
    const r = this.cache.get('beam', '');
    if (!r) return null;
    const period = this.cfg.app.quality.expectedPeriodMs.beam;
    const f = r.fields;
    return {
      on: typeof f.on === 'boolean' ? f.on : null,
      power_kw: typeof f.power_kw === 'number' ? f.power_kw : null,
      rep_rate_hz: typeof f.rep_rate_hz === 'number' ? f.rep_rate_hz : null,
      ts: r.ts,
      quality: qualityOf(r, period, this.cfg.app.quality.staleAfterPeriods, now),
      ...(r.error && { error: r.error }),
    };
  }

  /** The detector's layout for drawing the map: crystals and panels with their PMTs, sensors. */
  detector(now = Date.now()) {
    const d = this.cfg.detector;
    const pmt = (id: string) => {
      const p = d.pmt(id)!;
      return {
        id,
        end: p.end,
        hv: p.hv,
        limits: p.limits,
        commissioned: isCommissioned(d.currentCalibration(id, now)),
      };
    };
    return {
      commissioning: commissioningSummary(d, now),
      crystals: d.crystals.map((c) => ({ id: c.id, sensor: c.sensor, pmts: c.pmts.map(pmt) })),
      panels: d.panels.map((c) => ({ id: c.id, sensor: c.sensor, pmts: c.pmts.map(pmt) })),
      sensors: d.sensors.map((s) => ({
        id: s.id,
        location: s.location,
        device: s.device,
        channel: s.channel,
        rangeC: s.rangeC,
      })),
    };
  }

  /**
   * The health's commissioning summary, reused while no calibration record has been applied and
   * for at most SUMMARY_MS (a record valid from later comes into force by the clock): at 45,000
   * PMTs it is a walk of every PMT's calibrations, and health goes to every event stream every 2 s.
   */
  private commissioning(now: number) {
    const applied = this.calibrations?.counters.applied;
    const s = this.summary;
    if (applied !== undefined && s && s.applied === applied && now >= s.at && now - s.at < SUMMARY_MS)
      return s.value;
    const value = commissioningSummary(this.cfg.detector, now);
    if (applied !== undefined) this.summary = { applied, at: now, value };
    return value;
  }

  /**
   * Every service's last report; a report older than 3 reporting periods means the service is
   * gone. With the alarm service split, each partition is expected under its own name
   * (alarms-<id>): one that never reported is "unknown", one that died "offline" (its last will),
   * each on its own line, so one partition down is that partition down.
   */
  health(apiMqttUp: boolean, now = Date.now()) {
    const expected = [
      'poller',
      'intake',
      ...(this.cfg.app.influx.url ? ['historian'] : []),
      ...alarmOwnershipOf(this.cfg).partitions.map((id) => healthName('alarms', id)),
    ];
    const services: Record<string, unknown> = {};
    let worst: 'ok' | 'degraded' | 'down' = apiMqttUp ? 'ok' : 'down';
    for (const name of new Set([...expected, ...this.cache.services.keys()])) {
      const s = this.cache.services.get(name);
      const ageMs = s ? now - s.receivedAt : null;
      const state = !s
        ? 'unknown'
        : s.health.state !== 'offline' && ageMs! > 10_000
          ? 'silent'
          : s.health.state;
      services[name] = { ...(s?.health ?? {}), service: name, state, ageMs };
      if (state !== 'running' && worst === 'ok') worst = 'degraded';
    }
    return {
      status: worst,
      ts: now,
      api: {
        connections: { mqtt: { state: apiMqttUp ? 'up' : 'down' } },
        badBatches: this.cache.badBatches,
        /** readings refused one by one inside batches whose other readings were kept */
        badReadings: this.cache.badReadings,
        badReadingReasons: Object.fromEntries(this.cache.badReadingReasons),
        ...(this.cache.lastBadReading && { lastBadReading: this.cache.lastBadReading }),
        badHealth: this.cache.badHealth,
        ...(this.calibrations && { calibrations: { ...this.calibrations.counters } }),
      },
      services,
      /** the detector at a glance: how many tubes still have only their datasheet figures */
      commissioning: this.commissioning(now),
    };
  }
}
