import { type JournalEvent, type Reading, type ServiceHealth } from '@cicenns/contracts';
import { accidentalRate, type CalibrationRecord } from '@cicenns/model';
import { Random } from '@cicenns/common';
import type { Condition } from '../contracts';
import type { AlarmConfig } from './alarm-config';
import { DefaultRuleEngine, NOT_COMMISSIONED } from './rule-engine';
import { AlarmRuntime } from '../runtime/alarm-runtime';
import { AlarmStore } from '../runtime/alarm-store';
import { defaultRuleConfig } from '../../../../test/support/fixtures/default-rule-config';
import { commissionEvery } from '../../../../test/support/fixtures/commissioned';

const { alarmConfig, calibrationOf, systemConfig } = defaultRuleConfig();

const T0 = Date.parse('2026-06-01T00:00:00Z');
const detector = systemConfig.detector;
/** left with their datasheet records; every other tube is commissioned with the same figures */
const DATASHEET_ONLY = ['CsI14-A', 'CsI14-B', 'PSV30-A'];
commissionEvery(detector, DATASHEET_ONLY);

function engine(over: Partial<AlarmConfig> = {}): DefaultRuleEngine {
  return new DefaultRuleEngine(systemConfig, { ...alarmConfig, ...over });
}

function hv(id: string, ts: number, fields: Record<string, number> = {}): Reading {
  const v = calibrationOf(id).hvV;
  return {
    m: 'hv',
    id,
    ts,
    quality: 'good',
    fields: { vset: v, vmon: v, power: 1, status: 1, ...fields },
    source: 'hv',
  };
}
const temp = (id: string, ts: number, c: number): Reading => ({
  m: 'temperature',
  id,
  ts,
  quality: 'good',
  fields: { value_c: Math.round(c * 10) / 10 },
  source: 'pt100',
});
const dcr = (id: string, ts: number, hz: number): Reading => ({
  m: 'dcr',
  id,
  ts,
  quality: 'good',
  fields: { rate_hz: hz, window_s: 10 },
  source: 'daq',
});
const gain = (id: string, ts: number, g: number): Reading => ({
  m: 'gain',
  id,
  ts,
  quality: 'good',
  fields: { gain: g, gain_err: 0.01 * g },
  source: 'daq',
});

/** The last condition reported per alarm id. */
function latest(all: Condition[]): Map<string, Condition> {
  const m = new Map<string, Condition>();
  for (const c of all) m.set(c.alarmId, c);
  return m;
}

describe('DefaultRuleEngine: known alarms and subjects', () => {
  const e = engine();
  const known = e.knownAlarms();
  const byId = new Map(known.map((k) => [k.alarmId, k]));

  it('defines every rule for every subject of the detector', () => {
    const pmts = detector.pmts.length; // 94
    // per PMT: 6 gain/DCR rules, hv-deviation, 4 status bits (generic-hv has them all), hv-off; stale hv/dcr/gain
    const perPmt = 6 + 1 + 4 + 1 + 3;
    const perSensor = 4; // range, rate, open, stale
    const perCrystal = 2; // coincidence-excess, stale
    // + stale-beam, 5 device-down, historian-backlog, daq-down, broker-drops
    const expected =
      pmts * perPmt + detector.sensors.length * perSensor + 15 * perCrystal + 1 + 5 + 1 + 1 + 1;
    expect(known).toHaveLength(expected);
    expect(new Set(known.map((k) => k.alarmId)).size).toBe(expected);
  });

  it('gives PMT alarms their crystal/panel and HV crate, DAQ data its own source', () => {
    expect(byId.get('gain-drift:CsI01-A')).toMatchObject({
      rule: 'gain-drift',
      subject: { id: 'CsI01-A', kind: 'pmt', parent: 'CsI01', device: 'hv-crystal' },
      subsystem: 'pmt',
    });
    expect(byId.get('gain-drift:CsI01-A')!.guidance).toMatch(/Whom to call: on-call PMT expert\.$/);
    expect(byId.get('hv-trip:PSV07-B')).toMatchObject({
      subject: { parent: 'PSV07', device: 'hv-veto' },
      subsystem: 'hv',
    });
    expect(byId.get('stale-dcr:PSV07-B')!.subject).toEqual({
      id: 'PSV07-B',
      kind: 'pmt',
      parent: 'PSV07',
      parentKind: 'panel',
      device: 'daq',
    });
    expect(byId.get('stale-hv:PSV07-B')!.subject.device).toBe('hv-veto');
    expect(byId.get('temperature-range:T-CsI04')).toMatchObject({
      subject: { kind: 'sensor', device: 'pt100-1' },
      subsystem: 'temperature',
    });
    expect(byId.get('coincidence-excess:CsI09')).toMatchObject({
      subject: { id: 'CsI09', kind: 'crystal' },
      subsystem: 'coincidence',
    });
    expect(byId.get('device-down:hv-veto')).toMatchObject({
      subject: { id: 'hv-veto', kind: 'device' },
      subsystem: 'data-quality',
    });
    expect(byId.get('historian-backlog:historian')!.subject).toEqual({ id: 'historian', kind: 'service' });
    expect(byId.get('stale-beam:beam')).toBeDefined();
  });

  it('leaves out disabled rules and subjects an override disables', () => {
    const e2 = engine({ overrides: [{ match: 'PSV32-*', rule: 'dcr-low', enabled: false }] });
    const ids = new Set(e2.knownAlarms().map((k) => k.alarmId));
    expect(ids.has('dcr-low:PSV32-A')).toBe(false);
    expect(ids.has('dcr-low:PSV31-A')).toBe(true);
  });
});

describe('DefaultRuleEngine: DCR is judged at the present temperature', () => {
  const pmtA = 'CsI01-A';
  const pmtB = 'CsI01-B';
  const sensor = detector.pmt(pmtA)!.sensorId!; // T-CsI01
  const HOURS = 8;
  const STEADY_MS = 2 * 3_600_000;
  const PERIOD_MS = 2 * 3_600_000;

  /**
   * 10 s samples: 2 h at 22 degC (the change detector's warm-up), then 6 h of a +-3 degC
   * air-conditioning cycle; DCR follows exp(coeff (T - Tref)) with Poisson noise.
   */
  function runCycle(e: DefaultRuleEngine, reportedTemp: (trueC: number) => number) {
    const rng = new Random(42);
    const all: Condition[] = [];
    const rates: number[] = [];
    all.push(...e.onReadings([hv(pmtA, T0), hv(pmtB, T0)], T0));
    for (let t = T0; t < T0 + HOURS * 3_600_000; t += 10_000) {
      const trueC =
        t < T0 + STEADY_MS ? 22 : 22 + 3 * Math.sin((2 * Math.PI * (t - T0 - STEADY_MS)) / PERIOD_MS);
      const batch = [temp(sensor, t, reportedTemp(trueC))];
      for (const id of [pmtA, pmtB]) {
        const cal = calibrationOf(id);
        const expected = cal.dcrHz * Math.exp(cal.dcrTempCoeffPerC * (trueC - cal.dcrRefTempC));
        const rate = rng.poisson(expected * 10) / 10;
        if (id === pmtA) rates.push(rate);
        batch.push(dcr(id, t, rate));
      }
      all.push(...e.onReadings(batch, t));
    }
    return { all, rates };
  }

  it('an air-conditioning cycle of +-3 degC for 6 h raises no DCR alarm', () => {
    const { all, rates } = runCycle(engine(), (c) => c);
    // the cycle really moves the DCR by +-16 %
    expect(Math.max(...rates) / Math.min(...rates)).toBeGreaterThan(1.3);
    expect(all.filter((c) => c.rule.startsWith('dcr-') && c.active)).toEqual([]);
  });

  it('the same cycle against a temperature stuck at 22 degC is flagged by the change detector', () => {
    const { all } = runCycle(engine(), () => 22);
    const creep = all.filter((c) => c.alarmId === `dcr-creep:${pmtA}` && c.active);
    expect(creep.length).toBeGreaterThan(0);
    expect(creep[0].severity).toBe('warning');
    expect(creep[0].message).toMatch(/^DCR creeping (up|down)/);
    // a 16 % excursion is no 2x jump
    expect(all.filter((c) => c.rule === 'dcr-high' && c.active)).toEqual([]);
  });

  it('a real 2x DCR jump at constant temperature raises the warning, 5x the alarm; it clears when gone', () => {
    const e = engine();
    const rng = new Random(7);
    const cal = calibrationOf(pmtA);
    e.onReadings([hv(pmtA, T0)], T0);
    const at = (t: number, factor: number) =>
      e.onReadings(
        [temp(sensor, t, 24), dcr(pmtA, t, (factor * rng.poisson(cal.dcrHz * Math.exp(0.1) * 10)) / 10)],
        t,
      );
    let t = T0;
    for (; t < T0 + 3_600_000; t += 10_000) expect(at(t, 1).filter((c) => c.rule === 'dcr-high')).toEqual([]);
    const jump = latest(at(t, 2.2)).get(`dcr-high:${pmtA}`)!;
    expect(jump).toMatchObject({
      active: true,
      severity: 'warning',
      limit: 2,
      unit: 'x expected',
      delayMs: 30_000,
      ts: t,
    });
    expect(jump.value).toBeGreaterThan(2.15);
    expect(jump.value).toBeLessThan(2.25);
    expect(jump.subject).toEqual({
      id: pmtA,
      kind: 'pmt',
      parent: 'CsI01',
      parentKind: 'crystal',
      device: 'hv-crystal',
    });
    expect(jump.guidance).toMatch(/light leak/);
    t += 10_000;
    expect(latest(at(t, 6)).get(`dcr-high:${pmtA}`)).toMatchObject({
      active: true,
      severity: 'alarm',
      limit: 5,
    });
    t += 10_000;
    expect(latest(at(t, 1)).get(`dcr-high:${pmtA}`)).toMatchObject({ active: false });
  });
});

describe('DefaultRuleEngine: HV', () => {
  it('a channel switched off raises hv-off, and its zero DCR is not a dead-channel alarm', () => {
    const e = engine();
    const id = 'PSV03-A';
    e.onReadings([hv(id, T0), temp('T-psv', T0, 22), dcr(id, T0, 290)], T0);
    const off = latest(
      e.onReadings([hv(id, T0 + 1000, { power: 0, status: 0, vmon: 0 }), dcr(id, T0 + 1000, 0)], T0 + 1000),
    );
    expect(off.get(`hv-off:${id}`)).toMatchObject({
      active: true,
      severity: 'alarm',
      subsystem: 'hv',
      delayMs: 10_000,
    });
    expect(off.has(`dcr-low:${id}`)).toBe(false);
    // while the HV is on, a zero rate is a dead channel
    const e2 = engine();
    e2.onReadings([hv(id, T0), temp('T-psv', T0, 22)], T0);
    const dead = latest(e2.onReadings([dcr(id, T0 + 1000, 0)], T0 + 1000)).get(`dcr-low:${id}`);
    expect(dead).toMatchObject({ active: true, severity: 'alarm', value: 0 });
  });

  it('a trip raises hv-trip only; the over-current before it its own alarm', () => {
    const e = engine();
    const id = 'CsI09-A';
    e.onReadings([hv(id, T0)], T0);
    const oc = latest(e.onReadings([hv(id, T0 + 1000, { status: 1 | (1 << 3), imon: 170 })], T0 + 1000));
    expect(oc.get(`hv-over-current:${id}`)).toMatchObject({ active: true, severity: 'alarm' });
    const trip = latest(
      e.onReadings([hv(id, T0 + 2000, { status: 1 << 6, power: 0, vmon: 900 })], T0 + 2000),
    );
    expect(trip.get(`hv-trip:${id}`)).toMatchObject({ active: true, severity: 'alarm' });
    expect(trip.get(`hv-over-current:${id}`)).toMatchObject({ active: false });
    expect(trip.has(`hv-off:${id}`)).toBe(false);
  });

  it('VMon off VSet raises hv-deviation and, past 5 % of gain, gain-hv', () => {
    const e = engine();
    const c = latest(e.onReadings([hv('CsI05-B', T0, { vmon: 1386 })], T0));
    expect(c.get('hv-deviation:CsI05-B')).toMatchObject({ active: true, severity: 'warning', value: -14 });
    expect(c.get('gain-hv:CsI05-B')).toMatchObject({ active: true, severity: 'warning' });
    expect(c.get('gain-hv:CsI05-B')!.value).toBeCloseTo((Math.pow(0.99, 7) - 1) * 100, 6);
  });
});

describe('DefaultRuleEngine: gain', () => {
  it('compares the SPE gain with the calibration at the present temperature', () => {
    const e = engine();
    const id = 'CsI02-B';
    const cal = calibrationOf(id);
    const atT = cal.gain * (1 + cal.gainTempCoeffPerC * 5); // 27 degC: -1.5 %
    e.onReadings([temp('T-CsI02', T0, 27)], T0);
    const c = latest(e.onReadings([gain(id, T0, atT * 1.06)], T0)).get(`gain-drift:${id}`)!;
    expect(c).toMatchObject({ active: true, severity: 'warning', limit: 5, unit: '%' });
    expect(c.value).toBeCloseTo(6, 6);
  });

  it('a tripped or ramping channel: the HV rules speak, the gain of the tube is not compared', () => {
    const e = engine();
    const id = 'CsI03-A';
    const cal = calibrationOf(id);
    e.onReadings([hv(id, T0), gain(id, T0, cal.gain * 0.8)], T0);
    expect(
      latest(e.onReadings([gain(id, T0 + 1, cal.gain * 0.8)], T0 + 1)).get(`gain-drift:${id}`),
    ).toMatchObject({
      active: true,
      severity: 'alarm',
    });
    // the channel trips: gain-drift clears, whatever the DAQ measures now
    e.onReadings([hv(id, T0 + 1000, { status: 1 << 6, power: 0, vmon: 800 })], T0 + 1000);
    const tripped = latest(e.onReadings([gain(id, T0 + 2000, cal.gain * 0.05)], T0 + 2000));
    expect(tripped.get(`gain-drift:${id}`)).toMatchObject({ active: false });
    // ramping back up (status on + ramping_up): no verdict until it has settled
    e.onReadings([hv(id, T0 + 3000, { status: 1 | (1 << 1), power: 1, vmon: 1200 })], T0 + 3000);
    expect(
      latest(e.onReadings([gain(id, T0 + 4000, cal.gain * 0.3)], T0 + 4000)).has(`gain-drift:${id}`),
    ).toBe(false);
  });

  it('gain-creep finds a slow drift, and reset() clears it for the runtime', () => {
    const e = engine();
    const id = 'PSV10-B';
    const cal = calibrationOf(id);
    const rng = new Random(3);
    e.onReadings([temp('T-psv', T0, 22)], T0);
    let t = T0;
    for (let i = 0; i < 288; i++, t += 600_000)
      e.onReadings([gain(id, t, cal.gain * (1 + 0.01 * rng.gaussian()))], t);
    let raised: Condition | undefined;
    for (let i = 1; i < 500 && !raised; i++, t += 600_000) {
      const g = cal.gain * (1 + (0.02 * i) / 144 + 0.01 * rng.gaussian()); // 2 %/day
      raised = e.onReadings([gain(id, t, g)], t).find((c) => c.alarmId === `gain-creep:${id}` && c.active);
      expect(e.onReadings([], t).length).toBe(0);
      if (raised) {
        expect(i).toBeLessThan(144); // under a day; the 5 % threshold would need ~1.5 days
        expect(raised).toMatchObject({ severity: 'warning', limit: 16, unit: 'sigma', subsystem: 'pmt' });
        expect(raised.message).toMatch(/^gain creeping up: ~/);
      }
    }
    expect(raised).toBeDefined();
    const cleared = e.reset(`gain-creep:${id}`, t);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatchObject({ alarmId: `gain-creep:${id}`, active: false, ts: t });
    expect(e.reset('gain-drift:PSV10-B', t)).toEqual([]);
  });
});

describe('DefaultRuleEngine: temperatures, coincidences, overrides', () => {
  it('sensor open, then reading again', () => {
    const e = engine();
    const open: Reading = {
      m: 'temperature',
      id: 'T-CsI04',
      ts: T0,
      quality: 'bad',
      fields: {},
      error: 'sensor open',
      source: 'pt100-1',
    };
    expect(latest(e.onReadings([open], T0)).get('sensor-open:T-CsI04')).toMatchObject({
      active: true,
      severity: 'warning',
    });
    expect(
      latest(e.onReadings([temp('T-CsI04', T0 + 2000, 22)], T0 + 2000)).get('sensor-open:T-CsI04'),
    ).toMatchObject({
      active: false,
    });
    const hot = latest(e.onReadings([temp('T-CsI04', T0 + 4000, 31)], T0 + 4000)).get(
      'temperature-range:T-CsI04',
    );
    expect(hot).toMatchObject({ active: true, severity: 'warning', value: 31, limit: 30 }); // rangeC [15, 30] from detector.yaml
  });

  it('coincidences against 2 tau R1 R2 from the latest DCR of both PMTs, averaged over 6 readings', () => {
    const e = engine();
    e.onReadings([temp('T-CsI03', T0, 22), dcr('CsI03-A', T0, 2900), dcr('CsI03-B', T0, 3100)], T0);
    const acc = accidentalRate(2900, 3100, 100);
    let last: Condition | undefined;
    for (let i = 0; i < 6; i++) {
      const r: Reading = {
        m: 'coincidence',
        id: 'CsI03',
        ts: T0 + i * 10_000,
        quality: 'good',
        fields: { rate_hz: 4 * acc, window_ns: 100 },
        source: 'daq',
      };
      last = latest(e.onReadings([r], r.ts)).get('coincidence-excess:CsI03');
    }
    expect(last).toMatchObject({ active: true, severity: 'warning', limit: 3 });
    expect(last!.value).toBeCloseTo(4, 6);
  });

  it('overrides change a rule per subject: PSV* dcr-high at 3x', () => {
    const e = engine({ overrides: [{ match: 'PSV*', rule: 'dcr-high', warnFactor: 3 }] });
    const out = latest(
      e.onReadings(
        [
          temp('T-psv', T0, 22),
          temp('T-CsI01', T0, 22),
          dcr('PSV01-A', T0, 290 * 2.5),
          dcr('CsI01-A', T0, 2900 * 2.5),
        ],
        T0,
      ),
    );
    expect(out.has('dcr-high:PSV01-A')).toBe(false);
    expect(out.get('dcr-high:CsI01-A')).toMatchObject({ active: true, severity: 'warning', limit: 2 });
  });
});

describe('DefaultRuleEngine: data quality and beam', () => {
  it('stale data after k expected periods, reported once; gain is not expected from a tube without HV', () => {
    const e = engine();
    e.onTick(T0);
    e.onReadings(
      [hv('CsI01-A', T0 + 30_000, { power: 0, status: 0, vmon: 0 }), dcr('CsI02-A', T0 + 30_000, 2900)],
      T0 + 30_000,
    );
    const tick = latest(e.onTick(T0 + 31_000));
    expect(tick.get('stale-dcr:CsI01-A')).toMatchObject({
      active: true,
      severity: 'warning',
      subsystem: 'data-quality',
      value: 31,
    });
    expect(tick.has('stale-dcr:CsI02-A')).toBe(false);
    expect(tick.has('stale-hv:CsI01-A')).toBe(false); // period 1 s, but it just arrived
    expect(tick.get('stale-hv:CsI02-A')).toMatchObject({ active: true });
    expect(tick.get('stale-coincidence:CsI01')).toMatchObject({ active: true });
    // no news a second later
    expect(e.onTick(T0 + 32_000)).toEqual([]);
    // a DAQ that publishes (else daq-down holds the DAQ-side checks back), and CsI01-A's HV off
    e.onReadings([gain('CsI03-A', T0 + 1_790_000, calibrationOf('CsI03-A').gain)], T0 + 1_790_000);
    e.onReadings([hv('CsI01-A', T0 + 1_800_000, { power: 0, status: 0, vmon: 0 })], T0 + 1_800_000);
    const gainTick = latest(e.onTick(T0 + 1_801_000)); // 3 x 10 min
    expect(gainTick.has('stale-gain:CsI01-A')).toBe(false);
    expect(gainTick.get('stale-gain:CsI02-A')).toMatchObject({ active: true });
    e.onReadings([dcr('CsI01-A', T0 + 1_802_000, 0)], T0 + 1_802_000);
    expect(latest(e.onTick(T0 + 1_803_000)).get('stale-dcr:CsI01-A')).toMatchObject({ active: false });
  });

  it('device-down from the poller, historian backlog from the historian', () => {
    const e = engine();
    const poller: ServiceHealth = {
      service: 'poller',
      state: 'degraded',
      ts: T0,
      connections: {
        'device/hv-veto': { state: 'down', detail: 'timeout' },
        'device/hv-crystal': { state: 'up' },
      },
      counters: {},
    };
    const out = latest(e.onHealth(poller, T0));
    expect(out.get('device-down:hv-veto')).toMatchObject({
      active: true,
      severity: 'alarm',
      subsystem: 'data-quality',
      subject: { id: 'hv-veto', kind: 'device' },
      message: 'device does not answer: timeout',
    });
    expect(out.has('device-down:hv-crystal')).toBe(false);
    const historian: ServiceHealth = {
      service: 'historian',
      state: 'degraded',
      ts: T0,
      connections: {},
      counters: { backlogLines: 250_000 },
      detail: { backlogOldestMs: 30_000 },
    };
    expect(latest(e.onHealth(historian, T0)).get('historian-backlog:historian')).toMatchObject({
      active: true,
      severity: 'warning',
      value: 250_000,
    });
  });

  it("broker-drops from the intake's report of the broker's dropped count: raised on a rise, cleared after clearAfterMs", () => {
    const e = engine();
    const intake = (dropped: number, ts: number): ServiceHealth => ({
      service: 'intake',
      state: 'running',
      ts,
      connections: {},
      counters: { brokerDropped: dropped },
    });
    // the first report is the baseline: drops before we watched are not news
    expect(latest(e.onHealth(intake(500, T0), T0)).has('broker-drops:broker')).toBe(false);
    expect(latest(e.onHealth(intake(500, T0 + 2000), T0 + 2000)).has('broker-drops:broker')).toBe(false);
    const raised = latest(e.onHealth(intake(590, T0 + 4000), T0 + 4000)).get('broker-drops:broker');
    expect(raised).toMatchObject({
      active: true,
      severity: 'alarm',
      value: 90,
      subject: { id: 'broker', kind: 'service' },
    });
    expect(raised!.message).toMatch(/the MQTT broker dropped 90 messages \(its total: 590\)/);
    expect(raised!.guidance).toMatch(/max_queued_messages/);
    // no rise for clearAfterMs (10 min): cleared
    const later = T0 + 4000 + 600_001;
    expect(latest(e.onHealth(intake(590, later), later)).get('broker-drops:broker')).toMatchObject({
      active: false,
    });
  });

  it('several historians and intakes (scaleOut): the worst spool counts, an older view of the broker count is no restart', () => {
    const e = engine();
    const historian = (instance: string, lines: number, ts: number): ServiceHealth => ({
      service: 'historian',
      instance,
      state: 'running',
      ts,
      connections: {},
      counters: { backlogLines: lines },
      detail: { backlogOldestMs: 0 },
    });
    const backlog = (h: ServiceHealth) => latest(e.onHealth(h, h.ts)).get('historian-backlog:historian');
    expect(backlog(historian('1', 250_000, T0))).toMatchObject({ active: true, value: 250_000 });
    // the other instance's empty spool does not clear the first one's backlog
    expect(backlog(historian('2', 0, T0 + 1000))).toMatchObject({ active: true, value: 250_000 });
    expect(backlog(historian('1', 0, T0 + 2000))).toMatchObject({ active: false });

    const intake = (session: string, dropped: number, ts: number): ServiceHealth => ({
      service: 'intake',
      instance: session.slice(-1),
      session,
      state: 'running',
      ts,
      connections: {},
      counters: { brokerDropped: dropped },
    });
    const drops = (h: ServiceHealth) => latest(e.onHealth(h, h.ts)).get('broker-drops:broker');
    expect(drops(intake('p-intake-out-1', 500, T0))).toBeUndefined();
    expect(drops(intake('p-intake-out-1', 510, T0 + 2000))).toMatchObject({ active: true, value: 10 });
    // intake 2 has not seen the broker's latest $SYS yet: its 500 is neither a restart nor,
    // once it sees 510, 10 more drops
    expect(drops(intake('p-intake-out-2', 500, T0 + 2500))).toBeUndefined();
    expect(drops(intake('p-intake-out-2', 510, T0 + 4000))).toMatchObject({ active: true, value: 10 });
    expect(drops(intake('p-intake-out-1', 515, T0 + 6000))).toMatchObject({ active: true, value: 15 });
  });

  it('beamState() is the latest beam reading', () => {
    const e = engine();
    expect(e.beamState()).toBeUndefined();
    e.onReadings(
      [
        {
          m: 'beam',
          id: '',
          ts: T0,
          quality: 'good',
          fields: { on: true, power_kw: 140, rep_rate_hz: 25 },
          source: 'daq',
        },
      ],
      T0,
    );
    expect(e.beamState()).toEqual({ on: true, power_kw: 140, rep_rate_hz: 25, ts: T0 });
  });
});

describe('DefaultRuleEngine with the runtime: the whole DAQ goes silent', () => {
  /** The poller keeps everything else fresh; the DAQ publishes once, then stops for 60 s. */
  function silentDaq(holdStale: boolean) {
    let t = T0;
    const rules = { ...alarmConfig.rules, 'daq-down': { ...alarmConfig.rules['daq-down'], holdStale } };
    const e = engine({ rules });
    const store = new AlarmStore(':memory:');
    const events: JournalEvent[] = [];
    const rt = new AlarmRuntime({
      engine: e,
      store,
      sink: { state: () => undefined, event: (ev) => events.push(ev) },
      notifier: { update: () => undefined },
      evaluationIntervalMs: 1000,
      now: () => t,
    }).start(false);
    const fresh = () => [
      ...detector.pmts.map((p) => hv(p.id, t)),
      ...detector.sensors.map((s) => temp(s.id, t, 22)),
      {
        m: 'beam',
        id: '',
        ts: t,
        quality: 'good',
        source: 'beam',
        fields: { on: true, power_kw: 140, rep_rate_hz: 25 },
      } as Reading,
    ];
    const dcrOf = (ids: string[]) => ids.map((id) => dcr(id, t, calibrationOf(id).dcrHz));
    const step = (seconds: number, more: () => Reading[] = () => []) => {
      for (let i = 0; i < seconds; i++) {
        t += 1000;
        rt.onReadings([...fresh(), ...more()]);
        rt.runTick();
      }
    };
    rt.onReadings([...fresh(), ...dcrOf(detector.pmts.map((p) => p.id))]);
    step(60);
    return { rt, events, store, step, dcrOf, at: () => t };
  }

  it('one daq-down alarm stands for every channel: their stale checks are held back, no transition each', () => {
    const { rt, events, store, step, dcrOf } = silentDaq(true);
    expect(events.map((ev) => `${ev.action} ${ev.alarmId}`)).toEqual(['raise daq-down:daq']);
    const stale = rt.list({ all: true }).filter((v) => /^stale-(dcr|gain|coincidence):/.test(v.alarmId));
    expect(stale.length).toBe(94 * 2 + 15);
    expect(stale.filter((v) => v.conditionActive || v.state !== 'normal')).toEqual([]);
    // the DAQ is back, but without PSV32-B: daq-down clears (latched until acknowledged), and
    // only the channel still missing goes stale, one stale period (3 x 10 s) after the return
    const all = detector.pmts.map((p) => p.id).filter((id) => id !== 'PSV32-B');
    events.length = 0;
    step(29, () => dcrOf(all));
    expect(rt.list({ states: ['cleared-unack'] }).map((v) => v.alarmId)).toEqual(['daq-down:daq']);
    expect(events.map((ev) => `${ev.action} ${ev.alarmId}`)).toEqual(['clear daq-down:daq']);
    step(3, () => dcrOf(all));
    const raised = events.filter((ev) => ev.action === 'raise').map((ev) => ev.alarmId);
    // the coincidences are not published in this test: every crystal's goes stale too
    expect(raised.filter((id) => !id.startsWith('stale-coincidence:'))).toEqual(['stale-dcr:PSV32-B']);
    expect(raised.filter((id) => id.startsWith('stale-coincidence:'))).toHaveLength(15);
    store.close();
  });

  it('holdStale false: the per-channel stale DCR and coincidence alarms go stale under it, suppressed', () => {
    const { rt, events, store, step, dcrOf } = silentDaq(false);
    const raised = events.filter((ev) => ev.action === 'raise').map((ev) => ev.alarmId);
    expect(raised).toEqual(['daq-down:daq']);
    const suppressed = rt.list({ states: ['suppressed'] });
    expect(suppressed.filter((v) => v.alarmId.startsWith('stale-dcr:'))).toHaveLength(94);
    expect(suppressed.filter((v) => v.alarmId.startsWith('stale-coincidence:'))).toHaveLength(15);
    expect(suppressed.every((v) => v.suppressedBy === 'daq-down:daq')).toBe(true);
    // the DAQ is back: daq-down clears (latched until acknowledged), the stale alarms with it
    rt.onReadings(dcrOf(detector.pmts.map((p) => p.id)));
    step(1);
    expect(rt.list({ states: ['cleared-unack'] }).map((v) => v.alarmId)).toEqual(['daq-down:daq']);
    expect(
      rt.list({ states: ['suppressed'] }).filter((v) => v.alarmId.startsWith('stale-dcr:')),
    ).toHaveLength(0);
    store.close();
  });
});

describe('DefaultRuleEngine: tubes not commissioned, and approved calibrations', () => {
  const commissioning = (
    pmt: string,
    version: number,
    over: Partial<CalibrationRecord>,
  ): CalibrationRecord => ({
    ...calibrationOf(pmt),
    version,
    validFrom: '2026-05-01T00:00:00Z',
    method: 'commissioning',
    by: 'hw-alice',
    run: 'run-0042',
    ...over,
  });
  const sensorOf = (pmt: string) => detector.pmt(pmt)!.sensorId!;

  it('a datasheet-only tube is not judged against the datasheet: gain-drift, gain-hv, dcr-high, dcr-low say so, once', () => {
    const e = engine();
    const id = 'CsI14-A';
    const ds = calibrationOf(id);
    expect(ds.method).toBe('datasheet');
    e.onReadings([temp(sensorOf(id), T0, 22)], T0);
    // a real tube: gain 40 % above its datasheet, DCR 6x, run 2 % above the datasheet voltage
    const first = latest(
      e.onReadings(
        [
          hv(id, T0, { vmon: ds.hvV * 1.02, vset: ds.hvV * 1.02 }),
          gain(id, T0, ds.gain * 1.4),
          dcr(id, T0, ds.dcrHz * 6),
        ],
        T0,
      ),
    );
    for (const rule of ['gain-drift', 'gain-hv', 'dcr-high', 'dcr-low'])
      expect(first.get(`${rule}:${id}`)).toMatchObject({ active: false, message: NOT_COMMISSIONED });
    // said once: the next readings are no news
    const next = e.onReadings(
      [
        hv(id, T0 + 1000, { vmon: ds.hvV * 1.02, vset: ds.hvV * 1.02 }),
        gain(id, T0 + 1000, ds.gain * 0.5),
        dcr(id, T0 + 1000, ds.dcrHz * 0.1),
      ],
      T0 + 1000,
    );
    expect(next.filter((c) => c.subject.id === id)).toEqual([]);
  });

  it('dcr-low keeps its dead-channel alarm on a datasheet-only tube: no counts with the HV on needs no calibration', () => {
    const e = engine();
    const id = 'PSV30-A';
    e.onReadings([hv(id, T0), temp(sensorOf(id), T0, 22), dcr(id, T0, 800)], T0);
    const dead = latest(e.onReadings([dcr(id, T0 + 10_000, 0)], T0 + 10_000)).get(`dcr-low:${id}`)!;
    expect(dead).toMatchObject({ active: true, severity: 'alarm', value: 0, limit: 0, unit: 'Hz' });
    expect(dead.message).toBe(
      'DCR 0 Hz: the channel counts nothing (tube not commissioned: no expected rate)',
    );
    // counting again: back to "not compared", the alarm's condition over
    const back = latest(e.onReadings([dcr(id, T0 + 20_000, 800)], T0 + 20_000)).get(`dcr-low:${id}`)!;
    expect(back).toMatchObject({ active: false, message: NOT_COMMISSIONED });
    // with the HV off, zero counts are the HV rules' business, as on a commissioned tube
    e.onReadings([hv(id, T0 + 30_000, { power: 0, status: 0, vmon: 0 })], T0 + 30_000);
    expect(
      latest(e.onReadings([dcr(id, T0 + 31_000, 0)], T0 + 31_000)).get(`dcr-low:${id}`)?.active,
    ).not.toBe(true);
  });

  it('gain-creep works on a datasheet-only tube from its own warm-up, even with baseline: calibration configured', () => {
    const id = 'CsI14-A';
    const cusum = {
      ...alarmConfig.rules['gain-creep'].cusum,
      warmupSamples: 20,
      baseline: 'calibration' as const,
    };
    const e = engine({ overrides: [{ match: 'CsI14-*', rule: 'gain-creep', cusum }] });
    const ds = calibrationOf(id);
    const rng = new Random(11);
    e.onReadings([hv(id, T0), temp(sensorOf(id), T0, 22)], T0);
    let t = T0;
    const creep = (g: number) =>
      e.onReadings([gain(id, t, g)], t).find((c) => c.alarmId === `gain-creep:${id}` && c.active);
    // the tube's gain is 1.4x its datasheet figure and steady: no creep (against the datasheet
    // the "offset" would be 40 %, 40 sigma)
    for (let i = 0; i < 100; i++, t += 600_000)
      expect(creep(ds.gain * 1.4 * (1 + 0.01 * rng.gaussian()))).toBeUndefined();
    // then it drops by 4 % (4 sigma): seen within a few samples
    let raised: Condition | undefined;
    let n = 0;
    for (; n < 50 && !raised; n++, t += 600_000)
      raised = creep(ds.gain * 1.4 * 0.96 * (1 + 0.01 * rng.gaussian()));
    expect(raised).toMatchObject({ severity: 'warning', unit: 'sigma' });
    expect(raised!.message).toMatch(/^gain creeping down: ~/);
    expect(n).toBeLessThan(15);
  });

  it('dcr-creep sees a DCR step on a datasheet-only tube (the jump dcr-high cannot judge)', () => {
    const id = 'PSV30-A';
    const over = [
      {
        match: id,
        rule: 'dcr-creep' as const,
        aggregateMs: 60_000,
        cusum: { ...alarmConfig.rules['dcr-creep'].cusum, warmupSamples: 6 },
      },
    ];
    const e = engine({ overrides: over });
    const rng = new Random(5);
    let t = T0;
    const step = (hz: number) => {
      const out = e.onReadings(
        [hv(id, t), temp(sensorOf(id), t, 22), dcr(id, t, hz * (1 + 0.02 * rng.gaussian()))],
        t,
      );
      t += 10_000;
      return out;
    };
    // 0.6x its datasheet DCR, steady for 20 min
    for (let i = 0; i < 120; i++)
      expect(step(calibrationOf(id).dcrHz * 0.6).filter((c) => c.active)).toEqual([]);
    let found: Condition | undefined;
    let high: Condition | undefined;
    for (let i = 0; i < 60 && !found; i++) {
      const out = latest(step(calibrationOf(id).dcrHz * 0.6 * 3)); // a light leak: 3x
      found = out.get(`dcr-creep:${id}`)?.active ? out.get(`dcr-creep:${id}`) : undefined;
      high ??= out.get(`dcr-high:${id}`);
    }
    expect(found).toMatchObject({ severity: 'warning' });
    expect(found!.message).toMatch(/^DCR creeping up/);
    expect(high).toBeUndefined(); // not compared, and said so long before
  });

  it('an approved record takes effect on the next reading (calibrationChanged), not a minute later; the message names it', () => {
    const id = 'CsI11-A';
    const before = calibrationOf(id);
    const [withFeed, without] = [engine(), engine()];
    for (const e of [withFeed, without]) e.onReadings([hv(id, T0), gain(id, T0, before.gain)], T0);
    // the commissioning measured 15 % more gain than the record in force: approved, v3
    const approved = commissioning(id, before.version + 1, { gain: before.gain * 1.15 });
    detector.addCalibration(approved);
    withFeed.calibrationChanged(id);
    const t = T0 + 1000;
    const c = latest(withFeed.onReadings([gain(id, t, before.gain)], t)).get(`gain-drift:${id}`)!;
    expect(c).toMatchObject({ active: true, severity: 'alarm' });
    expect(c.message).toBe(
      `SPE gain 3.60e+6 is 13 % below the expected 4.14e+6 (calibration v${approved.version}: 4.14e+6 at 22 degC; limit 10 %)`,
    );
    // without the notice the old record stays in use until the periodic look-up
    expect(latest(without.onReadings([gain(id, t, before.gain)], t)).get(`gain-drift:${id}`)).toBeUndefined();
    expect(
      latest(without.onReadings([gain(id, T0 + 61_000, before.gain)], T0 + 61_000)).get(`gain-drift:${id}`),
    ).toMatchObject({
      active: true,
    });
  });

  it('a datasheet-only tube commissioned at run time: judged from the next reading on, and says so once', () => {
    const id = 'CsI14-B';
    const e = engine();
    const ds = calibrationOf(id);
    const measured = ds.gain * 1.3; // the tube as it is
    e.onReadings([hv(id, T0)], T0);
    expect(latest(e.onReadings([gain(id, T0, measured)], T0)).get(`gain-drift:${id}`)!.message).toBe(
      NOT_COMMISSIONED,
    );
    detector.addCalibration(commissioning(id, ds.version + 1, { gain: measured * 1.005 }));
    e.calibrationChanged(id);
    const judged = latest(e.onReadings([gain(id, T0 + 1000, measured)], T0 + 1000)).get(`gain-drift:${id}`)!;
    expect(judged.active).toBe(false);
    expect(judged.message).toMatch(/^SPE gain .* below the expected .*calibration v2/);
    expect(e.onReadings([gain(id, T0 + 2000, measured)], T0 + 2000)).toEqual([]);
    const drift = latest(e.onReadings([gain(id, T0 + 3000, measured * 0.88)], T0 + 3000)).get(
      `gain-drift:${id}`,
    )!;
    expect(drift).toMatchObject({ active: true, severity: 'alarm' });
  });
});
