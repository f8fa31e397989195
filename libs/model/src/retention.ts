import { z } from 'zod';

/**
 * Retention tiers of the history (docs/DATA.md, "Retention tiers"): raw readings for a while,
 * aggregates per interval (mean, min, max, count) for years. The settings are checked here
 * against what InfluxDB 1.x accepts, so a setting it would refuse stops start-up with the file
 * and path instead of a historian that cannot create its retention policies.
 */

const UNIT_MS = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
/** InfluxQL's duration literal, restricted to whole seconds: 30d, 1h30m, 52w (no fractions, no ms) */
const DURATION = /^(?:\d+[wdhms])+$/;
/** InfluxDB 1.x refuses a retention policy shorter than an hour (0 = forever aside) */
const MIN_RETENTION_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Milliseconds of an InfluxQL duration (`30d`, `1h30m`); 0 for `INF` or a zero duration
 * (InfluxDB's "keep forever"); undefined if InfluxQL would not parse it as one.
 */
export function parseInfluxDuration(s: string): number | undefined {
  if (s === 'INF') return 0;
  if (!DURATION.test(s)) return undefined;
  let ms = 0;
  for (const [, n, unit] of s.matchAll(/(\d+)([wdhms])/g))
    ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A duration for humans: 30d, 2h, 90s (the largest unit that divides it). */
export function formatDuration(ms: number): string {
  if (ms === 0) return 'forever';
  for (const [unit, size] of Object.entries(UNIT_MS)) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const policyName = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]{1,64}$/,
    'letters, digits, "_", "." and "-" only, at most 64 characters (an InfluxDB retention policy name)',
  );

const duration = z.string().superRefine((s, ctx) => {
  const ms = parseInfluxDuration(s);
  if (ms === undefined)
    ctx.addIssue({
      code: 'custom',
      message: `"${s}" is not an InfluxDB duration: whole numbers with units w, d, h, m, s (e.g. 30d, 1h30m), or INF / 0s for forever`,
    });
  else if (ms !== 0 && ms < MIN_RETENTION_MS)
    ctx.addIssue({ code: 'custom', message: `"${s}" is shorter than InfluxDB's minimum retention (1h)` });
});

/** a duration that is not a retention: any positive length (no INF) */
const span = z.string().superRefine((s, ctx) => {
  if (s === 'INF' || !parseInfluxDuration(s))
    ctx.addIssue({
      code: 'custom',
      message: `"${s}" is not a duration: whole numbers with units w, d, h, m, s (e.g. 2d, 12h)`,
    });
});

const interval = z.string().superRefine((s, ctx) => {
  const ms = parseInfluxDuration(s);
  if (ms === undefined || ms === 0 || s === 'INF')
    ctx.addIssue({
      code: 'custom',
      message: `"${s}" is not an interval: a whole number of seconds or more (e.g. 1m, 10s)`,
    });
  else if (DAY_MS % ms !== 0)
    ctx.addIssue({
      code: 'custom',
      message: `"${s}" does not divide a day evenly: aggregate buckets would not line up with hours and days (e.g. 1m, 5m, 1h)`,
    });
});

export const DEFAULT_RAW = { name: 'cicenns_raw', duration: '30d' };
export const DEFAULT_AGGREGATE = { name: 'cicenns_1m', duration: '3650d', interval: '1m' };

/** The older setting influx.retentionPolicy: still read, as the raw tier. */
export const legacyRetentionPolicySchema = z.object({ name: policyName, duration }).strict();

/** Who computes the aggregate tier (influx.tiers.aggregate.computedBy). */
export const AGGREGATORS = ['influxdb', 'historian'] as const;
export type Aggregator = (typeof AGGREGATORS)[number];

/** As written in the file (influx.tiers); resolved by resolveTiers. */
export const tiersSchema = z
  .object({
    /** default DEFAULT_RAW (or the older influx.retentionPolicy) */
    raw: z
      .object({
        name: policyName.default(DEFAULT_RAW.name),
        duration: duration.default(DEFAULT_RAW.duration),
      })
      .strict()
      .optional(),
    aggregate: z
      .object({
        name: policyName.default(DEFAULT_AGGREGATE.name),
        /** default: 10 years, or forever if raw is kept forever */
        duration: duration.optional(),
        interval: interval.default(DEFAULT_AGGREGATE.interval),
        /**
         * The continuous query recomputes this far back each run (InfluxQL RESAMPLE FOR), so a
         * reading that reaches InfluxDB late (the historian's batches, a spool draining) still
         * counts; default: twice the interval.
         */
        resampleFor: span.optional(),
        /** how often the continuous query runs (RESAMPLE EVERY); default: once per interval */
        resampleEvery: interval.optional(),
        /**
         * Who fills the tier: `influxdb`, its continuous queries (1.x only); or `historian`, the
         * single historian as it stores each reading (1.x, 2.x and 3.x alike, no query pass over
         * the raw points: docs/DATA.md "Retention tiers").
         */
        computedBy: z.enum(AGGREGATORS).default('influxdb'),
      })
      .strict()
      .prefault({}),
    /** trends longer than this read the aggregates (so do trends reaching back beyond raw) */
    rawMaxSpan: span.default('2d'),
  })
  .strict();
export type TiersFile = z.infer<typeof tiersSchema>;

export interface RetentionTier {
  name: string;
  /** InfluxQL duration as configured */
  duration: string;
  /** 0: forever */
  durationMs: number;
}

export interface RetentionTiers {
  raw: RetentionTier;
  aggregate: RetentionTier & {
    interval: string;
    intervalMs: number;
    resampleFor: string;
    resampleForMs: number;
    resampleEvery: string;
    computedBy: Aggregator;
  };
  rawMaxSpanMs: number;
}

/** longer of two retentions, 0 being forever */
const longer = (a: number, b: number) => (a === 0 || b === 0 ? 0 : Math.max(a, b));

/**
 * The tiers with defaults filled in and durations in ms; issues (with their path under
 * influx) go to ctx. Called by the influx schema; `legacy` is the older influx.retentionPolicy,
 * which becomes the raw tier.
 */
export function resolveTiers(
  file: TiersFile | undefined,
  legacy: { name: string; duration: string } | undefined,
  ctx: z.RefinementCtx,
): RetentionTiers {
  const t = file ?? tiersSchema.parse({});
  if (legacy && t.raw)
    ctx.addIssue({
      code: 'custom',
      path: ['retentionPolicy'],
      message: 'replaced by influx.tiers.raw: give only influx.tiers.raw (same name and duration)',
    });
  const raw = t.raw ?? legacy ?? DEFAULT_RAW;
  const rawMs = parseInfluxDuration(raw.duration) ?? 0;
  const aggDuration = t.aggregate.duration ?? (rawMs === 0 ? 'INF' : DEFAULT_AGGREGATE.duration);
  const aggMs = parseInfluxDuration(aggDuration) ?? 0;
  const intervalMs = parseInfluxDuration(t.aggregate.interval) ?? 60_000;
  const at = (...p: string[]) => ['tiers', ...p];
  if (t.aggregate.name === raw.name)
    ctx.addIssue({
      code: 'custom',
      path: at('aggregate', 'name'),
      message: `the same policy as the raw tier ("${raw.name}")`,
    });
  if (longer(rawMs, aggMs) !== aggMs)
    ctx.addIssue({
      code: 'custom',
      path: at('aggregate', 'duration'),
      message: `aggregates kept ${formatDuration(aggMs)}, shorter than the raw readings (${formatDuration(rawMs)}): aggregates must last at least as long`,
    });
  const resampleFor = t.aggregate.resampleFor ?? `${(2 * intervalMs) / 1000}s`;
  const forMs = parseInfluxDuration(resampleFor) ?? 0;
  if (t.aggregate.resampleFor !== undefined && (forMs < intervalMs || forMs % intervalMs !== 0))
    ctx.addIssue({
      code: 'custom',
      path: at('aggregate', 'resampleFor'),
      message: `must be a whole number of intervals (${t.aggregate.interval}), at least one`,
    });
  if (rawMs !== 0 && forMs >= rawMs)
    ctx.addIssue({
      code: 'custom',
      path: at('aggregate', 'resampleFor'),
      message: `reaches back ${formatDuration(forMs)}, beyond the raw readings (${formatDuration(rawMs)})`,
    });
  return {
    raw: { name: raw.name, duration: raw.duration, durationMs: rawMs },
    aggregate: {
      name: t.aggregate.name,
      duration: aggDuration,
      durationMs: aggMs,
      interval: t.aggregate.interval,
      intervalMs,
      resampleFor,
      resampleForMs: forMs,
      resampleEvery: t.aggregate.resampleEvery ?? t.aggregate.interval,
      computedBy: t.aggregate.computedBy,
    },
    rawMaxSpanMs: parseInfluxDuration(t.rawMaxSpan) ?? 2 * DAY_MS,
  };
}
