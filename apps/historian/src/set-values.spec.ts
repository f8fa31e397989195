import type { Reading } from '@cicenns/contracts';
import { SetValueFilter } from './set-values';
import { loadSystemConfig } from '@cicenns/model';

const SET = new Set(['vset', 'iset', 'ramp_up']);
const hv = (ts: number, vset: number, vmon = 1500, extra: Partial<Reading> = {}): Reading => ({
  m: 'hv',
  id: 'CsI01-A',
  ts,
  quality: 'good',
  fields: { vset, iset: 10, ramp_up: 50, vmon, imon: 1.2, status: 1 },
  source: 'hv-crystal',
  ...extra,
});

describe('HV set values stored on change', () => {
  it('stores every field first, then the measured values only, the changed set value with an edge at the previous reading', () => {
    const f = new SetValueFilter(SET, 600_000, 10);
    expect(f.apply(hv(1000, 1500)).reading.fields).toEqual(hv(1000, 1500).fields);
    const second = f.apply(hv(2000, 1500, 1501));
    expect(second.reading.fields).toEqual({ vmon: 1501, imon: 1.2, status: 1 });
    expect(second.edge).toBeUndefined();
    const change = f.apply(hv(3000, 1600));
    expect(change.reading.fields).toEqual({ vset: 1600, vmon: 1500, imon: 1.2, status: 1 });
    // the old value held up to the last reading before the change
    expect(change.edge).toEqual({ ts: 2000, fields: { vset: 1500 } });
    expect(f.apply(hv(4000, 1600)).reading.fields).not.toHaveProperty('vset');
  });

  it('stores every set value again once a keyframe interval has passed', () => {
    const f = new SetValueFilter(SET, 10_000, 10);
    f.apply(hv(0, 1500));
    expect(f.apply(hv(9_999, 1500)).reading.fields).not.toHaveProperty('vset');
    expect(f.apply(hv(10_000, 1500)).reading.fields).toMatchObject({ vset: 1500, iset: 10, ramp_up: 50 });
    expect(f.apply(hv(11_000, 1500)).reading.fields).not.toHaveProperty('vset');
    expect(f.apply(hv(20_000, 1500)).reading.fields).toHaveProperty('vset');
  });

  it('passes bad, late and other readings whole, and keeps at most maxChannels channels', () => {
    const f = new SetValueFilter(SET, 600_000, 1);
    f.apply(hv(1000, 1500));
    const bad = hv(2000, 0, 0, { quality: 'bad', fields: {}, error: 'timeout' });
    expect(f.apply(bad).reading).toBe(bad);
    const late = hv(500, 1500);
    expect(f.apply(late).reading).toBe(late);
    const other = hv(3000, 1500, 1500, { id: 'CsI01-B' });
    expect(f.apply(other).reading).toBe(other);
    expect(f.apply({ ...other, ts: 4000 }).reading.fields).toHaveProperty('vset'); // beyond the cap: whole
    const dcr: Reading = {
      m: 'dcr',
      id: 'CsI01-A',
      ts: 5000,
      quality: 'good',
      fields: { rate_hz: 1 },
      source: 'daq',
    };
    expect(f.apply(dcr).reading).toBe(dcr);
    // after the bad reading the edge is at the last good one
    expect(f.apply(hv(6000, 1700)).edge).toEqual({ ts: 1000, fields: { vset: 1500 } });
  });

  it('takes the set values from the profiles: their rw registers; keyframe 0 turns it off', () => {
    const cfg = loadSystemConfig(undefined, {});
    const f = SetValueFilter.fromConfig(cfg)!;
    const r = hv(1000, 1500);
    r.fields = { ...r.fields, power: 1, ramp_down: 50, trip_time: 1 };
    f.apply(r);
    expect(Object.keys(f.apply({ ...r, ts: 2000 }).reading.fields).sort()).toEqual([
      'imon',
      'status',
      'vmon',
    ]);
    cfg.app.influx.setValuesKeyframeMs = 0;
    expect(SetValueFilter.fromConfig(cfg)).toBeUndefined();
  });
});
