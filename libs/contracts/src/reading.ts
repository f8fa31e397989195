import { z } from 'zod';

export const MEASUREMENTS = ['hv', 'temperature', 'dcr', 'gain', 'coincidence', 'beam', 'alarm'] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

/** good: a valid value; bad: the source was asked and failed (fields say why). Stale is derived from age. */
export type Quality = 'good' | 'bad' | 'stale';

/**
 * The times a reading may carry: what InfluxDB can store (int64 nanoseconds, 1677..2262). Also
 * within what Date handles (+-8.64e15 ms), so no receiver's toISOString can throw on one.
 */
export const READING_TS_RANGE_MS = { min: -9_223_372_036_854, max: 9_223_372_036_854 } as const;

/**
 * One normalized reading, the unit of data between services and into the historian.
 * `id` is the PMT (hv, dcr, gain), the sensor (temperature), the crystal (coincidence), '' (beam),
 * the alarm id (alarm: one journal event of the alarm service).
 */
export const readingSchema = z.object({
  m: z.enum(MEASUREMENTS),
  id: z.string(),
  /** epoch milliseconds */
  ts: z.number().finite().min(READING_TS_RANGE_MS.min).max(READING_TS_RANGE_MS.max),
  quality: z.enum(['good', 'bad']),
  fields: z.record(z.string(), z.union([z.number().finite(), z.string(), z.boolean()])),
  /** why a bad reading is bad (timeout, exception code, sensor open, ...) */
  error: z.string().optional(),
  /** the device id or 'daq' */
  source: z.string(),
  /**
   * The ts of this channel's previous good reading from the same publisher since its start
   * (the poller sets it on HV readings). A consumer that takes only some of the readings (one of
   * several historians on a shared subscription) tells by it whether it saw the one before.
   */
  prevTs: z.number().finite().min(READING_TS_RANGE_MS.min).max(READING_TS_RANGE_MS.max).optional(),
});
export type Reading = z.infer<typeof readingSchema>;

/**
 * Readings as published, one batch per message on cicenns/sc/readings/<service>. Receivers
 * (historian, alarms, the API's live cache) validate a whole batch with it, once per message.
 */
export const readingBatchSchema = z.object({
  service: z.string(),
  /** per-publisher sequence number, for gap detection */
  seq: z.number().int(),
  readings: z.array(readingSchema),
});
export type ReadingBatch = z.infer<typeof readingBatchSchema>;

/** Influx tag key that identifies each measurement's subject. */
export const ID_TAG: Record<Measurement, string | undefined> = {
  hv: 'pmt',
  dcr: 'pmt',
  gain: 'pmt',
  temperature: 'sensor',
  coincidence: 'crystal',
  beam: undefined,
  alarm: 'alarm',
};

/** Key of the latest-value cache: "dcr/CsI01-A". */
export function readingKey(r: Pick<Reading, 'm' | 'id'>): string {
  return `${r.m}/${r.id}`;
}
