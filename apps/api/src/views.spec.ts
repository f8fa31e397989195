import type { Reading } from '@cicenns/contracts';
import { qualityOf } from './views';

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
