import type { Spool, SpoolChunk } from './spool';
import type { WriteOutcome } from './influx-writer';

export interface FlushSettings {
  batchSize: number;
  flushIntervalMs: number;
  /** writes in flight at once (influx.writeConcurrency) */
  writeConcurrency: number;
}

/** What the flusher writes to (the historian's InfluxWriter and its bookkeeping). */
export interface FlushTarget {
  /**
   * The database set up before the first write and again after a failed one (a restarted or
   * new server): true once done; false to back off and try again.
   */
  prepare(): Promise<boolean>;
  /** a chunk's lines, into its retention policy (undefined: the raw tier) */
  write(body: string, rp?: string): Promise<WriteOutcome>;
  /** one write answered (counted whatever its outcome) */
  wrote(chunk: SpoolChunk, outcome: WriteOutcome): void;
}

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 10_000;

/**
 * Moves the spool into InfluxDB: writeConcurrency writers, each claiming the oldest unclaimed
 * rows (Spool.claim), writing them, and settling the outcome; a chunk whose write failed for a
 * reason that may pass (InfluxDB away, 5xx) is retried by its writer with back-off until it is
 * taken, so nothing is lost or skipped, and rows leave the spool in order (Spool.settle). The
 * set-up (database, retention policies, continuous query) runs once, before any write, and is
 * shared by the writers: never two at once, never reordered.
 */
export class Flusher {
  private stopped = false;
  private draining = false;
  private readonly idle = new Set<() => void>();
  private readonly sleeping = new Set<() => void>();
  private ready?: Promise<boolean>;
  private readonly writers: Promise<void>[] = [];
  private backoffMs = BACKOFF_MIN_MS;

  constructor(
    private readonly spool: Spool,
    private readonly target: FlushTarget,
    private readonly settings: FlushSettings,
  ) {}

  start(): this {
    for (let i = 0; i < this.settings.writeConcurrency; i++) this.writers.push(this.writer());
    return this;
  }

  /** New lines in the spool: a full batch wakes one waiting writer (not one backing off). */
  dataArrived(): void {
    if (this.spool.unclaimedLines >= this.settings.batchSize) this.wakeOne();
  }

  /** From now on write what there is at once, not only full batches (stop, retire). */
  drain(): void {
    this.draining = true;
    for (const wake of [...this.idle]) wake();
  }

  /** Stop: the writes in flight finish (their outcomes settled); what is left stays in the spool. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of [...this.sleeping]) wake();
    await Promise.all(this.writers);
  }

  private async writer(): Promise<void> {
    while (!this.stopped) {
      // Write full batches (fewer, larger writes cost InfluxDB much less CPU per point), or what
      // there is once its oldest line has waited flushIntervalMs, or at once when draining.
      const { batchSize, flushIntervalMs, writeConcurrency } = this.settings;
      const backlog = this.spool.unclaimedLines;
      if (backlog < batchSize && !this.draining) {
        const waitMs = backlog === 0 ? flushIntervalMs : flushIntervalMs - this.spool.oldestUnclaimedAgeMs();
        if (waitMs > 0) {
          await this.sleep(waitMs, true);
          continue;
        }
      }
      // While an older chunk is being retried the newer ones written stay in the spool until it
      // is taken: claim no further than a few batches per writer beyond it.
      if (this.spool.outstandingChunks >= 4 * writeConcurrency) {
        await this.sleep(this.backoffMs);
        continue;
      }
      if (!(await this.prepared())) continue;
      const chunk = this.spool.claim(batchSize);
      if (!chunk) {
        // nothing unclaimed (another writer took it): wait for data or stop() instead of
        // spinning (a loop without an await here would hold the event loop for ever)
        await this.sleep(flushIntervalMs, true);
        continue;
      }
      await this.writeUntilSettled(chunk);
    }
  }

  /** Write a claimed chunk until InfluxDB takes it or refuses it for good (or the flusher stops). */
  private async writeUntilSettled(chunk: SpoolChunk): Promise<void> {
    for (;;) {
      const outcome = await this.target.write(chunk.body, chunk.rp);
      this.target.wrote(chunk, outcome);
      if (outcome.ok) {
        this.spool.settle(chunk, { stored: true });
        this.backoffMs = BACKOFF_MIN_MS;
        return;
      }
      if (!outcome.retry) {
        this.spool.settle(chunk, { deadLetter: outcome.message });
        return;
      }
      // set up again before the retry (a restarted server may have lost the database), once
      this.ready = undefined;
      await this.backOff();
      if (this.stopped) return; // still claimed: its rows stay in the spool for the next start
      while (!(await this.prepared())) if (this.stopped) return;
    }
  }

  /** The shared set-up: the first writer to ask runs it, the others wait for its answer. */
  private async prepared(): Promise<boolean> {
    this.ready ??= this.target.prepare();
    if (await this.ready) return true;
    this.ready = undefined;
    await this.backOff();
    return false;
  }

  /** Sleep the back-off, shared by the writers (InfluxDB is most likely away for all), and double it. */
  private async backOff(): Promise<void> {
    const ms = this.backoffMs;
    this.backoffMs = Math.min(ms * 2, BACKOFF_MAX_MS);
    await this.sleep(ms);
  }

  private wakeOne(): void {
    const first = this.idle.values().next();
    if (!first.done) first.value();
  }

  /** Sleep; stop() wakes it, and so do new data and drain() if `idle` (nothing was there to write). */
  private sleep(ms: number, idle = false): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.sleeping.delete(wake);
        this.idle.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleeping.add(wake);
      if (idle) this.idle.add(wake);
    });
  }
}
