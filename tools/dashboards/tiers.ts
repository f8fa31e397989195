/**
 * The retention tier a panel reads, picked by the dashboard's time range (docs/DATA.md "Retention
 * tiers", the rule /api/trends follows): raw readings when the range is at most
 * influx.tiers.rawMaxSpan and starts within the raw retention, the aggregates otherwise.
 *
 * Every panel query is written once against a Tier and becomes two targets, one per tier, each
 * with a gate in its WHERE made of Grafana's built-in ${__from}/${__to} and InfluxQL's now().
 * InfluxDB folds such literal conditions before reading anything (checked on 1.6: numbers,
 * and an ISO time string against `now() - 30d`), so for any range exactly one of the two targets
 * answers and the other is empty: no "$rp" to pick by hand, the same series names on both tiers.
 *
 * Why not one target with regex fields (`mean(/^(mean_)?vmon$/)`)? InfluxQL 1.6 refuses regex
 * fields in arithmetic ("unsupported expression with regex field"), and several panels need it
 * (VMon - VSet, the good-reading share, the expected DCR); the aggregates also need other
 * functions than raw (a count of readings is sum(count_<field>)) and have no quality field.
 */
import type { RetentionTiers } from '@cicenns/model';
import { checkedName } from './influxql';

export interface Tier {
  kind: 'raw' | 'aggregate';
  policy: string;
  /** "cicenns_raw"."hv" */
  from(measurement: string): string;
  /** a mean per bucket: mean("vmon") / mean("mean_vmon") */
  mean(field: string): string;
  /** the last value: last("status") / last("mean_status") */
  last(field: string): string;
  /** an HV set value in force: last("vset") / last("last_vset") (retention-setup.ts heldQuery) */
  held(field: string): string;
  /** the largest value: max("status") / max("max_status") */
  max(field: string): string;
  /** how many readings have the field: count("vmon") / sum("count_vmon") */
  count(field: string): string;
  /** seconds in a bucket of `perMinute()`'s GROUP BY: for rates of readings */
  bucketSeconds: string;
  /** GROUP BY time(...) for counts: whole minutes on raw, the panel's interval on aggregates */
  countBuckets: string;
  /**
   * fill() of a value series: null on raw (a gap in the readings shows); none on aggregates, whose
   * buckets may be shorter than their interval when an old range is short (a point per interval).
   */
  gaps: string;
  /**
   * WHERE: the tier's gate, the conditions, only good readings (on raw; the aggregates are of
   * good readings' values already, bad ones have none) and $timeFilter.
   */
  where(...conditions: string[]): string;
  /** as `where`, with bad readings too (counting them, or the share of good ones) */
  whereAll(...conditions: string[]): string;
  /**
   * as `where`, reaching back one influx.setValuesKeyframeMs before the range: an HV set value
   * is stored on change and at least that often (docs/DATA.md), so its last point before the
   * range is in the answer and fill(previous) carries it into the range
   */
  whereHeld(...conditions: string[]): string;
}

const q = (name: string) => `"${checkedName('field', name)}"`;

/** The two gates: complementary, so exactly one tier answers for a given range. */
export function tierGates(tiers: RetentionTiers): { raw: string; aggregate: string } {
  const span = '${__to} - ${__from}';
  const max = tiers.rawMaxSpanMs;
  // a raw tier kept forever holds any start; otherwise the range must start inside it
  if (tiers.raw.durationMs === 0) return { raw: `${span} <= ${max}`, aggregate: `${span} > ${max}` };
  const kept = `now() - ${tiers.raw.durationMs}ms`;
  return {
    raw: `${span} <= ${max} AND '\${__from:date:iso}' >= ${kept}`,
    aggregate: `(${span} > ${max} OR '\${__from:date:iso}' < ${kept})`,
  };
}

/** `heldMs`: influx.setValuesKeyframeMs, how far back whereHeld reaches (0: not at all) */
export function tiersOf(tiers: RetentionTiers, heldMs = 0): [Tier, Tier] {
  const gates = tierGates(tiers);
  const raw = checkedName('retention policy', tiers.raw.name);
  const agg = checkedName('retention policy', tiers.aggregate.name);
  const join = (gate: string, conds: string[], time = '$timeFilter') =>
    ['WHERE', [gate, ...conds, time].join(' AND ')].join(' ');
  // Grafana's ${__from}/${__to} are epoch ms; InfluxQL takes the arithmetic (checked on 1.6)
  const heldTime = heldMs > 0 ? `time >= \${__from}ms - ${heldMs}ms AND time <= \${__to}ms` : '$timeFilter';
  return [
    {
      kind: 'raw',
      policy: raw,
      from: (m) => `"${raw}".${q(m)}`,
      mean: (f) => `mean(${q(f)})`,
      last: (f) => `last(${q(f)})`,
      held: (f) => `last(${q(f)})`,
      max: (f) => `max(${q(f)})`,
      count: (f) => `count(${q(f)})`,
      bucketSeconds: '60',
      countBuckets: 'time(1m)',
      gaps: 'fill(null)',
      where: (...c) => join(gates.raw, [...c, `"quality" = 'good'`]),
      whereAll: (...c) => join(gates.raw, c),
      whereHeld: (...c) => join(gates.raw, [...c, `"quality" = 'good'`], heldTime),
    },
    {
      kind: 'aggregate',
      policy: agg,
      from: (m) => `"${agg}".${q(m)}`,
      mean: (f) => `mean(${q(`mean_${f}`)})`,
      last: (f) => `last(${q(`mean_${f}`)})`,
      held: (f) => `last(${q(`last_${f}`)})`,
      max: (f) => `max(${q(`max_${f}`)})`,
      count: (f) => `sum(${q(`count_${f}`)})`,
      // the panel's interval is at least the aggregate interval (minInterval), so no bucket is empty
      bucketSeconds: '($__interval_ms / 1000)',
      countBuckets: 'time($__interval)',
      gaps: 'fill(none)',
      where: (...c) => join(gates.aggregate, c),
      whereAll: (...c) => join(gates.aggregate, c),
      whereHeld: (...c) => join(gates.aggregate, c, heldTime),
    },
  ];
}
