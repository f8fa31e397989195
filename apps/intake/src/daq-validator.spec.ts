import { CalibrationFeed } from '@cicenns/bus';
import { Topics } from '@cicenns/contracts';
import { loadSystemConfig } from '@cicenns/model';
import { DaqValidator, type ValidationResult } from './daq-validator';

const cfg = loadSystemConfig(undefined, {});
const now = Date.parse('2026-11-25T12:00:00Z');
const validator = new DaqValidator(cfg.detector, {
  ...cfg.app.intake,
  maxPayloadBytes: 65536,
  maxFutureSkewMs: 300_000,
  maxAgeMs: 7 * 86400_000,
});
/** readings, and every rejection of the message and of its entries, in one list */
const flat = (r: ValidationResult) => ({
  readings: r.outcome === 'accepted' ? r.readings : [],
  rejections:
    r.outcome === 'ignored' ? [] : [...(r.outcome === 'rejected' ? [r.rejection] : []), ...r.entryRejections],
});
const v = { validate: (...args: Parameters<DaqValidator['validate']>) => flat(validator.validate(...args)) };
const check = (topic: string, payload: unknown) =>
  v.validate(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), now);

describe('DAQ message validation (SPEC 2.3)', () => {
  it('accepts a per-PMT DCR with epoch ms and with ISO-8601', () => {
    expect(check('cicenns/daq/pmt/CsI01-A/dcr', { ts: now, rate_hz: 2900.5, window_s: 10 })).toEqual({
      readings: [
        {
          m: 'dcr',
          id: 'CsI01-A',
          ts: now,
          quality: 'good',
          source: 'daq',
          fields: { rate_hz: 2900.5, window_s: 10 },
        },
      ],
      rejections: [],
    });
    const r = check('cicenns/daq/pmt/PSV32-B/dcr', { ts: '2026-11-25T11:59:59.500Z', rate_hz: 290 });
    expect(r.readings[0]).toMatchObject({ id: 'PSV32-B', ts: now - 500, fields: { rate_hz: 290 } });
  });

  it('keeps payloads with top-level data or pattern keys as they are', () => {
    const r = check('cicenns/daq/pmt/CsI01-A/gain', { ts: now, gain: 3.6e6, data: 1, pattern: 'x' });
    expect(r.readings[0].fields).toEqual({ gain: 3.6e6 });
  });

  it('accepts the good entries of a sweep and rejects the bad ones one by one', () => {
    const r = check('cicenns/daq/dcr', {
      ts: now,
      window_s: 10,
      rates_hz: { 'CsI01-A': 2900, 'CsI99-A': 1, 'PSV01-B': 'high', 'PSV02-A': -3, 'PSV03-A': 300 },
    });
    expect(r.readings.map((x) => x.id)).toEqual(['CsI01-A', 'PSV03-A']);
    expect(r.rejections).toEqual([
      { reason: 'unknown_pmt', detail: 'rates_hz.CsI99-A: unknown PMT' },
      { reason: 'schema', detail: 'rates_hz.PSV01-B: expected a rate >= 0, got "high"' },
      { reason: 'schema', detail: 'rates_hz.PSV02-A: expected a rate >= 0, got -3' },
    ]);
  });

  it.each([
    [
      'unknown PMT',
      'cicenns/daq/pmt/CsI16-A/dcr',
      { ts: now, rate_hz: 1 },
      'unknown_pmt',
      /unknown PMT "CsI16-A"/,
    ],
    ['missing field', 'cicenns/daq/pmt/CsI01-A/dcr', { ts: now }, 'schema', /rate_hz/],
    [
      'NaN (not JSON)',
      'cicenns/daq/pmt/CsI01-A/dcr',
      '{"ts": 1, "rate_hz": NaN}',
      'not_json',
      /JSON|Unexpected/,
    ],
    ['string for a number', 'cicenns/daq/pmt/CsI01-A/gain', { ts: now, gain: '3.6e6' }, 'schema', /gain/],
    [
      'future timestamp',
      'cicenns/daq/pmt/CsI01-A/dcr',
      { ts: now + 3600_000, rate_hz: 1 },
      'future_timestamp',
      /3600 s in the future/,
    ],
    [
      'old timestamp',
      'cicenns/daq/pmt/CsI01-A/dcr',
      { ts: now - 30 * 86400_000, rate_hz: 1 },
      'too_old',
      /older/,
    ],
    [
      'garbage timestamp',
      'cicenns/daq/pmt/CsI01-A/dcr',
      { ts: 'yesterday', rate_hz: 1 },
      'bad_timestamp',
      /yesterday/,
    ],
    ['not an object', 'cicenns/beam/status', '[1,2]', 'schema', /object/],
    [
      'unknown crystal',
      'cicenns/daq/crystal/CsI20/coincidence',
      { ts: now, rate_hz: 1, window_ns: 100 },
      'unknown_crystal',
      /CsI20/,
    ],
    ['bad method', 'cicenns/daq/pmt/CsI01-A/gain', { ts: now, gain: 1, method: 'guess' }, 'schema', /method/],
    [
      'negative rate',
      'cicenns/daq/crystal/CsI01/coincidence',
      { ts: now, rate_hz: -1, window_ns: 100 },
      'schema',
      /rate_hz/,
    ],
  ])('rejects %s with a reason', (_name, topic, payload, reason, detail) => {
    const r = check(topic, payload);
    expect(r.readings).toEqual([]);
    expect(r.rejections).toHaveLength(1);
    expect(r.rejections[0].reason).toBe(reason);
    expect(r.rejections[0].detail).toMatch(detail);
  });

  it('rejects a 10 MB payload before parsing it', () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
    const r = v.validate('cicenns/daq/pmt/CsI01-A/dcr', big, now);
    expect(r.rejections).toEqual([{ reason: 'too_large', detail: `${big.length} bytes, limit 65536` }]);
  });

  it('accepts beam status and coincidences', () => {
    expect(
      check('cicenns/beam/status', { ts: now, on: true, power_kw: 140, rep_rate_hz: 25 }).readings[0],
    ).toMatchObject({
      m: 'beam',
      id: '',
      fields: { on: true, power_kw: 140, rep_rate_hz: 25 },
    });
    expect(
      check('cicenns/daq/crystal/CsI15/coincidence', { ts: now, rate_hz: 0.0017, window_ns: 100 })
        .readings[0],
    ).toMatchObject({
      m: 'coincidence',
      id: 'CsI15',
    });
  });
});

describe('the gain bound follows an approved calibration from the bus (CalibrationFeed)', () => {
  it('a gain fine against the datasheet record is out of range against a newly approved one, at once', () => {
    const { detector } = loadSystemConfig(undefined, {});
    const own = new DaqValidator(detector, { ...cfg.app.intake, maxAgeMs: 7 * 86400_000 });
    const feed = new CalibrationFeed(detector);
    const topic = 'cicenns/daq/pmt/CsI08-B/gain';
    const payload = JSON.stringify({ ts: now, gain: 5e4, gain_err: 500, n_spe: 3000 });
    // 3.6e6 / 5e4 = 72: within the factor 100 of the datasheet figure
    expect(flat(own.validate(topic, payload, now)).rejections).toEqual([]);
    const record = {
      ...detector.currentCalibration('CsI08-B', now)!,
      version: 2,
      validFrom: '2026-11-01T00:00:00Z',
      gain: 8e6,
      method: 'commissioning',
      run: 'run-0003',
    };
    expect(feed.handle(Topics.calibration.record('CsI08-B'), JSON.stringify({ record }))).toBeDefined();
    const [rejection] = flat(own.validate(topic, payload, now)).rejections;
    expect(rejection).toMatchObject({ reason: 'out_of_range' });
    expect(rejection.detail).toMatch(/more than 100 x off the calibrated 8000000 \(calibration v2,/);
  });
});
