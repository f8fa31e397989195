import { loadSystemConfig } from '@cicenns/model';
import { planTierReads, stitch } from './trend-tiers';
import { planTrend, trendsQuerySchema, type TrendPlan } from './trends-query';

const cfg = loadSystemConfig(undefined, {});
const influx = cfg.app.influx; // raw 30 d, 1-minute aggregates, rawMaxSpan 2 d
const DAY = 86_400_000;
const now = 1_800_000_000_000 + 12_345; // not on a minute
const plan = (fromAgo: number, points = 600, toAgo = 0): TrendPlan => {
  const p = planTrend(
    trendsQuerySchema.parse({
      measurement: 'hv',
      field: 'vmon',
      subject: 'CsI01-A',
      from: String(now - fromAgo),
      to: String(now - toAgo),
      points: String(points),
    }),
    cfg.detector,
    now,
  );
  if (typeof p === 'string') throw new Error(p);
  return p;
};

describe('trend tier choice', () => {
  it('a span up to rawMaxSpan within the raw retention reads raw readings only', () => {
    const t = planTierReads(plan(DAY), influx, now);
    expect(t.reads).toHaveLength(1);
    expect(t.reads[0]).toMatchObject({ tier: 'raw', policy: 'cicenns_raw', from: now - DAY, to: now });
    expect(t.reads[0].influxql).toBe(
      `SELECT mean("vmon") FROM "cicenns"."cicenns_raw"."hv" WHERE "pmt" = 'CsI01-A'` +
        ` AND time >= ${now - DAY}ms AND time < ${now}ms GROUP BY time(${t.intervalMs}ms) fill(null)`,
    );
  });

  it('a 1-year trend reads aggregates, raw only after the last surely written minute, on one grid', () => {
    const t = planTierReads(plan(365 * DAY), influx, now);
    expect(t.intervalMs % 60_000).toBe(0);
    expect(t.reads.map((r) => r.tier)).toEqual(['aggregate', 'raw']);
    const [agg, raw] = t.reads;
    expect(agg.from).toBe(now - 365 * DAY);
    expect(agg.to).toBe(raw.from); // adjoining
    expect(raw.to).toBe(now);
    expect(raw.from % t.intervalMs).toBe(0); // a bucket edge of both reads' GROUP BY time()
    // the boundary is before the minute the continuous query may not have written yet
    expect(raw.from).toBeLessThanOrEqual(Math.floor(now / 60_000) * 60_000 - 60_000);
    expect(now - raw.from).toBeLessThan(t.intervalMs + 2 * 60_000);
    expect(agg.influxql).toMatch(/^SELECT mean\("mean_vmon"\) FROM "cicenns"\."cicenns_1m"\."hv" WHERE/);
    expect(agg.influxql).toContain(`GROUP BY time(${t.intervalMs}ms)`);
    expect(raw.influxql).toContain(`GROUP BY time(${t.intervalMs}ms)`);
  });

  it('a short span reaching back beyond the raw retention reads aggregates', () => {
    const t = planTierReads(plan(40 * DAY, 600, 39 * DAY), influx, now);
    expect(t.reads.map((r) => r.tier)).toEqual(['aggregate']);
    expect(t.intervalMs).toBe(180_000); // 1 day / 599 rounded up to whole minutes
  });

  it('a 7-day trend (longer than rawMaxSpan) reads aggregates and the last minutes raw', () => {
    const t = planTierReads(plan(7 * DAY), influx, now);
    expect(t.reads.map((r) => r.tier)).toEqual(['aggregate', 'raw']);
  });

  it('raw kept forever (an older config): only the span decides', () => {
    const forever = { ...influx, tiers: { ...influx.tiers, raw: { ...influx.tiers.raw, durationMs: 0 } } };
    expect(planTierReads(plan(40 * DAY, 600, 39 * DAY), forever, now).reads.map((r) => r.tier)).toEqual([
      'raw',
    ]);
  });

  it('stitching keeps each bucket from one read: no gap, none twice', () => {
    const t = planTierReads(plan(365 * DAY), influx, now);
    const [agg, raw] = t.reads;
    const grid = (from: number, to: number) => {
      const out: [number, number | null][] = [];
      for (let b = Math.floor(from / t.intervalMs) * t.intervalMs; b < to; b += t.intervalMs)
        out.push([b, 1]);
      return out;
    };
    const points = stitch(t.reads, [grid(agg.from, agg.to), grid(raw.from, raw.to)]);
    const steps = new Set(points.slice(1).map(([ts], i) => ts - points[i][0]));
    expect([...steps]).toEqual([t.intervalMs]);
    expect(points[0][0]).toBeLessThanOrEqual(agg.from);
    expect(points.at(-1)![0]).toBeGreaterThan(now - t.intervalMs);
  });

  it('an HV set value (stored on change): the last value per interval, reaching back heldMs, filled; kept from the bucket holding from', () => {
    const held = { ...plan(3_600_000), field: 'vset', heldMs: 600_000 };
    const t = planTierReads(held, influx, now);
    expect(t.reads[0].influxql).toBe(
      `SELECT last("vset") FROM "cicenns"."cicenns_raw"."hv" WHERE "pmt" = 'CsI01-A'` +
        ` AND time >= ${now - 3_600_000 - 600_000}ms AND time < ${now}ms GROUP BY time(${t.intervalMs}ms) fill(previous)`,
    );
    const first = Math.floor((now - 3_600_000) / t.intervalMs) * t.intervalMs;
    const answer: [number, number | null][] = [
      [first - 2 * t.intervalMs, 1500], // the lookback: not in the answer
      [first - t.intervalMs, 1500],
      [first, 1500],
      [first + t.intervalMs, 1600],
    ];
    expect(stitch(t.reads, [answer])).toEqual(answer.slice(2));
    // the aggregates and the raw tail both reach back, each read's answer from its own start
    const year = planTierReads({ ...plan(365 * DAY), field: 'vset', heldMs: 600_000 }, influx, now);
    expect(year.reads.map((r) => r.influxql.match(/^SELECT (\w+\("\w+"\))/)![1])).toEqual([
      'last("last_vset")',
      'last("vset")',
    ]);
    expect(year.reads[1].influxql).toContain(`time >= ${year.reads[1].from - 600_000}ms`);
  });
});
