import type { Reading } from '@cicenns/contracts';
import { loadSystemConfig } from '@cicenns/model';
import { RecentHistory } from './recent-history';
import { recentHistoryFor } from './recent-history-for';
import { trendsQuerySchema } from './trends-query';
import { TrendsService } from './trends.service';

const T0 = 1_800_000_000_000; // a multiple of every bucket below
const hv = (ts: number, vmon: number, id = 'CsI01-A', quality: 'good' | 'bad' = 'good'): Reading => ({
  m: 'hv',
  id,
  ts,
  quality,
  fields: { vmon, status: 'ON' },
  source: 'hv1',
});
const range = (from: number, to: number, intervalMs: number) => ({ from, to, intervalMs });

describe('RecentHistory', () => {
  it('keeps one mean per bucket; answers epoch-aligned intervals, null where it has nothing', () => {
    const h = new RecentHistory({ windowMs: 60_000, bucketMs: 5000, maxSeries: 10 });
    h.add([hv(T0, 1), hv(T0 + 1000, 3), hv(T0 + 5000, 10), hv(T0 + 20_000, 7, 'CsI01-A', 'bad')]);
    expect(h.query('hv', 'CsI01-A', 'vmon', range(T0, T0 + 20_000, 5000), T0 + 20_000)).toEqual([
      [T0, 2],
      [T0 + 5000, 10],
      [T0 + 10_000, null],
      [T0 + 15_000, null],
    ]);
    // wider intervals: the mean of the readings, weighted by their count
    expect(h.query('hv', 'CsI01-A', 'vmon', range(T0, T0 + 10_000, 10_000), T0 + 10_000)).toEqual([
      [T0, 14 / 3],
    ]);
    expect(h.query('hv', 'CsI01-A', 'imon', range(T0, T0 + 10_000, 10_000), T0)).toEqual([[T0, null]]);
  });

  it('forgets what is older than the window, in memory and in answers', () => {
    const h = new RecentHistory({ windowMs: 20_000, bucketMs: 5000, maxSeries: 10 });
    for (let t = 0; t < 60_000; t += 1000) h.add([hv(T0 + t, t)]);
    const now = T0 + 60_000;
    const pts = h.query('hv', 'CsI01-A', 'vmon', range(T0, now, 5000), now);
    expect(pts).toHaveLength(12);
    expect(pts.filter(([, v]) => v !== null).map(([t]) => t)).toEqual([
      T0 + 40_000,
      T0 + 45_000,
      T0 + 50_000,
      T0 + 55_000,
    ]);
    // a late reading for a bucket already overwritten is dropped, not mixed in
    h.add([hv(T0, 1e6)]);
    expect(h.query('hv', 'CsI01-A', 'vmon', range(T0, now, 5000), T0 + 20_000)[0]).toEqual([T0, null]);
  });

  it('after a gap in the readings, answers nothing from a lap ago in the buckets skipped', () => {
    // 4 slots of 5 s: a reading in every bucket for 20 s, nothing for 10 s, then one again
    const h = new RecentHistory({ windowMs: 20_000, bucketMs: 5000, maxSeries: 10 });
    for (let t = 0; t < 20_000; t += 5000) h.add([hv(T0 + t, t)]);
    h.add([hv(T0 + 30_000, 99)]);
    // late but inside the window the ring holds: kept
    h.add([hv(T0 + 15_000, 5000)]);
    const now = T0 + 35_000;
    expect(h.query('hv', 'CsI01-A', 'vmon', range(T0 + 15_000, now, 5000), now)).toEqual([
      [T0 + 15_000, 10_000],
      [T0 + 20_000, null],
      [T0 + 25_000, null],
      [T0 + 30_000, 99],
    ]);
  });

  it('keeps at most maxSeries series, counts what it drops, and states its bound', () => {
    const h = new RecentHistory({ windowMs: 3600_000, bucketMs: 5000, maxSeries: 2 });
    h.add([hv(T0, 1, 'A'), hv(T0, 1, 'B'), hv(T0, 1, 'C')]);
    expect(h.seriesCount).toBe(2);
    expect(h.dropped).toBe(1);
    expect(h.query('hv', 'C', 'vmon', range(T0, T0 + 5000, 5000), T0)).toEqual([[T0, null]]);
    expect(h.bytesBound()).toBe(2 * 720 * 12);
  });

  it("keeps only what the trends API can plot: the detector's subjects, whitelisted numeric fields", () => {
    const h = recentHistoryFor(loadSystemConfig(undefined, {}));
    h.add([
      hv(T0, 1),
      hv(T0, 1, 'NoSuchPmt'),
      {
        m: 'temperature',
        id: 'T-hall',
        ts: T0,
        quality: 'good',
        fields: { value_c: 21, raw: 5 },
        source: 't',
      },
    ]);
    expect(h.seriesCount).toBe(2); // hv/CsI01-A/vmon (status is a string), temperature/T-hall/value_c
  });
});

describe('TrendsService without InfluxDB', () => {
  const cfg = loadSystemConfig(undefined, {});
  cfg.app.influx.url = '';
  const q = (o: Record<string, string>) => trendsQuerySchema.parse(o);

  it('answers from the recent history in the InfluxDB path shape, at most `points`', async () => {
    const now = Date.now();
    const recent = recentHistoryFor(cfg);
    for (let t = now - 120_000; t < now; t += 1000) recent.add([hv(t, 1500)]);
    const trends = new TrendsService(cfg, recent);
    const from = now - 15 * 60_000;
    const r = await trends.query(
      q({
        measurement: 'hv',
        field: 'vmon',
        subject: 'CsI01-A',
        from: String(from),
        to: String(now),
        points: '600',
      }),
    );
    expect(Object.keys(r)).toEqual([
      'measurement',
      'field',
      'subject',
      'unit',
      'from',
      'to',
      'intervalMs',
      'tiers',
      'points',
    ]);
    expect(r.tiers).toEqual([{ tier: 'memory', policy: 'api.recentHistory', from, to: now }]);
    expect(r).toMatchObject({
      measurement: 'hv',
      field: 'vmon',
      subject: 'CsI01-A',
      unit: 'V',
      from,
      to: now,
    });
    expect(r.intervalMs).toBe(5000); // 1.5 s asked, a bucket is 5 s
    expect(r.points.length).toBeLessThanOrEqual(600);
    expect(r.points.filter(([, v]) => v === 1500).length).toBeGreaterThanOrEqual(23);
    expect(r.points.every(([, v]) => v === null || v === 1500)).toBe(true);
  });

  it('refuses the same bad requests; without a store, 503 as before', async () => {
    const trends = new TrendsService(cfg, recentHistoryFor(cfg));
    await expect(trends.query(q({ measurement: 'hv', field: 'vmon', subject: 'nope' }))).rejects.toThrow(
      /^subject: no pmt/,
    );
    await expect(
      new TrendsService(cfg).query(q({ measurement: 'hv', field: 'vmon', subject: 'CsI01-A' })),
    ).rejects.toThrow(/no InfluxDB configured/);
  });
});
