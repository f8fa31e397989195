import { NAME_MAX, type Detector } from '@cicenns/model';
import { z } from 'zod';

/** What can be plotted: measurement -> field -> unit (DATA.md). Nothing else reaches a query. */
export const TREND_FIELDS = {
  hv: { vmon: 'V', imon: 'uA', vset: 'V', iset: 'uA' },
  temperature: { value_c: 'degC' },
  dcr: { rate_hz: 'Hz' },
  gain: { gain: '' },
  coincidence: { rate_hz: 'Hz' },
} as const;
type TrendMeasurement = keyof typeof TREND_FIELDS;

const SUBJECT_TAG: Record<TrendMeasurement, 'pmt' | 'sensor' | 'crystal'> = {
  hv: 'pmt',
  dcr: 'pmt',
  gain: 'pmt',
  temperature: 'sensor',
  coincidence: 'crystal',
};

const MAX_SPAN_MS = 400 * 24 * 3600_000;

/** epoch ms (digits) or an ISO-8601 date-time */
const instant = z
  .string()
  .max(40)
  .transform((s, ctx) => {
    const ms = /^\d{1,15}$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}T/.test(s) ? Date.parse(s) : NaN;
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO-8601 date-time' });
      return z.NEVER;
    }
    return ms;
  });

export const trendsQuerySchema = z
  .object({
    measurement: z.enum(Object.keys(TREND_FIELDS) as [TrendMeasurement, ...TrendMeasurement[]]),
    field: z.string().max(32),
    subject: z.string().max(NAME_MAX),
    from: instant.optional(),
    to: instant.optional(),
    points: z.coerce.number().int().min(2).max(5000).default(600),
  })
  .strict();
export type TrendsQuery = z.infer<typeof trendsQuerySchema>;

export interface TrendPlan {
  measurement: TrendMeasurement;
  field: string;
  subject: string;
  unit: string;
  from: number;
  to: number;
  intervalMs: number;
  /** the InfluxQL condition on the subject's tag (its value from the detector's inventory) */
  subjectWhere: string;
  /**
   * an HV set value, stored on change and at least this often (influx.setValuesKeyframeMs): read
   * as the last value per interval, reaching back this far, gaps filled with the previous one
   */
  heldMs?: number;
}

/** The fields a subject of a measurement can be plotted by (name -> unit); {} for one that is none. */
export function trendFields(
  measurement: string,
  subject: string,
  hvExtras: (pmtId: string) => Record<string, string> = () => ({}),
): Record<string, string> {
  if (!Object.hasOwn(TREND_FIELDS, measurement)) return {};
  const m = measurement as TrendMeasurement;
  return m === 'hv' ? { ...hvExtras(subject), ...TREND_FIELDS.hv } : TREND_FIELDS[m];
}

/** The detector's id of a measurement's subject (a PMT, sensor or crystal), or undefined. */
export function trendSubject(measurement: string, subject: string, detector: Detector): string | undefined {
  if (!Object.hasOwn(SUBJECT_TAG, measurement)) return undefined;
  const tag = SUBJECT_TAG[measurement as TrendMeasurement];
  return tag === 'pmt'
    ? detector.pmt(subject)?.id
    : tag === 'sensor'
      ? detector.sensor(subject)?.id
      : detector.crystals.find((c) => c.id === subject)?.id;
}

/**
 * Check a trend request against the whitelist and the detector, and plan it (trend-tiers.ts
 * turns the plan into InfluxQL per retention tier). The
 * identifiers come from TREND_FIELDS and the subject from the detector's own inventory, never
 * from the request's text. Returns the plan, or the reason it is a bad request.
 */
export function planTrend(
  q: TrendsQuery,
  detector: Detector,
  now: number,
  /** a PMT's extra HV registers (its profile's, name -> unit): plottable too */
  hvExtras: (pmtId: string) => Record<string, string> = () => ({}),
): TrendPlan | string {
  const fields = trendFields(q.measurement, q.subject, hvExtras);
  const field = Object.keys(fields).find((f) => f === q.field);
  if (!field)
    return `field: "${q.field}" is not a field of ${q.measurement} (one of ${Object.keys(fields).join(', ')})`;
  const tag = SUBJECT_TAG[q.measurement];
  const subject = trendSubject(q.measurement, q.subject, detector);
  if (!subject) return `subject: no ${tag} "${q.subject}" in the detector`;
  const to = q.to ?? now;
  const from = q.from ?? to - 3600_000;
  if (!(from < to)) return 'from: must be before to';
  if (to - from > MAX_SPAN_MS) return 'from: the span may be at most 400 days';
  // GROUP BY time() buckets are aligned to the epoch, so n - 1 intervals can touch n buckets
  const intervalMs = Math.max(1000, Math.ceil((to - from) / (q.points - 1)));
  const subjectWhere = `"${tag}" = '${subject.replace(/['\\]/g, '')}'`;
  return {
    measurement: q.measurement,
    field,
    subject,
    unit: fields[field],
    from,
    to,
    intervalMs,
    subjectWhere,
  };
}

/** [[tsMs, value|null], ...] from an InfluxDB v1 /query answer (epoch=ms). */
export function trendPoints(body: unknown): [number, number | null][] {
  const b = body as { results?: { error?: string; series?: { values?: [number, number | null][] }[] }[] };
  const r = b.results?.[0];
  if (r?.error) throw new Error(r.error);
  return (r?.series?.[0]?.values ?? []).map(([t, v]) => [t, typeof v === 'number' ? v : null]);
}
