import type { Reading } from '@cicenns/contracts';
import { qualityOf, Views } from './views';
import type { LiveCache } from './live-cache';

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
