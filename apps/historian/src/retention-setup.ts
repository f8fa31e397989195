import { MEASUREMENTS } from '@cicenns/contracts';
import {
  formatDuration,
  hvMeasuredFields,
  hvSetValueFields,
  type AppConfigFile,
  type DeviceProfile,
} from '@cicenns/model';

type InfluxSettings = AppConfigFile['influx'];
type Query = (q: string) => Promise<unknown>;

/** The continuous queries the historian owns in its database (renamed tiers: replaced). */
export const AGGREGATE_CQ = 'cicenns_aggregate';
export const HV_CQ = 'cicenns_aggregate_hv';
export const ALARM_CQ = 'cicenns_aggregate_alarm';
export const HELD_CQ = 'cicenns_aggregate_held';

/**
 * The HV fields of the configured profiles (profile-registers.ts): the set values, stored on
 * change (held: their last value per interval), and the measured ones, stored with every reading.
 */
export interface HvFields {
  held: readonly string[];
  measured: readonly string[];
}
const NO_HV_FIELDS: HvFields = { held: [], measured: [] };

/** The HV fields of these profiles, as the historian passes them to setUpRetention. */
export function hvFieldsOf(profiles: Iterable<DeviceProfile>): HvFields {
  const all = [...profiles];
  return { held: [...hvSetValueFields(all)], measured: [...hvMeasuredFields(all)] };
}

/** One continuous query of the aggregate tier: its name, its SELECT ... INTO ... FROM (no GROUP BY). */
export interface TierQuery {
  name: string;
  select: string;
}

/** The alarm journal's fields counted per interval: what the dashboards read of it. */
export const ALARM_COUNTED_FIELDS = ['state', 'quality', 'error'] as const;

const id = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/**
 * The measurements whose every field gets mean, min, max and count: every reading kind and the
 * services' health points (health-points.ts), but the alarm journal and, when the HV fields are
 * known, hv. A continuous query pays for every series of what it reads, also those without a
 * point in its minutes, for each aggregate of each field (docs/PERFORMANCE.md,
 * bench:influx-cq-live): the journal has a series per alarm id that ever had an event (hundreds
 * of thousands at scale), so it is only counted; hv has its set values, stored on change, so
 * without a point in most series' minutes, and read only as last_ (the held query).
 */
export function wildcardMeasurements(hv: HvFields = NO_HV_FIELDS): string[] {
  const apart = new Set(['alarm', ...(hv.measured.length > 0 ? ['hv'] : [])]);
  return [...MEASUREMENTS.filter((m) => !apart.has(m)), 'service'];
}

/**
 * The aggregate tier's continuous queries, per interval, tags kept (GROUP BY *), fields named
 * mean_vmon, min_vmon, max_vmon, count_vmon, ... (count_ of strings too: count_quality is the
 * number of readings, count_error the bad ones; mean_ of numbers only):
 * - cicenns_aggregate: mean, min, max, count of every field of wildcardMeasurements;
 * - cicenns_aggregate_hv: the same of hv's measured fields, by name, and count_quality, count_error;
 * - cicenns_aggregate_alarm: the journal's count_state (events), count_quality, count_error;
 * - cicenns_aggregate_held: the HV set values' last value, last_vset, ...: what was in force at
 *   the interval's end, which a reader carries over the intervals without a point
 *   (fill(previous)); a mean of the few points stored in an interval with a change would mix
 *   the old and the new value. Into the same points as the hv query's fields (InfluxDB merges them).
 */
export function tierQueries(cfg: InfluxSettings, hv: HvFields = NO_HV_FIELDS): TierQuery[] {
  const { raw, aggregate: agg } = cfg.tiers;
  const db = id(cfg.database);
  const into = (m: string) => `INTO ${db}.${id(agg.name)}.${m === ':MEASUREMENT' ? m : id(m)}`;
  const from = (ms: string[]) => `FROM ${ms.map((m) => `${db}.${id(raw.name)}.${id(m)}`).join(', ')}`;
  const as = (fn: string, f: string) => `${fn}(${id(f)}) AS ${id(`${fn}_${f}`)}`;
  const counts = (fields: readonly string[]) => fields.map((f) => as('count', f));
  const queries: TierQuery[] = [
    {
      name: AGGREGATE_CQ,
      select: `SELECT mean(*), min(*), max(*), count(*) ${into(':MEASUREMENT')} ${from(wildcardMeasurements(hv))}`,
    },
  ];
  if (hv.measured.length > 0) {
    const each = hv.measured.flatMap((f) => ['mean', 'min', 'max', 'count'].map((fn) => as(fn, f)));
    queries.push({
      name: HV_CQ,
      select: `SELECT ${[...each, ...counts(['quality', 'error'])].join(', ')} ${into('hv')} ${from(['hv'])}`,
    });
  }
  queries.push({
    name: ALARM_CQ,
    select: `SELECT ${counts(ALARM_COUNTED_FIELDS).join(', ')} ${into('alarm')} ${from(['alarm'])}`,
  });
  if (hv.held.length > 0)
    queries.push({
      name: HELD_CQ,
      select: `SELECT ${hv.held.map((f) => as('last', f)).join(', ')} ${into('hv')} ${from(['hv'])}`,
    });
  return queries;
}

/**
 * What the aggregate tier holds of one field: `stats` mean_, min_, max_ (of numbers) and count_
 * (of any value), `count` count_ alone; `last` also last_. undefined: nothing of it.
 */
export interface FieldFigures {
  figures?: 'stats' | 'count';
  last: boolean;
}
const STATS: FieldFigures = { figures: 'stats', last: false };
const COUNT: FieldFigures = { figures: 'count', last: false };
const LAST: FieldFigures = { last: true };
const STATS_LAST: FieldFigures = { figures: 'stats', last: true };

/** What the aggregate tier holds of one measurement's fields. */
export interface MeasurementPlan {
  of(field: string): FieldFigures | undefined;
}

/**
 * The same as tierQueries, per measurement, for the historian computing the tier itself
 * (tier-aggregator.ts); test/historian-aggregates.e2e.ts checks the two against each other on
 * a live InfluxDB.
 */
export function tierPlan(hv: HvFields = NO_HV_FIELDS): Map<string, MeasurementPlan> {
  const held = new Set(hv.held);
  const measured = new Set(hv.measured);
  const plans = new Map<string, MeasurementPlan>();
  for (const m of wildcardMeasurements(hv))
    plans.set(m, { of: (f) => (m === 'hv' && held.has(f) ? STATS_LAST : STATS) });
  if (measured.size > 0)
    plans.set('hv', {
      of: (f) =>
        measured.has(f) ? STATS : f === 'quality' || f === 'error' ? COUNT : held.has(f) ? LAST : undefined,
    });
  const alarmCounted = new Set<string>(ALARM_COUNTED_FIELDS);
  plans.set('alarm', { of: (f) => (alarmCounted.has(f) ? COUNT : undefined) });
  return plans;
}

/**
 * A tier query as InfluxDB 1.x's continuous query: RESAMPLE FOR recomputes the last intervals
 * on each run, so readings that reach InfluxDB late still count.
 */
export function continuousQuery(cfg: InfluxSettings, q: TierQuery): string {
  const agg = cfg.tiers.aggregate;
  return (
    `CREATE CONTINUOUS QUERY ${id(q.name)} ON ${id(cfg.database)} RESAMPLE EVERY ${agg.resampleEvery} FOR ${agg.resampleFor} ` +
    `BEGIN ${q.select} GROUP BY time(${agg.interval}), * END`
  );
}

/** Milliseconds of a Go duration as InfluxDB 1.x shows it (720h0m0s); 0 is forever. */
export function goDurationMs(s: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(s);
  if (!m) return NaN;
  return (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
}

interface PolicyRow {
  durationMs: number;
  isDefault: boolean;
}

async function existingPolicies(query: Query, database: string): Promise<Map<string, PolicyRow>> {
  const body = (await query(`SHOW RETENTION POLICIES ON ${id(database)}`)) as {
    results?: { series?: { columns: string[]; values: unknown[][] }[] }[];
  };
  const series = body.results?.[0]?.series?.[0];
  const out = new Map<string, PolicyRow>();
  if (!series) return out;
  const col = (n: string) => series.columns.indexOf(n);
  for (const v of series.values)
    out.set(String(v[col('name')]), {
      durationMs: goDurationMs(String(v[col('duration')])),
      isDefault: v[col('default')] === true,
    });
  return out;
}

/**
 * InfluxDB 1.x: the database, the raw policy (the default one: what is written without rp and
 * what dashboards read by default), the aggregate policy and the continuous query, created or
 * brought to the configured settings. Idempotent. A policy made shorter loses its older data at
 * InfluxDB's next retention check: `warn` says so first.
 */
export async function setUpRetention(
  cfg: InfluxSettings,
  query: Query,
  warn: (m: string) => void,
  /** the HV fields of the profiles: hv's query names them (tierQueries) */
  hv: HvFields = NO_HV_FIELDS,
): Promise<void> {
  const { database, tiers } = cfg;
  await query(`CREATE DATABASE ${id(database)}`);
  const existing = await existingPolicies(query, database);
  for (const [tier, isDefault] of [
    [tiers.raw, true],
    [tiers.aggregate, false],
  ] as const) {
    const now = existing.get(tier.name);
    const asDefault = isDefault ? ' DEFAULT' : '';
    if (!now) {
      await query(
        `CREATE RETENTION POLICY ${id(tier.name)} ON ${id(database)} DURATION ${tier.duration} REPLICATION 1${asDefault}`,
      );
      continue;
    }
    if (now.durationMs === tier.durationMs && now.isDefault === isDefault) continue;
    if (tier.durationMs !== 0 && (now.durationMs === 0 || now.durationMs > tier.durationMs))
      warn(
        `retention policy ${tier.name} shortened from ${formatDuration(now.durationMs)} to ` +
          `${formatDuration(tier.durationMs)}: InfluxDB deletes what is older at its next retention check`,
      );
    // ALTER ... DEFAULT sets the default; a policy no longer default loses it when another takes it
    await query(
      `ALTER RETENTION POLICY ${id(tier.name)} ON ${id(database)} DURATION ${tier.duration}${asDefault}`,
    );
  }
  if (tiers.aggregate.computedBy === 'historian') {
    // the historian fills the tier itself: continuous queries of ours would compute it again
    for (const name of [AGGREGATE_CQ, HV_CQ, ALARM_CQ, HELD_CQ])
      await query(`DROP CONTINUOUS QUERY ${id(name)} ON ${id(database)}`).catch((e: Error) => {
        if (!/not found|does not exist/.test(e.message)) throw e;
      });
    return;
  }
  for (const q of tierQueries(cfg, hv))
    await ensureContinuousQuery(query, database, q.name, continuousQuery(cfg, q));
}

/**
 * A tier query for the intervals in [from, to) only, as the historian computing the tier runs it
 * for an interval its memory cannot vouch for (tier-aggregator.ts).
 */
export function rangeQuery(cfg: InfluxSettings, q: TierQuery, from: number, to: number): string {
  return `${q.select} WHERE time >= ${from}ms AND time < ${to}ms GROUP BY time(${cfg.tiers.aggregate.interval}), *`;
}

async function ensureContinuousQuery(query: Query, database: string, name: string, cq: string) {
  await query(cq).catch(async (e: Error) => {
    // exists with another definition (settings changed): replace it
    if (!/already exists/.test(e.message)) throw e;
    await query(`DROP CONTINUOUS QUERY ${id(name)} ON ${id(database)}`);
    await query(cq);
  });
}

/**
 * What an operator of InfluxDB 2.x/3.x sets up by hand (its v1 API refuses CREATE RETENTION
 * POLICY and CREATE CONTINUOUS QUERY); docs/DATA.md, "InfluxDB 2.x and 3.x", gives the commands.
 */
export function operatorSetup(cfg: InfluxSettings, version: string): string {
  const { raw, aggregate: agg } = cfg.tiers;
  const keep = (ms: number) => (ms === 0 ? 'infinite' : formatDuration(ms));
  return (
    `InfluxDB ${version} takes no retention policies or continuous queries through the v1 API; set up ` +
    `(docs/DATA.md, "InfluxDB 2.x and 3.x"): a bucket for raw readings (retention ${keep(raw.durationMs)}) ` +
    `and one for aggregates (retention ${keep(agg.durationMs)}); DBRP mappings database "${cfg.database}" ` +
    `retention policy "${raw.name}" -> the raw bucket (default) and "${agg.name}" -> the aggregate bucket; ` +
    (agg.computedBy === 'historian'
      ? `the historian writes the aggregates itself (influx.tiers.aggregate.computedBy: historian)`
      : aggregateTask(agg))
  );
}

/** The operator's part of the aggregates on 2.x/3.x when InfluxDB computes them. */
function aggregateTask(agg: InfluxSettings['tiers']['aggregate']): string {
  return (
    `a task (2.x) or processing-engine trigger (3.x) writing every ${agg.interval} the mean, min, max ` +
    `and count of every field as mean_<field>, min_<field>, max_<field>, count_<field> into the aggregate bucket ` +
    `(of hv not the set values; of alarm only count_state, count_quality, count_error), ` +
    `and the last of each HV set value as last_<field> (last_vset, last_iset, ...); or let the historian ` +
    `compute them (influx.tiers.aggregate.computedBy: historian)`
  );
}
