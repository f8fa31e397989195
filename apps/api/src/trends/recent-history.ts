import type { Reading } from '@cicenns/contracts';

export interface RecentHistoryLimits {
  /** how far back a series is kept */
  windowMs: number;
  /** one stored point per series per bucket: the mean of the readings in it */
  bucketMs: number;
  /** series beyond this many are not kept (a publisher inventing subjects cannot grow it) */
  maxSeries: number;
}

/**
 * One series: a ring of fixed buckets (epoch-aligned), each a sum and a count. Slot i holds the
 * bucket b ≡ i (mod slots) in (newest - slots, newest]: no bucket number per slot (which was 8
 * of the 20 bytes a slot took); the slots a newer bucket skips over are emptied as it comes.
 */
interface Ring {
  /** the newest bucket number (floor(ts / bucketMs)) written; -1: none yet */
  newest: number;
  sum: Float64Array;
  /** 0: the slot holds nothing */
  count: Uint32Array;
}

/** bytes a series takes, whatever it holds: 8 + 4 per slot */
const BYTES_PER_SLOT = 12;

/** The fields of one subject that are kept (a Set of names, or every field). */
export interface FieldFilter {
  has(field: string): boolean;
}
const EVERY_FIELD: FieldFilter = { has: () => true };

/**
 * One subject's series, by field; only subjects `fieldsOf` names get one (so bounded by it).
 * `rings` is made with the subject's first series: beyond maxSeries (most of a 45,000-PMT
 * detector) a subject is only its filter, not an empty Map each.
 */
interface Subject {
  fields: FieldFilter;
  rings?: Map<string, Ring>;
}

/**
 * Recent history without InfluxDB: per (measurement, subject, field) the mean of each bucket
 * over the last window, in memory. Memory is fixed by the limits: at most maxSeries series of
 * windowMs / bucketMs slots (bytesBound()). Only good readings' numeric fields that `fieldsOf`
 * names are kept (the trends API's whitelist), so nothing it cannot plot takes room.
 *
 * Series are found by measurement, then subject, then field (nested maps): at 45,000 HV readings
 * a second a key string per field and a fresh `fieldsOf` per reading were a third of the API's
 * time, most of it for readings beyond maxSeries.
 */
export class RecentHistory {
  private readonly subjects = new Map<string, Map<string, Subject>>();
  private series = 0;
  private readonly slots: number;
  /** readings' fields not kept because maxSeries was reached */
  dropped = 0;

  constructor(
    private readonly limits: RecentHistoryLimits,
    /** the fields of a subject that are kept; undefined: none (not a subject to keep) */
    private readonly fieldsOf: (m: string, subject: string) => FieldFilter | undefined = () => EVERY_FIELD,
  ) {
    this.slots = Math.max(1, Math.ceil(limits.windowMs / limits.bucketMs));
  }

  get bucketMs(): number {
    return this.limits.bucketMs;
  }

  get seriesCount(): number {
    return this.series;
  }

  /** the most this store can take, in bytes of its arrays */
  bytesBound(): number {
    return this.limits.maxSeries * this.slots * BYTES_PER_SLOT;
  }

  add(readings: readonly Reading[]): void {
    for (const r of readings) {
      if (r.quality !== 'good') continue;
      const subject = this.subject(r.m, r.id);
      if (!subject) continue;
      const fields = r.fields;
      for (const field in fields) {
        const value = fields[field];
        if (typeof value !== 'number') continue;
        let ring = subject.rings?.get(field);
        if (!ring) {
          if (!subject.fields.has(field)) continue;
          ring = this.newRing();
          if (!ring) continue;
          (subject.rings ??= new Map()).set(field, ring);
        }
        this.put(ring, r.ts, value);
      }
    }
  }

  /**
   * The mean per interval over [from, to), buckets aligned to the epoch as InfluxDB's
   * GROUP BY time() with fill(null): [[start, mean|null], ...]. What is older than the window
   * (before now - windowMs) is not kept: those intervals are null.
   */
  query(
    m: string,
    subject: string,
    field: string,
    range: { from: number; to: number; intervalMs: number },
    now: number,
  ): [number, number | null][] {
    const { to, intervalMs } = range;
    const from = Math.max(range.from, now - this.limits.windowMs);
    const first = Math.floor(range.from / intervalMs) * intervalMs;
    const n = Math.max(0, Math.ceil((to - first) / intervalMs));
    const sums = new Float64Array(n);
    const counts = new Float64Array(n);
    const ring = this.subjects.get(m)?.get(subject)?.rings?.get(field);
    if (ring) {
      const newestSlot = ring.newest % this.slots;
      for (let i = 0; i < this.slots; i++) {
        if (ring.count[i] === 0) continue;
        const ts = (ring.newest - ((newestSlot - i + this.slots) % this.slots)) * this.limits.bucketMs;
        if (ts < from || ts >= to) continue;
        const k = Math.floor((ts - first) / intervalMs);
        sums[k] += ring.sum[i];
        counts[k] += ring.count[i];
      }
    }
    const points: [number, number | null][] = [];
    for (let k = 0; k < n; k++) points.push([first + k * intervalMs, counts[k] ? sums[k] / counts[k] : null]);
    return points;
  }

  /** A subject's entry, made on its first reading if `fieldsOf` keeps any of its fields. */
  private subject(m: string, id: string): Subject | undefined {
    let byId = this.subjects.get(m);
    let s = byId?.get(id);
    if (s) return s;
    const fields = this.fieldsOf(m, id);
    if (!fields) return undefined;
    if (!byId) this.subjects.set(m, (byId = new Map()));
    s = { fields, rings: undefined };
    byId.set(id, s);
    return s;
  }

  private newRing(): Ring | undefined {
    if (this.series >= this.limits.maxSeries) {
      this.dropped++;
      return undefined;
    }
    this.series++;
    return { newest: -1, sum: new Float64Array(this.slots), count: new Uint32Array(this.slots) };
  }

  private put(ring: Ring, ts: number, value: number): void {
    const bucket = Math.floor(ts / this.limits.bucketMs);
    if (bucket < 0) return;
    if (bucket > ring.newest) {
      // empty the slots of the buckets skipped (at most a whole lap): they held a lap ago's
      const from = ring.newest < 0 ? bucket : Math.max(ring.newest + 1, bucket - this.slots + 1);
      for (let b = from; b <= bucket; b++) {
        ring.sum[b % this.slots] = 0;
        ring.count[b % this.slots] = 0;
      }
      ring.newest = bucket;
    } else if (bucket <= ring.newest - this.slots) return; // older than the window the ring holds
    const slot = bucket % this.slots;
    ring.sum[slot] += value;
    ring.count[slot]++;
  }
}
