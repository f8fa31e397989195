import type { Reading } from '@cicenns/contracts';
import { qualityOf, Views } from './views';
import { LiveCache } from './live-cache';

const reading = (ts: number, quality: Reading['quality'] = 'good'): Reading => ({
  m: 'gain',
  id: 'CsI01-A',
  ts,
  quality,
  fields: { gain: 3.6e6 },
  source: 'daq',
});

describe('qualityOf', () => {
  const period = 600_000; // a gain every 10 min
  const now = 1_800_000_000_000;

  it('says "none" (no data yet) for a value that has never arrived and was not due yet', () => {
    expect(qualityOf(undefined, period, 3, now, now - 60_000)).toBe('none');
  });

  it('says "stale" once a value was due and none came', () => {
    expect(qualityOf(undefined, period, 3, now, now - 3 * period - 1)).toBe('stale');
    expect(qualityOf(undefined, period, 3, now)).toBe('stale'); // no start time known
  });

  it('judges a value by its age, and a failure as bad', () => {
    expect(qualityOf(reading(now - 1000), period, 3, now, now)).toBe('good');
    expect(qualityOf(reading(now - 3 * period - 1), period, 3, now, now)).toBe('stale');
    expect(qualityOf(reading(now, 'bad'), period, 3, now, now)).toBe('bad');
  });
});

describe('Views.sensors', () => {
  it("serves a temperature profile's extra registers like a PMT's", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadSystemConfig } = require('@cicenns/model') as typeof import('@cicenns/model');
    const cfg = loadSystemConfig(undefined, {});
    const pt100 = cfg.profiles.get('pt100-8ch')!;
    // a transmitter that also reports its own board temperature
    pt100.registers.board = { ...pt100.registers.value, offset: 8, unit: 'degC' };
    pt100.poll = [...pt100.poll, 'board'];
    const now = Date.now();
    const sensor = cfg.detector.sensors[0];
    const cache = {
      get: (m: string, id: string) =>
        m === 'temperature' && id === sensor.id
          ? { ...reading(now - 100), m: 'temperature' as const, id, fields: { value_c: 22.1, board: 31.5 } }
          : undefined,
    };
    const views = new Views(cfg, cache as unknown as LiveCache, now - 1000);
    const s = views.sensors(now).find((x) => x.id === sensor.id)!;
    expect(s.temperature).toMatchObject({ value: 22.1, quality: 'good' });
    expect(s.extra).toEqual({ board: { value: 31.5, unit: 'degC', ts: now - 100, quality: 'good' } });
  });
});

describe('Views: commissioned or not, and the calibration in force', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadSystemConfig } = require('@cicenns/model') as typeof import('@cicenns/model');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CalibrationFeed } = require('@cicenns/bus') as typeof import('@cicenns/bus');
  const now = Date.parse('2026-06-01T00:00:00Z');

  it('a fresh detector: 94 of 94 not commissioned, as two runs; a PMT view says datasheet', () => {
    const cfg = loadSystemConfig(undefined, {});
    const views = new Views(cfg, new LiveCache(), now);
    expect(views.health(true, now).commissioning).toMatchObject({
      pmts: 94,
      commissioned: 0,
      notCommissioned: 94,
      notCommissionedRanges: 'CsI01-A..CsI15-B, PSV01-A..PSV32-B',
    });
    expect(views.pmt('CsI01-A', now)).toMatchObject({
      commissioned: false,
      calibration: { version: 1, method: 'datasheet', by: 'seed', run: null, approvedBy: null },
    });
    expect(views.detector(now).crystals[0].pmts[0]).toMatchObject({ id: 'CsI01-A', commissioned: false });
  });

  it('an approved record from the bus: that PMT is commissioned at once, with version, run, who and when', () => {
    const cfg = loadSystemConfig(undefined, {});
    const feed = new CalibrationFeed(cfg.detector);
    const views = new Views(cfg, new LiveCache(), now, feed);
    const record = {
      ...cfg.detector.currentCalibration('CsI02-B', now)!,
      version: 2,
      validFrom: '2026-05-20T10:00:00Z',
      measuredAt: '2026-05-19T16:00:00Z',
      method: 'commissioning',
      by: 'hw-alice',
      run: 'run-0009',
      approvedBy: 'expert-bob',
      approvedAt: '2026-05-20T10:00:00Z',
      gain: 4.2e6,
      errors: { gain: 5e4, beta: 0.1 },
    };
    feed.handle('cicenns/sc/calibration/CsI02-B', JSON.stringify({ record }));
    expect(views.pmt('CsI02-B', now)).toMatchObject({
      commissioned: true,
      calibration: {
        version: 2,
        method: 'commissioning',
        validFrom: '2026-05-20T10:00:00Z',
        measuredAt: '2026-05-19T16:00:00Z',
        by: 'hw-alice',
        run: 'run-0009',
        approvedBy: 'expert-bob',
        gain: 4.2e6,
        errors: { gain: 5e4, beta: 0.1 },
      },
    });
    const health = views.health(true, now);
    expect(health.commissioning).toMatchObject({
      commissioned: 1,
      notCommissioned: 93,
      notCommissionedRanges: 'CsI01-A..CsI02-A, CsI03-A..CsI15-B, PSV01-A..PSV32-B',
    });
    expect(health.api.calibrations).toMatchObject({ received: 1, applied: 1, rejected: 0 });
    expect(views.detector(now).commissioning.notCommissioned).toBe(93);
  });
});

describe('Views.health with the alarm service split', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadSystemConfig } = require('@cicenns/model') as typeof import('@cicenns/model');
  const { configWithAlarmPartitions } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../../test/support/alarm-partitions') as typeof import('../../../test/support/alarm-partitions');

  const report = (instance: string | undefined, state: string) =>
    Buffer.from(
      JSON.stringify({
        service: 'alarms',
        state,
        ts: Date.now(),
        session: `cicenns-alarms${instance ? `-${instance}` : ''}`,
        ...(instance && { instance }),
        connections: {},
        counters: {},
        rejects: {},
      }),
    );

  it('lists each partition by its instance id: one down is that one down, one not heard of unknown', () => {
    const cfg = loadSystemConfig(configWithAlarmPartitions(), {});
    const cache = new LiveCache();
    const views = new Views(cfg, cache);
    const services = () => views.health(true, Date.now()).services as Record<string, { state: string }>;
    cache.onMessage('cicenns/sc/health/alarms-a', report('a', 'running'));
    // b not heard of yet: expected all the same
    expect(services()['alarms-b']).toMatchObject({ state: 'unknown' });
    cache.onMessage('cicenns/sc/health/alarms-b', report('b', 'offline'));
    expect(services()['alarms-a']).toMatchObject({ state: 'running', instance: 'a' });
    expect(services()['alarms-b']).toMatchObject({ state: 'offline', instance: 'b' });
    expect(services().alarms).toBeUndefined();
    expect(views.health(true).status).toBe('degraded');
  });

  it('one alarm service: listed as before, under "alarms" once it reported, not expected', () => {
    const cfg = loadSystemConfig(undefined, {});
    const cache = new LiveCache();
    const views = new Views(cfg, cache);
    expect(Object.keys(views.health(true).services).filter((k) => k.startsWith('alarms'))).toEqual([]);
    cache.onMessage('cicenns/sc/health/alarms', report(undefined, 'running'));
    expect(views.health(true).services).toHaveProperty('alarms.state', 'running');
  });
});
