import { RateLimitedLog } from '@cicenns/common';
import type { AppConfigFile } from '@cicenns/model';
import { InfluxQueryError } from './influx-writer';
import { rangeQuery, tierPlan, tierQueries, type HvFields } from './retention-setup';
import type { Spool } from './spool';
import { TierAggregator, type StoredPoint } from './tier-aggregator';

type InfluxSettings = AppConfigFile['influx'];

/** Spool meta key: the earliest interval not yet vouched for (open, or waiting to be recomputed). */
const FROM_KEY = 'aggregateFrom';
/** Intervals a recompute query covers at most (one query per tier query and range). */
const RANGE_INTERVALS = 60;
const SETTLE_MS = 2000;
/** Series of one interval in memory (more: recomputed from raw); 45,000 PMTs are about 100,000. */
const MAX_SERIES = 400_000;
/** Intervals waiting to be recomputed: two days of minutes. */
const MAX_DIRTY = 2880;

/** What the historian gives the aggregate tier. */
export interface AggregateTierDeps {
  spool: Spool;
  query: (q: string) => Promise<unknown>;
  /** new lines in the spool (the flusher may write them) */
  spooled: () => void;
  warn: (line: string) => void;
  log: (line: string) => void;
}

/**
 * The aggregate tier computed by the historian (influx.tiers.aggregate.computedBy: historian):
 * the TierAggregator fed with every stored point, its lines spooled for the aggregate policy
 * once an interval is over, and the intervals memory cannot vouch for recomputed from raw by the
 * tier queries of retention-setup.ts once the spool has written their raw points. The earliest
 * interval not done yet is kept in the spool's file, so the intervals open at a stop or a crash
 * are recomputed after the next start.
 */
export class AggregateTier {
  readonly aggregator: TierAggregator;
  private readonly queries;
  private timer?: NodeJS.Timeout;
  /** ranges waiting for the spool to have written everything they were marked after */
  private readonly waiting: { starts: number[]; mark: number }[] = [];
  private running = false;
  private savedFrom?: number;
  private readonly failLog: RateLimitedLog;
  private readonly doneLog: RateLimitedLog;
  readonly counters = { aggregateIntervalsRecomputed: 0, aggregateRecomputeFailures: 0 };

  constructor(
    private readonly cfg: InfluxSettings,
    hv: HvFields,
    private readonly deps: AggregateTierDeps,
    now = Date.now(),
  ) {
    const agg = cfg.tiers.aggregate;
    this.queries = tierQueries(cfg, hv);
    this.failLog = new RateLimitedLog(deps.warn, 60_000);
    this.doneLog = new RateLimitedLog(deps.log, 60_000);
    this.aggregator = new TierAggregator(
      tierPlan(hv),
      {
        intervalMs: agg.intervalMs,
        resampleForMs: agg.resampleForMs,
        settleMs: SETTLE_MS,
        maxSeries: MAX_SERIES,
        maxDirty: MAX_DIRTY,
      },
      now,
    );
    this.recoverFrom(now);
  }

  /** The intervals of the run before (open or waiting at its end) are recomputed from raw. */
  private recoverFrom(now: number): void {
    const a = this.aggregator;
    const { intervalMs } = this.cfg.tiers.aggregate;
    const saved = Number(this.deps.spool.meta(FROM_KEY));
    // no record: a first start, after the continuous queries; their last run may not have seen
    // the newest readings
    let from =
      Number.isFinite(saved) && saved > 0
        ? saved
        : a.firstOwnInterval - this.cfg.tiers.aggregate.resampleForMs;
    const earliest = a.firstOwnInterval - MAX_DIRTY * intervalMs;
    if (from < earliest) {
      this.deps.warn(
        `aggregate tier: the intervals from ${new Date(from).toISOString()} to ${new Date(earliest).toISOString()} ` +
          `are not recomputed (more than ${MAX_DIRTY} intervals); back-fill them (docs/DATA.md "Retention tiers")`,
      );
      from = earliest;
    }
    for (let s = a.intervalOf(from); s < a.firstOwnInterval; s += intervalMs) a.markDirty(s, now);
  }

  start(): this {
    this.timer = setInterval(() => this.tick(Date.now()), 1000);
    this.timer.unref();
    return this;
  }

  add(p: StoredPoint, redelivered: boolean): void {
    this.aggregator.add(p, Date.now(), redelivered);
  }

  /** Once a second: the intervals over into the spool, the recomputes whose raw points are written. */
  tick(now: number): void {
    const lines = this.aggregator.due(now);
    if (lines.length > 0) {
      this.deps.spool.append(lines, this.cfg.tiers.aggregate.name);
      this.deps.spooled();
    }
    const dirty = this.aggregator.takeDirty(now);
    if (dirty.length > 0) this.waiting.push({ starts: dirty, mark: this.deps.spool.mark() });
    this.saveFrom();
    if (!this.running && this.waiting.length > 0 && this.deps.spool.settledThrough(this.waiting[0]!.mark)) {
      const next = this.waiting.shift()!;
      this.running = true;
      void this.recompute(next.starts).finally(() => (this.running = false));
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.saveFrom();
  }

  /** The earliest interval not done: open in memory, waiting for the spool, or to recompute. */
  private saveFrom(): void {
    const a = this.aggregator;
    let from = a.earliestPending() ?? a.firstOwnInterval;
    for (const w of this.waiting) from = Math.min(from, w.starts[0]!);
    if (from === this.savedFrom) return;
    this.deps.spool.setMeta(FROM_KEY, String(from));
    this.savedFrom = from;
  }

  /** Each tier query over the given intervals (consecutive ones in one range). */
  private async recompute(starts: number[]): Promise<void> {
    const { intervalMs } = this.cfg.tiers.aggregate;
    for (const [from, to] of ranges(starts, intervalMs, RANGE_INTERVALS)) {
      try {
        for (const q of this.queries) await this.deps.query(rangeQuery(this.cfg, q, from, to));
        this.counters.aggregateIntervalsRecomputed += (to - from) / intervalMs;
        this.doneLog.say(
          `aggregate tier: recomputed ${new Date(from).toISOString()}..${new Date(to).toISOString()} from raw ` +
            `(${this.counters.aggregateIntervalsRecomputed} intervals since the start)`,
        );
      } catch (e) {
        if (!(e instanceof InfluxQueryError)) {
          // InfluxDB away: the range waits for the next tick (nothing else is written meanwhile)
          this.waiting.unshift({ starts: starts.filter((s) => s >= from), mark: 0 });
          return;
        }
        // refused (InfluxDB 2.x/3.x take no SELECT ... INTO): the range stays as memory left it
        this.counters.aggregateRecomputeFailures++;
        this.failLog.say(
          `aggregate tier: could not recompute ${new Date(from).toISOString()}..${new Date(to).toISOString()} ` +
            `from raw: ${e.message.slice(0, 300)}`,
        );
      }
    }
  }
}

/** Consecutive interval starts as [from, to) ranges of at most `most` intervals. */
export function ranges(starts: number[], intervalMs: number, most: number): [number, number][] {
  const out: [number, number][] = [];
  for (const s of starts) {
    const last = out[out.length - 1];
    if (last && last[1] === s && (last[1] - last[0]) / intervalMs < most) last[1] = s + intervalMs;
    else out.push([s, s + intervalMs]);
  }
  return out;
}
