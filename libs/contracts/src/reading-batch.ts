import { z } from 'zod';
import {
  MEASUREMENTS,
  READING_TS_RANGE_MS,
  readingBatchSchema,
  readingSchema,
  type Reading,
} from './reading';

/**
 * A batch checked one reading at a time: readingBatchSchema's envelope (service, seq, an array),
 * then each reading against readingSchema on its own, so a bad reading is refused with its reason
 * and the good ones of the same batch are kept.
 */
export type ParsedReadingBatch =
  | {
      ok: true;
      service: string;
      seq: number;
      /** the readings readingSchema accepts, in batch order, as readingSchema outputs them */
      readings: Reading[];
      /** the readings it refuses: their index in the batch and zod's reason */
      refused: { index: number; reason: string }[];
    }
  /** not a batch at all (not JSON, or the envelope is wrong): nothing in it is usable */
  | { ok: false; reason: string };

/** The envelope of readingBatchSchema, its readings left to readingSchema one by one. */
const envelopeSchema = readingBatchSchema.extend({ readings: z.array(z.unknown()) });

const MEASUREMENT_SET: ReadonlySet<unknown> = new Set(MEASUREMENTS);
const READING_KEYS: ReadonlySet<string> = new Set(readingSchema.keyof().options);

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype; // as JSON.parse makes them (zod outputs these, not null-prototype ones)
}

/**
 * True only for a value readingSchema accepts and outputs unchanged (no key it would strip, no
 * default it would fill), so the value itself can stand for zod's output: no copy, no zod per
 * reading. Anything it is not sure of (extra keys, odd prototypes, a `__proto__` field) is
 * false and goes to readingSchema itself; reading-batch.spec.ts checks both against each other
 * on generated good and bad readings. At 45,000 HV readings a second, zod's per-reading object
 * checks and copies were most of the API's time.
 */
export function isPlainReading(x: unknown): x is Reading {
  if (!isPlainObject(x)) return false;
  for (const k in x) if (!READING_KEYS.has(k)) return false; // zod would strip it: a copy
  if (!MEASUREMENT_SET.has(x.m)) return false;
  if (typeof x.id !== 'string' || typeof x.source !== 'string') return false;
  if (!isReadingTs(x.ts)) return false;
  if ('prevTs' in x && !isReadingTs(x.prevTs)) return false;
  if (x.quality !== 'good' && x.quality !== 'bad') return false;
  if ('error' in x && typeof x.error !== 'string') return false;
  const fields = x.fields;
  if (!isPlainObject(fields)) return false;
  for (const k in fields) {
    if (!Object.hasOwn(fields, k) || k === '__proto__') return false;
    const v = fields[k];
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
    } else if (typeof v !== 'string' && typeof v !== 'boolean') return false;
  }
  return true;
}

function isReadingTs(ts: unknown): boolean {
  return typeof ts === 'number' && ts >= READING_TS_RANGE_MS.min && ts <= READING_TS_RANGE_MS.max;
}

/** The first issue of a zod error as "path: message" (e.g. "ts: Too small"). */
function reasonOf(e: z.ZodError): string {
  const i = e.issues[0];
  return i ? `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}` : 'invalid';
}

/**
 * One already-parsed JSON value as a reading batch: the envelope must be readingBatchSchema's,
 * each reading is judged alone (isPlainReading, else readingSchema). The result is what
 * readingSchema would give reading by reading.
 */
export function checkReadingBatch(json: unknown): ParsedReadingBatch {
  const env = envelopeSchema.safeParse(json);
  if (!env.success) return { ok: false, reason: reasonOf(env.error) };
  const { service, seq, readings: raw } = env.data;
  const readings: Reading[] = [];
  const refused: { index: number; reason: string }[] = [];
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    if (isPlainReading(r)) {
      readings.push(r);
      continue;
    }
    const z = readingSchema.safeParse(r);
    if (z.success) readings.push(z.data);
    else refused.push({ index: i, reason: reasonOf(z.error) });
  }
  return { ok: true, service, seq, readings, refused };
}

/** A message's payload (JSON text) as a reading batch; see checkReadingBatch. */
export function parseReadingBatch(payload: Buffer | string): ParsedReadingBatch {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}` };
  }
  return checkReadingBatch(json);
}
