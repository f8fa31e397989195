import fc from 'fast-check';
import type { Reading } from '@cicenns/contracts';
import { SetValueFilter } from './set-values';
import { loadSystemConfig } from '@cicenns/model';

const SET = new Set(['vset', 'iset', 'ramp_up']);
const hvAt = (ts: number, vset: number, vmon = 1500, extra: Partial<Reading> = {}): Reading => ({
  m: 'hv',
  id: 'CsI01-A',
  ts,
  quality: 'good',
  fields: { vset, iset: 10, ramp_up: 50, vmon, imon: 1.2, status: 1 },
  source: 'hv-crystal',
  ...extra,
});

/** Readings as the poller publishes them: a good one carries its channel's good one before as prevTs. */
function poller(): typeof hvAt {
  const last = new Map<string, number>();
  return (ts, vset, vmon, extra) => {
    const r = hvAt(ts, vset, vmon, extra);
    if (r.quality !== 'good') return r;
    const prev = last.get(r.id);
    if (prev !== undefined) r.prevTs = prev;
    last.set(r.id, ts);
    return r;
  };
}

describe('HV set values stored on change', () => {
  it('stores every field first, then the measured values only, the changed set value with an edge at the previous reading', () => {
    const f = new SetValueFilter(SET, 600_000, 10);
    const hv = poller();
    expect(f.apply(hv(1000, 1500)).reading.fields).toEqual({
      vset: 1500,
      iset: 10,
      ramp_up: 50,
      vmon: 1500,
      imon: 1.2,
      status: 1,
    });
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
    const hv = poller();
    f.apply(hv(0, 1500));
    expect(f.apply(hv(9_999, 1500)).reading.fields).not.toHaveProperty('vset');
    expect(f.apply(hv(10_000, 1500)).reading.fields).toMatchObject({ vset: 1500, iset: 10, ramp_up: 50 });
    expect(f.apply(hv(11_000, 1500)).reading.fields).not.toHaveProperty('vset');
    expect(f.apply(hv(20_000, 1500)).reading.fields).toHaveProperty('vset');
  });

  it('passes bad, late and other readings whole, and keeps at most maxChannels channels', () => {
    const f = new SetValueFilter(SET, 600_000, 1);
    const hv = poller();
    f.apply(hv(1000, 1500));
    const bad = hv(2000, 0, 0, { quality: 'bad', fields: {}, error: 'timeout' });
    expect(f.apply(bad).reading).toBe(bad);
    const late = hvAt(500, 1500, 1500, { prevTs: 1000 });
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
    const r = hvAt(1000, 1500);
    r.fields = { ...r.fields, power: 1, ramp_down: 50, trip_time: 1 };
    f.apply(r);
    expect(Object.keys(f.apply({ ...r, ts: 2000, prevTs: 1000 }).reading.fields).sort()).toEqual([
      'imon',
      'status',
      'vmon',
    ]);
    cfg.app.influx.setValuesKeyframeMs = 0;
    expect(SetValueFilter.fromConfig(cfg)).toBeUndefined();
  });

  it('stores a reading whole when the reading before it went elsewhere (prevTs), or it does not say', () => {
    const f = new SetValueFilter(SET, 600_000, 10);
    f.apply(hvAt(1000, 1500));
    expect(f.apply(hvAt(2000, 1500, 1500, { prevTs: 1000 })).reading.fields).not.toHaveProperty('vset');
    // 3000 was taken by another historian: 4000 is judged against nothing we hold
    const after = f.apply(hvAt(4000, 1500, 1500, { prevTs: 3000 }));
    expect(after.reading.fields).toHaveProperty('vset', 1500);
    expect(after.edge).toBeUndefined();
    expect(f.apply(hvAt(5000, 1500, 1500, { prevTs: 4000 })).reading.fields).not.toHaveProperty('vset');
    // a publisher that does not say (or one just restarted)
    expect(f.apply(hvAt(6000, 1500)).reading.fields).toHaveProperty('vset', 1500);
  });

  it('several historians, each taking some of the readings: the stored series is the true one at every reading', () => {
    // vset over a run of readings, each taken by one of `historians` filters (a shared subscription)
    const run = fc.record({
      historians: fc.integer({ min: 1, max: 3 }),
      keyframeReadings: fc.integer({ min: 1, max: 20 }),
      steps: fc.array(
        fc.record({ vset: fc.constantFrom(1000, 1200, 1400), to: fc.nat(2), bad: fc.boolean() }),
        {
          minLength: 1,
          maxLength: 60,
        },
      ),
    });
    fc.assert(
      fc.property(run, ({ historians, keyframeReadings, steps }) => {
        const filters = Array.from(
          { length: historians },
          () => new SetValueFilter(SET, keyframeReadings * 1000, 10),
        );
        const publish = poller();
        /** what InfluxDB holds: a point per ts, later writes of a field replacing earlier ones */
        const stored = new Map<number, number>();
        const truth: [number, number][] = [];
        steps.forEach((step, i) => {
          const ts = (i + 1) * 1000;
          const bad = step.bad && i % 5 === 4; // now and then a failed read
          const r = bad
            ? publish(ts, 0, 0, { quality: 'bad', fields: {}, error: 'timeout' })
            : publish(ts, step.vset);
          if (!bad) truth.push([ts, step.vset]);
          const out = filters[step.to % historians].apply(r);
          if (out.edge && 'vset' in out.edge.fields) stored.set(out.edge.ts, out.edge.fields.vset as number);
          if (out.reading.quality === 'good' && 'vset' in out.reading.fields)
            stored.set(ts, out.reading.fields.vset as number);
        });
        // last("vset") at each reading's time: the latest stored point at or before it
        const times = [...stored.keys()].sort((a, b) => a - b);
        for (const [ts, vset] of truth) {
          const at = times.filter((t) => t <= ts).pop();
          expect(at === undefined ? undefined : stored.get(at)).toBe(vset);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
