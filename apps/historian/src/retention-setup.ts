import { MEASUREMENTS } from '@cicenns/contracts';
import { formatDuration, type AppConfigFile } from '@cicenns/model';

type InfluxSettings = AppConfigFile['influx'];
type Query = (q: string) => Promise<unknown>;

/** The continuous queries the historian owns in its database (renamed tiers: replaced). */
export const AGGREGATE_CQ = 'cicenns_aggregate';
export const HELD_CQ = 'cicenns_aggregate_held';
export const ALARM_CQ = 'cicenns_aggregate_alarm';

/**
 * The measurements aggregated in full: every reading kind but the alarm journal, and the
 * services' health points (health-points.ts). The journal is counted apart (alarmCountQuery):
 * it has a series per alarm id that ever had an event (hundreds of thousands at scale), and a
 * continuous query pays for every series of what it reads, also those without a point in its
 * minutes, per aggregate and field: at 5,000 PMTs 20,000 alarm series doubled the query's CPU
 * (docs/PERFORMANCE.md, bench:influx-cq-live).
 */
export const AGGREGATED_MEASUREMENTS: readonly string[] = [
  ...MEASUREMENTS.filter((m) => m !== 'alarm'),
  'service',
];

/** The alarm journal's fields counted per interval: what the dashboards read of it. */
export const ALARM_COUNTED_FIELDS = ['state', 'quality', 'error'] as const;

const id = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/**
 * The continuous query that fills the aggregate tier: per interval, mean, min, max and count of
 * every field of every AGGREGATED_MEASUREMENTS, tags kept (GROUP BY *), fields named mean_vmon,
 * min_vmon, max_vmon, count_vmon... (count_ of string fields too; mean_ of numbers only).
 * RESAMPLE FOR recomputes the last intervals on each run, so readings that reach InfluxDB late
 * still count.
 */
export function aggregateQuery(cfg: InfluxSettings): string {
  const agg = cfg.tiers.aggregate;
  const db = id(cfg.database);
  return (
    `CREATE CONTINUOUS QUERY ${id(AGGREGATE_CQ)} ON ${db} RESAMPLE EVERY ${agg.resampleEvery} FOR ${agg.resampleFor} ` +
    `BEGIN ${aggregateSelect(cfg)} GROUP BY time(${agg.interval}), * END`
  );
}

/** The SELECT ... INTO of the continuous query, without its GROUP BY (a back-fill adds a WHERE). */
export function aggregateSelect(cfg: InfluxSettings): string {
  const { raw, aggregate: agg } = cfg.tiers;
  const db = id(cfg.database);
  const from = AGGREGATED_MEASUREMENTS.map((m) => `${db}.${id(raw.name)}.${id(m)}`).join(', ');
  return `SELECT mean(*), min(*), max(*), count(*) INTO ${db}.${id(agg.name)}.:MEASUREMENT FROM ${from}`;
}

/**
 * The alarm journal per interval: count_state (events), count_quality, count_error, per alarm
 * id (GROUP BY *), as the full aggregate named them; no mean, min or max of its fields.
 */
export function alarmCountQuery(cfg: InfluxSettings): string {
  const agg = cfg.tiers.aggregate;
  return (
    `CREATE CONTINUOUS QUERY ${id(ALARM_CQ)} ON ${id(cfg.database)} RESAMPLE EVERY ${agg.resampleEvery} FOR ${agg.resampleFor} ` +
    `BEGIN ${alarmCountSelect(cfg)} GROUP BY time(${agg.interval}), * END`
  );
}

/** The SELECT ... INTO of alarmCountQuery, without its GROUP BY (a back-fill adds a WHERE). */
export function alarmCountSelect(cfg: InfluxSettings): string {
  const { raw, aggregate: agg } = cfg.tiers;
  const db = id(cfg.database);
  const counts = ALARM_COUNTED_FIELDS.map((f) => `count(${id(f)}) AS ${id(`count_${f}`)}`).join(', ');
  return `SELECT ${counts} INTO ${db}.${id(agg.name)}."alarm" FROM ${db}.${id(raw.name)}."alarm"`;
}

/**
 * The HV set values (stored on change: set-values.ts) also as the last value per interval,
 * last_vset, last_iset, ...: what was in force at the interval's end, which a reader carries
 * over the intervals without a point (fill(previous)); a mean of the few points stored in an
 * interval with a change would mix the old and the new value. Into the same points as the
 * aggregate query's fields (same measurement, tags and times: InfluxDB merges them).
 */
export function heldQuery(cfg: InfluxSettings, heldFields: readonly string[]): string {
  const agg = cfg.tiers.aggregate;
  return (
    `CREATE CONTINUOUS QUERY ${id(HELD_CQ)} ON ${id(cfg.database)} RESAMPLE EVERY ${agg.resampleEvery} FOR ${agg.resampleFor} ` +
    `BEGIN ${heldSelect(cfg, heldFields)} GROUP BY time(${agg.interval}), * END`
  );
}

/** The SELECT ... INTO of heldQuery, without its GROUP BY (a back-fill adds a WHERE). */
export function heldSelect(cfg: InfluxSettings, heldFields: readonly string[]): string {
  const { raw, aggregate: agg } = cfg.tiers;
  const db = id(cfg.database);
  const fields = heldFields.map((f) => `last(${id(f)}) AS ${id(`last_${f}`)}`).join(', ');
  return `SELECT ${fields} INTO ${db}.${id(agg.name)}."hv" FROM ${db}.${id(raw.name)}."hv"`;
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
  /** the HV set values (hvSetValueFields): their last value per interval too (heldQuery) */
  heldFields: readonly string[] = [],
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
  await ensureContinuousQuery(query, database, AGGREGATE_CQ, aggregateQuery(cfg));
  await ensureContinuousQuery(query, database, ALARM_CQ, alarmCountQuery(cfg));
  if (heldFields.length > 0)
    await ensureContinuousQuery(query, database, HELD_CQ, heldQuery(cfg, heldFields));
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
    `a task (2.x) or processing-engine trigger (3.x) writing every ${agg.interval} the mean, min, max ` +
    `and count of every field as mean_<field>, min_<field>, max_<field>, count_<field> into the aggregate bucket ` +
    `(of the measurements ${AGGREGATED_MEASUREMENTS.join(', ')}; of alarm only count_state, count_quality, count_error), ` +
    `and the last of each HV set value as last_<field> (last_vset, last_iset, ...)`
  );
}
