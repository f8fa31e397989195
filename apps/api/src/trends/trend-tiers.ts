import type { AppConfigFile } from '@cicenns/model';
import type { TrendPlan } from './trends-query';

/** One read of a trend from one retention tier, over [from, to). */
export interface TierRead {
  tier: 'raw' | 'aggregate';
  /** the InfluxDB retention policy read */
  policy: string;
  from: number;
  to: number;
  influxql: string;
  /** its answer is kept from here (the bucket holding `from`; it may read from earlier: heldMs) */
  keepFrom: number;
}

export interface TieredTrend {
  /** the answer's interval: for aggregates a whole number of aggregate intervals */
  intervalMs: number;
  /** in time order, adjoining: each read's `to` is the next one's `from` */
  reads: TierRead[];
}

const id = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/**
 * Which tier(s) a trend reads (docs/DATA.md, "Retention tiers"). Raw readings when the span is
 * at most tiers.rawMaxSpan and lies within the raw retention; otherwise aggregates (a mean of
 * the per-interval means), and raw for the part after the last aggregate interval that is surely
 * written. The boundary between the two is on the answer's interval grid (GROUP BY time() is
 * aligned to the epoch in both reads), so every bucket comes whole from one tier: no gap, no
 * bucket counted twice.
 */
export function planTierReads(
  plan: TrendPlan,
  influx: Pick<AppConfigFile['influx'], 'database' | 'tiers'>,
  now: number,
): TieredTrend {
  const { raw, aggregate: agg, rawMaxSpanMs } = influx.tiers;
  const rawFrom = raw.durationMs === 0 ? -Infinity : now - raw.durationMs;
  const select = (tier: TierRead['tier'], from: number, to: number, intervalMs: number): TierRead => {
    const policy = tier === 'raw' ? raw.name : agg.name;
    // a set value: the last in force per interval (last_<field> in the aggregates), its last
    // point before the read (at most heldMs before) carried into it
    const held = plan.heldMs ?? 0;
    const field = tier === 'raw' ? plan.field : `${held ? 'last' : 'mean'}_${plan.field}`;
    const influxql =
      `SELECT ${held ? 'last' : 'mean'}(${id(field)}) FROM ${id(influx.database)}.${id(policy)}.${id(plan.measurement)}` +
      ` WHERE ${plan.subjectWhere} AND time >= ${Math.floor(from - held)}ms AND time < ${Math.ceil(to)}ms` +
      ` GROUP BY time(${intervalMs}ms) fill(${held ? 'previous' : 'null'})`;
    return { tier, policy, from, to, influxql, keepFrom: Math.floor(from / intervalMs) * intervalMs };
  };
  if (plan.to - plan.from <= rawMaxSpanMs && plan.from >= rawFrom)
    return { intervalMs: plan.intervalMs, reads: [select('raw', plan.from, plan.to, plan.intervalMs)] };

  const intervalMs = Math.ceil(plan.intervalMs / agg.intervalMs) * agg.intervalMs;
  // The continuous query writes an interval once it has ended (and rewrites it RESAMPLE FOR
  // later): the interval before the current one is the last one surely written.
  const aggregatedUntil = Math.floor(now / agg.intervalMs) * agg.intervalMs - agg.intervalMs;
  const boundary = Math.floor(aggregatedUntil / intervalMs) * intervalMs;
  // all in the aggregates, or raw readings no longer there for the rest: aggregates only
  if (plan.to <= boundary || boundary < rawFrom || boundary <= plan.from)
    return { intervalMs, reads: [select('aggregate', plan.from, plan.to, intervalMs)] };
  return {
    intervalMs,
    reads: [
      select('aggregate', plan.from, boundary, intervalMs),
      select('raw', boundary, plan.to, intervalMs),
    ],
  };
}

/**
 * The reads' points as one series: each read's buckets from its own `from` (the first read's
 * first bucket may start before: the bucket holding the trend's start) to its own `to`.
 */
export function stitch(reads: TierRead[], points: [number, number | null][][]): [number, number | null][] {
  const last = reads.length - 1;
  return reads.flatMap((r, i) =>
    points[i].filter(([t]) => t >= (i === 0 ? r.keepFrom : r.from) && (i === last || t < r.to)),
  );
}
