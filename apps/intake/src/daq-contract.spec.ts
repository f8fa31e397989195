/**
 * The DAQ contract's edges (issue 9): each bad message found by trying the intake as a hostile or
 * careless client would, with the outcome the contract now gives it (docs/DATA.md, DAQ messages).
 */
import { loadSystemConfig } from '@cicenns/model';
import { DaqValidator, type ValidationResult } from './daq-validator';
import { IntakeStats } from './intake-stats';

const cfg = loadSystemConfig(undefined, {});
const now = Date.parse('2026-12-01T12:00:00Z');
const v = new DaqValidator(cfg.detector, cfg.app.intake);
const check = (topic: string, payload: unknown): ValidationResult =>
  v.validate(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), now);
const DCR = 'cicenns/daq/pmt/CsI01-A/dcr';
const GAIN = 'cicenns/daq/pmt/CsI01-A/gain';
const COINC = 'cicenns/daq/crystal/CsI01/coincidence';
const BEAM = 'cicenns/beam/status';
const SWEEP = 'cicenns/daq/dcr';

function rejection(r: ValidationResult) {
  if (r.outcome !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(r)}`);
  return r.rejection;
}
function accepted(r: ValidationResult) {
  if (r.outcome !== 'accepted') throw new Error(`expected acceptance, got ${JSON.stringify(r)}`);
  return r;
}

describe('poison timestamps are rejected, never thrown', () => {
  it.each([
    [DCR, '{"ts":1e308,"rate_hz":5}', 'future_timestamp', /1e\+308 ms is/],
    [GAIN, '{"ts":1e20,"gain":3.6e6}', 'future_timestamp', /100000000000000000000 ms/],
    [BEAM, '{"ts":-1e16,"on":true,"power_kw":1,"rep_rate_hz":25}', 'too_old', /-10000000000000000 ms/],
    [DCR, '{"ts":1e400,"rate_hz":5}', 'schema', /ts/], // Infinity is not a number of the contract
    [DCR, '{"ts":8.64e15,"rate_hz":5}', 'future_timestamp', /\+275760-09-13T00:00:00.000Z/],
  ])('%s %s', (topic, payload, reason, detail) => {
    const r = rejection(check(topic, payload));
    expect(r.reason).toBe(reason);
    expect(r.detail).toMatch(detail);
  });

  it('says when a DAQ sends epoch seconds', () => {
    expect(rejection(check(DCR, { ts: now / 1000, rate_hz: 5 })).detail).toMatch(/epoch seconds\?/);
  });
});

describe('ISO-8601 timestamps are strict', () => {
  it.each([
    ['2026-11-31T19:00:00Z', /no such day.*2026-11-31/],
    ['2026-02-29T00:00:00Z', /no such day/], // 2026 is not a leap year
    ['2026-12-01T19:42:45', /without a zone.*2026-12-01T19:42:45/],
    ['2026-12-01T24:00:00Z', /no such time of day/],
    ['2026-12-01T12:00:00+25:00', /no such zone offset/],
    ['2026-12-01', /not epoch ms or ISO-8601/],
    ['2026-12-01 12:00:00Z', /not epoch ms or ISO-8601/],
  ])('%s is refused naming the field and the value', (ts, detail) => {
    const r = rejection(check(DCR, { ts, rate_hz: 5 }));
    expect(r.reason).toBe('bad_timestamp');
    expect(r.detail).toMatch(/^ts: /);
    expect(r.detail).toMatch(detail);
  });

  it.each([
    ['2026-12-01T12:00:00Z', now],
    ['2026-12-01T20:00:00+08:00', now],
    ['2026-12-01T20:00:00+0800', now],
    ['2026-12-01T04:00-08', now],
    ['2026-12-01T11:59:59.250Z', now - 750],
    ['2024-02-29T00:00:00Z', undefined], // a real leap day, then too old
  ])('%s is read with its zone', (ts, ms) => {
    const r = check(DCR, { ts, rate_hz: 5 });
    if (ms === undefined) expect(rejection(r).reason).toBe('too_old');
    else expect(accepted(r).readings[0].ts).toBe(ms);
  });
});

describe('physical bounds (intake.bounds)', () => {
  it.each([
    [DCR, { ts: now, rate_hz: 1e308 }, /rate_hz: 1e\+308 Hz is above intake.bounds.dcr.maxRateHz/],
    [DCR, { ts: now, rate_hz: 10, window_s: 1e308 }, /window_s: .* above intake.bounds.dcr.maxWindowS/],
    [GAIN, { ts: now, gain: 1e308 }, /gain: 1e\+308 is outside intake.bounds.gain.min..max/],
    [GAIN, { ts: now, gain: 5e-324 }, /gain: 5e-324 is outside/],
    [GAIN, { ts: now, gain: 1e4 }, /more than 100 x off the calibrated 3600000/],
    [GAIN, { ts: now, gain: 3.6e9 }, /more than 100 x off/],
    [
      COINC,
      { ts: now, rate_hz: 1, window_ns: 1e308 },
      /window_ns: .* above intake.bounds.coincidence.maxWindowNs/,
    ],
    [
      COINC,
      { ts: now, rate_hz: 1e308, window_ns: 100 },
      /rate_hz: 1e\+308 Hz is above intake.bounds.coincidence.maxRateHz/,
    ],
    [
      BEAM,
      { ts: now, on: true, power_kw: 1e308, rep_rate_hz: 25 },
      /power_kw: 1e\+308 kW is above intake.bounds.beam.maxPowerKw \(1000 kW\)/,
    ],
    [
      BEAM,
      { ts: now, on: true, power_kw: 140, rep_rate_hz: 1e6 },
      /rep_rate_hz: 1000000 Hz is above intake.bounds.beam.maxRepRateHz/,
    ],
  ])('%s %j is out of range', (topic, payload, detail) => {
    const r = rejection(check(topic, payload));
    expect(r).toEqual({ reason: 'out_of_range', detail: expect.stringMatching(detail) });
  });

  it.each([
    [GAIN, { ts: now, gain: 3.6e6, gain_err: -1 }, /gain_err/],
    [GAIN, { ts: now, gain: 0 }, /gain/],
    [DCR, { ts: now, rate_hz: 1, window_s: 0 }, /window_s/],
    [DCR, { ts: now, rate_hz: 1, window_s: -7 }, /window_s/],
    [COINC, { ts: now, rate_hz: 1, window_ns: 0 }, /window_ns/],
  ])('%s %j is a schema error', (topic, payload, detail) => {
    const r = rejection(check(topic, payload));
    expect(r.reason).toBe('schema');
    expect(r.detail).toMatch(detail);
  });

  it('takes the bounds from configuration', () => {
    const strict = new DaqValidator(cfg.detector, {
      ...cfg.app.intake,
      bounds: { ...cfg.app.intake.bounds, dcr: { maxRateHz: 100, maxWindowS: 60 } },
    });
    const r = strict.validate(DCR, JSON.stringify({ ts: now, rate_hz: 101 }), now);
    expect(rejection(r).detail).toMatch(/above intake.bounds.dcr.maxRateHz \(100 Hz\)/);
    expect(strict.validate(DCR, JSON.stringify({ ts: now, rate_hz: 100 }), now).outcome).toBe('accepted');
  });

  it('refuses a sweep entry above the largest DCR, keeping the others', () => {
    const r = accepted(check(SWEEP, { ts: now, rates_hz: { 'CsI01-A': 1e308, 'CsI01-B': 2900 } }));
    expect(r.readings.map((x) => x.id)).toEqual(['CsI01-B']);
    expect(r.entryRejections).toEqual([
      { reason: 'out_of_range', detail: expect.stringMatching(/^rates_hz.CsI01-A: 1e\+308 Hz is above/) },
    ]);
  });
});

describe('duplicate keys, nesting, unknown and inconsistent fields', () => {
  it.each([
    [DCR, `{"ts":${now},"rate_hz":-1,"rate_hz":4253}`, 'duplicate key rate_hz'],
    [DCR, `{"ts":${now},"rate_hz":1,"rate\\u005fhz":2}`, 'duplicate key rate_hz'],
    [SWEEP, `{"ts":${now},"rates_hz":{"CsI01-A":1,"CsI01-A":2}}`, 'duplicate key rates_hz.CsI01-A'],
  ])('%s %s: the value is ambiguous, the message refused', (topic, payload, detail) => {
    expect(rejection(check(topic, payload))).toEqual({ reason: 'schema', detail });
  });

  it('allows the same key in different objects', () => {
    const r = check(DCR, `{"ts":${now},"rate_hz":1,"x":{"rate_hz":2},"y":[{"a":1},{"a":2}]}`);
    expect(accepted(r).readings[0].fields).toEqual({ rate_hz: 1 });
  });

  it('refuses a payload nested deeper than intake.maxDepth, however deep', () => {
    for (const depth of [4, 20_000]) {
      const payload = `{"ts":${now},"rate_hz":1,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      expect(rejection(check(DCR, payload)).reason).toBe('too_deep');
    }
    expect(check(DCR, `{"ts":${now},"rate_hz":1,"x":[[]]}`).outcome).toBe('accepted');
  });

  it('accepts a misspelled optional key with an unknown_field warning naming it', () => {
    const r = accepted(check(DCR, { ts: now, rate_hz: 4253, windows_s: -7 }));
    expect(r.readings[0].fields).toEqual({ rate_hz: 4253 });
    expect(r.warnings).toEqual([{ reason: 'unknown_field', detail: 'unknown field "windows_s" (ignored)' }]);
  });

  it('names at most three unknown keys in one warning', () => {
    const payload = {
      ts: now,
      rate_hz: 1,
      ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i])),
    };
    const r = accepted(check(DCR, payload));
    expect(r.warnings).toEqual([
      { reason: 'unknown_field', detail: 'unknown field "k0", "k1", "k2" and 497 more (ignored)' },
    ]);
  });

  it('accepts beam off with power, with an inconsistent warning', () => {
    const r = accepted(check(BEAM, { ts: now, on: false, power_kw: 500, rep_rate_hz: 25 }));
    expect(r.readings[0].fields).toEqual({ on: false, power_kw: 500, rep_rate_hz: 25 });
    expect(r.warnings).toEqual([
      { reason: 'inconsistent', detail: expect.stringMatching(/beam off with power_kw 500/) },
    ]);
    expect(accepted(check(BEAM, { ts: now, on: false, power_kw: 0, rep_rate_hz: 0 })).warnings).toEqual([]);
  });
});

describe('nothing is lost without a trace', () => {
  it('an empty sweep is a rejection', () => {
    expect(rejection(check(SWEEP, { ts: now, rates_hz: {} }))).toEqual({
      reason: 'empty',
      detail: 'rates_hz: no entries',
    });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'a sweep entry "%s" is an unknown PMT',
    (key) => {
      const r = check(SWEEP, `{"ts":${now},"rates_hz":{"${key}":5}}`);
      expect(r).toEqual({
        outcome: 'rejected',
        rejection: {
          reason: 'unknown_pmt',
          detail: `all 1 entries refused, first: rates_hz.${key}: unknown PMT`,
        },
        entryRejections: [{ reason: 'unknown_pmt', detail: `rates_hz.${key}: unknown PMT` }],
      });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('never touches prototypes', () => {
    check(
      SWEEP,
      `{"ts":${now},"__proto__":{"polluted":1},"rates_hz":{"__proto__":{"polluted":1},"CsI01-A":1}}`,
    );
    check(
      DCR,
      `{"ts":${now},"rate_hz":1,"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}`,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const r = accepted(check(DCR, `{"ts":${now},"rate_hz":1,"__proto__":{"rate_hz":7}}`));
    expect(r.readings[0].fields).toEqual({ rate_hz: 1 });
    expect(r.warnings[0].detail).toMatch(/"__proto__"/);
  });

  it.each([
    'cicenns/daq/pmt/CsI01-A/DCR',
    'cicenns/daq/pmt/CsI01-A/dcr/extra',
    'cicenns/daq/beam/status',
    'cicenns/beam/Status',
    'cicenns/daq',
  ])('%s is an unknown_topic rejection', (topic) => {
    expect(rejection(check(topic, { ts: now, rate_hz: 1 })).reason).toBe('unknown_topic');
  });

  it.each([
    'cicenns/daq/cmd/measure',
    'cicenns/daq/cmd/measure/r-1/status',
    'cicenns/daq/cmd/measure/r-1/result',
  ])('the commissioning topic %s is ignored, not rejected', (topic) => {
    expect(check(topic, 'anything')).toEqual({ outcome: 'ignored' });
  });
});

describe('bounded memory and text', () => {
  it('refuses a long topic without echoing it', () => {
    const id = 'X'.repeat(30_000);
    for (const topic of [`cicenns/daq/pmt/${id}/dcr`, `cicenns/daq/${id}`, `cicenns/daq/cmd/${id}`]) {
      const r = rejection(check(topic, { ts: now, rate_hz: 1 }));
      expect(r.reason).toBe('unknown_topic');
      expect(r.detail).toMatch(/^topic of 30\d\d\d bytes \(intake.maxTopicBytes 256\)/);
      expect(r.detail.length).toBeLessThanOrEqual(200);
    }
  });

  it('keeps no route for topics it was not built with', () => {
    const routes = (v as unknown as { routes: Map<string, unknown> }).routes;
    const before = routes.size;
    for (let i = 0; i < 1000; i++) check(`cicenns/daq/pmt/Z${i}-A/dcr`, { ts: now, rate_hz: 1 });
    expect(routes.size).toBe(before);
    expect(before).toBe(94 * 2 + 15 + 2);
  });

  it('clips every detail to 200 characters', () => {
    const long = 'é'.repeat(20_000);
    const cases: [string, string][] = [
      [DCR, JSON.stringify({ ts: long, rate_hz: 1 })],
      [SWEEP, JSON.stringify({ ts: now, rates_hz: { [long]: 1 } })],
      [SWEEP, JSON.stringify({ ts: now, rates_hz: { 'CsI01-A': long } })],
      [DCR, `{"ts":${now},"rate_hz":1,"${long}":1}`],
      [DCR, `{"ts":${now},"rate_hz":1,"${long}":1,"${long}":2}`],
      [DCR, `{"ts":${now},"${long}`],
    ];
    for (const [topic, payload] of cases) {
      const r = check(topic, payload);
      const details =
        r.outcome === 'rejected'
          ? [r.rejection, ...r.entryRejections]
          : r.outcome === 'accepted'
            ? [...r.warnings, ...r.entryRejections]
            : [];
      expect(details.length).toBeGreaterThan(0);
      for (const d of details) expect(d.detail.length).toBeLessThanOrEqual(200);
    }
  });
});

describe('counting (IntakeStats)', () => {
  it('counts a message once and a sweep entry apart', () => {
    const stats = new IntakeStats();
    const keys = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`NOPE${i}`, 1]));
    stats.record(check(SWEEP, { ts: now, rates_hz: keys }));
    stats.record(check(SWEEP, { ts: now, rates_hz: { ...keys, 'CsI01-A': 1 } }));
    const warned = stats.record(check(DCR, { ts: now, rate_hz: 1, windows_s: 3 }));
    stats.record(check('cicenns/daq/cmd/measure', '{}'));
    stats.record(check(DCR, '{'));
    expect(stats.rejects).toEqual({ unknown_pmt: 1, not_json: 1 });
    expect(stats.rejectedEntries).toEqual({ unknown_pmt: 10_000 });
    expect(stats.warnings).toEqual({ unknown_field: 1 });
    stats.received = 5;
    expect(stats.counters()).toEqual({
      received: 5,
      accepted: 2,
      readingsAccepted: 2,
      rejected: 2,
      rejectedEntries: 10_000,
      warnings: 1,
      ignored: 1,
    });
    // details are not kept (health is public): the log line names them
    expect(warned).toBe('accepted with warning unknown_field: unknown field "windows_s" (ignored)');
  });
});
