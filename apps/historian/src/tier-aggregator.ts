import { escape } from 'influx';
import { BoundedMemo } from '@cicenns/common';
import type { MeasurementPlan } from './retention-setup';

type Value = number | string | boolean;

/** One field's figures over an interval: sum, min, max and count (or the count alone), the last value. */
interface Figures {
  sum: number;
  min: number;
  max: number;
  n: number;
  /** the field is an integer in InfluxDB (min_, max_ and last_ are then integers too) */
  int: boolean;
  /** min_ and max_ of a boolean field (false < true, as InfluxDB 1.x orders them); no mean_ */
  anyFalse?: boolean;
  anyTrue?: boolean;
  /** last_: the value at the latest ts */
  last?: Value;
  lastTs: number;
}

/** One series' interval: its figures by field, and whether they changed since last written. */
interface SeriesInterval {
  figures: Map<string, Figures>;
  changed: boolean;
}

/** An interval held in memory: its series (the line's measurement and tags, escaped), written once closed. */
interface OpenInterval {
  series: Map<string, SeriesInterval>;
  /** written once already (at its end): later only the series that changed */
  written: boolean;
}

export interface AggregatorSettings {
  intervalMs: number;
  /** how long after its start an interval takes readings in memory (resampleFor) */
  resampleForMs: number;
  /** intervals are written this long after they end, for the readings of their last moments */
  settleMs: number;
  /** series per interval held in memory; beyond, the interval is recomputed from raw instead */
  maxSeries: number;
  /** intervals waiting to be recomputed; beyond, the oldest is given up (counted) */
  maxDirty: number;
}

/** A reading's point as stored: measurement, its series (escaped, as in its line), fields, ts. */
export interface StoredPoint {
  m: string;
  series: string;
  fields: Record<string, Value>;
  /** the reading's quality and error, stored as fields beside its values */
  quality?: string;
  error?: string;
  /** which numeric fields are integers (line-protocol.ts: isIntegerField) */
  isInt: (field: string, v: number) => boolean;
  ts: number;
}

/** Why a point was not taken into memory: its interval is recomputed from the stored raw points. */
export type Taken = 'memory' | 'recompute';

/**
 * The aggregate tier as the historian stores (influx.tiers.aggregate.computedBy: historian,
 * docs/DATA.md): for each series and interval the figures tierQueries would have InfluxDB compute
 * (mean_, min_, max_, count_, last_ of the fields of MeasurementPlan), kept from the points the
 * historian stores, and written as aggregate lines once the interval has ended (again at
 * resampleFor if late points changed it). No query pass over the raw points.
 *
 * An interval whose points memory cannot vouch for is recomputed from the raw points instead
 * (the tier query for that interval, once the spool has written them): one begun before this
 * process started, one a point reaches after it was given up (resampleFor after its start),
 * one with a redelivered message (MQTT DUP: its readings may have been counted already), one
 * with more series than maxSeries. Such an interval is not taken in memory any longer.
 */
export class TierAggregator {
  private readonly open = new Map<number, OpenInterval>();
  /** interval start -> not before when it may be recomputed (its resampleFor past) */
  private readonly dirty = new Map<number, number>();
  /** the first interval wholly inside this process's life: those before are recomputed */
  readonly firstOwnInterval: number;
  private readonly keys = new BoundedMemo<string, string>(10_000, (k) => escape.tag(k));
  readonly counters = { aggregateLines: 0, aggregateIntervalsDirty: 0, aggregateIntervalsGivenUp: 0 };

  constructor(
    private readonly plans: ReadonlyMap<string, MeasurementPlan>,
    private readonly s: AggregatorSettings,
    startedAt: number,
  ) {
    this.firstOwnInterval = Math.ceil(startedAt / s.intervalMs) * s.intervalMs;
  }

  /** The start of the interval holding ts. */
  intervalOf(ts: number): number {
    return ts - (((ts % this.s.intervalMs) + this.s.intervalMs) % this.s.intervalMs);
  }

  /** A stored point, at `now`; `redelivered`: its message came again (its interval is recomputed). */
  add(p: StoredPoint, now: number, redelivered = false): Taken {
    const plan = this.plans.get(p.m);
    if (!plan) return 'memory'; // a measurement the tier does not hold
    const start = this.intervalOf(p.ts);
    if (
      redelivered ||
      start < this.firstOwnInterval ||
      now >= start + this.s.resampleForMs ||
      this.dirty.has(start)
    ) {
      this.markDirty(start, now);
      return 'recompute';
    }
    let iv = this.open.get(start);
    if (!iv) this.open.set(start, (iv = { series: new Map(), written: false }));
    let si = iv.series.get(p.series);
    if (!si) {
      if (iv.series.size >= this.s.maxSeries) {
        this.markDirty(start, now);
        return 'recompute';
      }
      iv.series.set(p.series, (si = { figures: new Map(), changed: true }));
    }
    si.changed = true;
    for (const k in p.fields) this.take(plan, si, k, p.fields[k]!, p);
    if (p.quality !== undefined) this.take(plan, si, 'quality', p.quality, p);
    if (p.error !== undefined) this.take(plan, si, 'error', p.error, p);
    return 'memory';
  }

  private take(plan: MeasurementPlan, si: SeriesInterval, k: string, v: Value, p: StoredPoint): void {
    const what = plan.of(k);
    if (what === undefined) return;
    let f = si.figures.get(k);
    if (!f) {
      const int = typeof v === 'number' && p.isInt(k, v);
      si.figures.set(k, (f = { sum: 0, min: Infinity, max: -Infinity, n: 0, int, lastTs: -Infinity }));
    }
    if (what.figures) {
      f.n++;
      if (what.figures === 'stats' && typeof v === 'number') {
        f.sum += v;
        if (v < f.min) f.min = v;
        if (v > f.max) f.max = v;
      } else if (what.figures === 'stats' && typeof v === 'boolean') {
        if (v) f.anyTrue = true;
        else f.anyFalse = true;
      }
    }
    if (what.last && p.ts >= f.lastTs) {
      f.last = v;
      f.lastTs = p.ts;
    }
  }

  /**
   * At `now`: the aggregate lines of the intervals ended (settleMs ago) whose series changed
   * since written; an interval resampleFor past its start is written a last time and let go.
   */
  due(now: number): string[] {
    const lines: string[] = [];
    for (const [start, iv] of this.open) {
      const closesAt = start + this.s.intervalMs + this.s.settleMs;
      const givenUpAt = start + this.s.resampleForMs + this.s.settleMs;
      if (now < closesAt) continue;
      if (!iv.written || now >= givenUpAt)
        for (const [series, si] of iv.series) {
          if (!si.changed) continue;
          si.changed = false;
          const line = this.line(series, si, start);
          if (line) lines.push(line);
        }
      iv.written = true;
      if (now >= givenUpAt) this.open.delete(start);
    }
    this.counters.aggregateLines += lines.length;
    return lines;
  }

  /**
   * The intervals to recompute from raw now (their resampleFor past and settled), oldest
   * first; they leave the list (a point arriving later for one puts it back).
   */
  takeDirty(now: number): number[] {
    const out: number[] = [];
    for (const [start, notBefore] of this.dirty) if (now >= notBefore) out.push(start);
    for (const s of out) this.dirty.delete(s);
    return out.sort((a, b) => a - b);
  }

  /** This interval is to be recomputed from raw (no longer taken in memory), once its resampleFor is past. */
  markDirty(start: number, now: number): void {
    this.open.delete(start);
    if (!this.dirty.has(start)) this.counters.aggregateIntervalsDirty++;
    this.dirty.set(start, Math.max(now, start + this.s.resampleForMs) + this.s.settleMs);
    while (this.dirty.size > this.s.maxDirty) {
      const oldest = [...this.dirty.keys()].reduce((a, b) => Math.min(a, b));
      this.dirty.delete(oldest);
      this.counters.aggregateIntervalsGivenUp++;
    }
  }

  /** The earliest interval open in memory or waiting to be recomputed; undefined: none. */
  earliestPending(): number | undefined {
    let min: number | undefined;
    for (const s of this.open.keys()) if (min === undefined || s < min) min = s;
    for (const s of this.dirty.keys()) if (min === undefined || s < min) min = s;
    return min;
  }

  private line(series: string, si: SeriesInterval, start: number): string | undefined {
    let fields = '';
    const add = (name: string, v: string) => {
      fields += `${fields ? ',' : ''}${this.keys.get(name)}=${v}`;
    };
    for (const [k, f] of si.figures) {
      if (f.last !== undefined) add(`last_${k}`, formatValue(f.last, f.int));
      if (f.n === 0) continue;
      // mean_, min_, max_ of numbers, min_ and max_ of booleans, count_ of anything (strings too)
      if (f.max >= f.min) {
        add(`mean_${k}`, String(f.sum / f.n));
        add(`min_${k}`, f.int ? `${f.min}i` : String(f.min));
        add(`max_${k}`, f.int ? `${f.max}i` : String(f.max));
      } else if (f.anyTrue || f.anyFalse) {
        add(`min_${k}`, String(!f.anyFalse));
        add(`max_${k}`, String(!!f.anyTrue));
      }
      add(`count_${k}`, `${f.n}i`);
    }
    return fields ? `${series} ${fields} ${start}` : undefined;
  }
}

function formatValue(v: Value, int: boolean): string {
  if (typeof v === 'number') return int ? `${v}i` : String(v);
  if (typeof v === 'boolean') return String(v);
  return escape.quoted(v);
}
