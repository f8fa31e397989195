import { isIntegerField } from './line-protocol';
import { tierPlan } from './retention-setup';
import { TierAggregator, type StoredPoint } from './tier-aggregator';
import { ranges } from './aggregate-tier';

const I = 10_000;
const T0 = 1_700_000_000_000; // a whole interval
const settings = { intervalMs: I, resampleForMs: 2 * I, settleMs: 2000, maxSeries: 100, maxDirty: 50 };
const HV = { held: ['vset'], measured: ['vmon', 'imon', 'status'] };

const hv = (ts: number, fields: StoredPoint['fields'], extra: Partial<StoredPoint> = {}): StoredPoint => ({
  m: 'hv',
  series: 'hv,pmt=CsI01-A,group=csi,parent=CsI01',
  fields,
  quality: 'good',
  isInt: isIntegerField,
  ts,
  ...extra,
});

/** An aggregator started just before T0, so T0's interval is its first own. */
const started = () => new TierAggregator(tierPlan(HV), settings, T0 - 500);

/** The fields of the lines, by series and time. */
function parsed(lines: string[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const l of lines) {
    const [series, fields, ts] = l.split(' ');
    out[`${series} ${ts}`] = Object.fromEntries(
      fields!.split(',').map((f) => f.split('=') as [string, string]),
    );
  }
  return out;
}

describe('TierAggregator', () => {
  it('writes mean, min, max, count of the measured fields, counts of quality and error, last of the set values', () => {
    const a = started();
    a.add(hv(T0 + 1000, { vmon: 1000, imon: 1.5, status: 3, vset: 1500 }), T0 + 1000);
    a.add(hv(T0 + 5000, { vmon: 1010, imon: 2.5, status: 1 }), T0 + 5000);
    // a later point arrives first: last_ is by ts, not by arrival
    a.add(hv(T0 + 9000, { vmon: 990, imon: 2, status: 3, vset: 1600 }), T0 + 9000);
    a.add(hv(T0 + 7000, { vset: 1550 }, { quality: undefined }), T0 + 9100);
    a.add(hv(T0 + 8000, {}, { quality: 'bad', error: 'timeout' }), T0 + 9200);
    expect(a.due(T0 + I + 1999)).toEqual([]); // not before it has settled
    const lines = a.due(T0 + I + 2000);
    expect(parsed(lines)).toEqual({
      [`hv,pmt=CsI01-A,group=csi,parent=CsI01 ${T0}`]: {
        mean_vmon: '1000',
        min_vmon: '990',
        max_vmon: '1010',
        count_vmon: '3i',
        mean_imon: '2',
        min_imon: '1.5',
        max_imon: '2.5',
        count_imon: '3i',
        mean_status: String(7 / 3),
        min_status: '1i', // an integer field: its min and max are integers too
        max_status: '3i',
        count_status: '3i',
        last_vset: '1600',
        count_quality: '4i',
        count_error: '1i',
      },
    });
    expect(a.counters.aggregateLines).toBe(1);
  });

  it('counts only state, quality and error of the alarm journal; every field of the wildcard measurements', () => {
    const a = started();
    const alarm = {
      m: 'alarm',
      series: 'alarm,alarm=dcr-high:CsI01-A',
      isInt: isIntegerField,
      quality: 'good',
    };
    a.add({ ...alarm, fields: { state: 'active', message: 'x', value: 3 }, ts: T0 + 1 }, T0 + 1);
    a.add({ ...alarm, fields: { state: 'normal', message: 'y', value: 1 }, ts: T0 + 2 }, T0 + 2);
    const dcr = { m: 'dcr', series: 'dcr,pmt=CsI01-A,group=csi,parent=CsI01', isInt: isIntegerField };
    a.add({ ...dcr, fields: { rate_hz: 100, note: 'n' }, quality: 'good', ts: T0 + 3 }, T0 + 3);
    a.add({ ...dcr, fields: { rate_hz: 300, note: 'm' }, quality: 'good', ts: T0 + 4 }, T0 + 4);
    expect(parsed(a.due(T0 + I + 2000))).toEqual({
      [`alarm,alarm=dcr-high:CsI01-A ${T0}`]: { count_state: '2i', count_quality: '2i' },
      [`dcr,pmt=CsI01-A,group=csi,parent=CsI01 ${T0}`]: {
        mean_rate_hz: '200',
        min_rate_hz: '100',
        max_rate_hz: '300',
        count_rate_hz: '2i',
        count_note: '2i', // a string: counted only
        count_quality: '2i',
      },
    });
  });

  it('writes an interval again at resampleFor if late points changed it, only the series they changed, then lets it go', () => {
    const a = started();
    a.add(hv(T0 + 1000, { vmon: 1000 }), T0 + 1000);
    a.add(hv(T0 + 1000, { vmon: 5 }, { series: 'hv,pmt=CsI01-B' }), T0 + 1000);
    expect(a.due(T0 + I + 2000)).toHaveLength(2);
    expect(a.due(T0 + I + 3000)).toEqual([]);
    expect(a.add(hv(T0 + 9999, { vmon: 1100 }), T0 + 2 * I - 1)).toBe('memory');
    const again = a.due(T0 + 2 * I + 2000);
    expect(parsed(again)).toEqual({
      [`hv,pmt=CsI01-A,group=csi,parent=CsI01 ${T0}`]: expect.objectContaining({
        count_vmon: '2i',
        max_vmon: '1100',
      }),
    });
    // given up: a point arriving now makes the interval one to recompute from raw
    expect(a.add(hv(T0 + 5000, { vmon: 1 }), T0 + 2 * I + 2500)).toBe('recompute');
    expect(a.due(T0 + 3 * I)).toEqual([]);
    expect(a.takeDirty(T0 + 2 * I + 2500 + 1999)).toEqual([]);
    expect(a.takeDirty(T0 + 2 * I + 4500)).toEqual([T0]);
    expect(a.takeDirty(T0 + 2 * I + 4500)).toEqual([]);
  });

  it('recomputes what memory cannot vouch for: before its start, a redelivered message, too many series', () => {
    const a = new TierAggregator(tierPlan(HV), { ...settings, maxSeries: 2 }, T0 + 500);
    expect(a.firstOwnInterval).toBe(T0 + I);
    expect(a.add(hv(T0 + 600, { vmon: 1 }), T0 + 600)).toBe('recompute'); // begun before the start
    expect(a.add(hv(T0 + I + 1, { vmon: 1 }), T0 + I + 1)).toBe('memory');
    // redelivered (MQTT DUP): maybe counted already; the interval leaves memory for good
    expect(a.add(hv(T0 + I + 2, { vmon: 1 }), T0 + I + 2, true)).toBe('recompute');
    expect(a.add(hv(T0 + I + 3, { vmon: 1 }), T0 + I + 3)).toBe('recompute');
    expect(a.due(T0 + 2 * I + 2000)).toEqual([]);
    const s = (n: number) => ({ series: `hv,pmt=P${n}` });
    a.add(hv(T0 + 2 * I + 1, { vmon: 1 }, s(1)), T0 + 2 * I + 1);
    a.add(hv(T0 + 2 * I + 1, { vmon: 1 }, s(2)), T0 + 2 * I + 1);
    expect(a.add(hv(T0 + 2 * I + 1, { vmon: 1 }, s(3)), T0 + 2 * I + 1)).toBe('recompute');
    expect(a.earliestPending()).toBe(T0);
    expect(a.takeDirty(T0 + 10 * I)).toEqual([T0, T0 + I, T0 + 2 * I]);
    expect(a.counters.aggregateIntervalsDirty).toBe(3);
  });

  it('keeps at most maxDirty intervals to recompute, giving up the oldest', () => {
    const a = new TierAggregator(tierPlan(HV), { ...settings, maxDirty: 3 }, T0 + 100 * I);
    for (let k = 0; k < 5; k++) a.markDirty(T0 + k * I, T0 + 100 * I);
    expect(a.counters.aggregateIntervalsGivenUp).toBe(2);
    expect(a.takeDirty(T0 + 200 * I)).toEqual([T0 + 2 * I, T0 + 3 * I, T0 + 4 * I]);
  });

  it('gives min_ and max_ of a boolean field, as InfluxDB 1.x does (false < true), and no mean_', () => {
    const a = started();
    const beam = { m: 'beam', series: 'beam', isInt: isIntegerField, quality: 'good' };
    a.add({ ...beam, fields: { on: true, power_kw: 140 }, ts: T0 + 1 }, T0 + 1);
    a.add({ ...beam, fields: { on: true, power_kw: 142 }, ts: T0 + 2 }, T0 + 2);
    a.add({ ...beam, fields: { on: false, power_kw: 141 }, ts: T0 + 1 + I }, T0 + 1 + I);
    expect(parsed(a.due(T0 + 2 * I + 2000))).toEqual({
      [`beam ${T0}`]: expect.objectContaining({ min_on: 'true', max_on: 'true', count_on: '2i' }),
      [`beam ${T0 + I}`]: expect.objectContaining({ min_on: 'false', max_on: 'false', count_on: '1i' }),
    });
    expect(Object.values(parsed(a.due(T0 + 3 * I + 2000)))).toEqual([]);
  });

  it('takes the whole measurement by wildcard when the HV fields are not known', () => {
    const a = new TierAggregator(tierPlan({ held: ['vset'], measured: [] }), settings, T0 - 1);
    a.add(hv(T0 + 1, { vmon: 2, vset: 1500 }), T0 + 1);
    a.add(hv(T0 + 2, { vmon: 4, vset: 1600 }), T0 + 2);
    expect(Object.values(parsed(a.due(T0 + I + 2000)))[0]).toEqual(
      expect.objectContaining({ mean_vmon: '3', mean_vset: '1550', last_vset: '1600', count_vset: '2i' }),
    );
  });
});

describe('ranges', () => {
  it('joins consecutive intervals into ranges of at most `most`', () => {
    expect(ranges([0, 10, 20, 40, 50, 60, 70], 10, 3)).toEqual([
      [0, 30],
      [40, 70],
      [70, 80],
    ]);
    expect(ranges([], 10, 3)).toEqual([]);
  });
});
