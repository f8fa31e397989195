import type { ConnectionState, Reading } from '@cicenns/contracts';
import type { Detector, DeviceConfig, DeviceProfile } from '@cicenns/model';
import { decodeValue, planDevicePoll, type ReadBlock } from '@cicenns/modbus';
import { Backoff } from '../links/backoff';
import type { Logger } from '../logger';
import type { CallStats, ModbusLink } from '../links/modbus-link';
import { buildReadings, channelSubjects, type ChannelOutcome } from './reading-builder';
import { TransactionError } from '../links/transaction-error';

export interface DeviceStatus {
  state: ConnectionState;
  since: number;
  lastError?: string;
  polls: number;
  failedPolls: number;
  overruns: number;
  lastPollAt?: number;
  lastSweepMs?: number;
  lastTransactions?: number;
}

export interface PollResult {
  device: DeviceConfig;
  readings: Reading[];
  ok: boolean;
  error?: string;
}

/**
 * Polls one device on its own period: reads the planned blocks through the link's queue,
 * decodes them and builds the readings. A tick that finds the previous poll still running is
 * skipped and counted as an overrun rather than queued behind it.
 */
export class DevicePoller {
  readonly status: DeviceStatus;
  /** channels that feed a PMT or sensor: spare channels cost transactions and give no reading */
  readonly channels: number[];
  readonly blocks: ReadBlock[];
  /** the PMT or sensor of each of those channels, looked up once */
  private readonly subjects: ReadonlyMap<number, string>;
  /** per block, per item: the index in `channels` of the item's channel (its outcome in a poll) */
  private readonly slots: number[][];
  private timer?: NodeJS.Timeout;
  private running?: Promise<PollResult>;
  /**
   * Unit ids that timed out, and when to ask them again. A silent device would otherwise cost a
   * full timeout (times retries) every period on a link it shares with healthy devices, and
   * starve them; so it is asked again after a growing back-off, and until then its channels
   * are published as bad with the same reason without asking.
   */
  private readonly silent = new Map<number, { until: number; error: string; backoff: Backoff }>();
  /** per PMT, the ts of its last good HV reading: each next one carries it as prevTs (Reading) */
  private readonly lastGoodTs = new Map<string, number>();

  constructor(
    readonly device: DeviceConfig,
    readonly profile: DeviceProfile,
    private readonly link: ModbusLink,
    private readonly detector: Detector,
    private readonly onResult: (r: PollResult) => void = () => undefined,
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.subjects = channelSubjects(detector, device, profile.kind);
    this.channels = [...this.subjects.keys()];
    this.blocks = planDevicePoll(profile, device.unitId, this.channels);
    this.slots = this.blocks.map((b) => b.items.map((it) => this.channels.indexOf(it.channel)));
    this.status = {
      state: this.channels.length ? 'connecting' : 'disabled',
      since: now(),
      polls: 0,
      failedPolls: 0,
      overruns: 0,
      lastError: this.channels.length ? undefined : 'no channel of this device is mapped in the detector',
    };
  }

  start(): void {
    if (!this.channels.length || this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.device.pollMs);
  }

  /** Stop the timer and wait for a poll in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private tick(): void {
    if (this.running) {
      this.status.overruns++;
      return;
    }
    void this.pollNow();
  }

  /** Poll now (or join the poll in progress). Never rejects: failures become bad readings. */
  pollNow(): Promise<PollResult> {
    this.running ??= this.poll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async poll(): Promise<PollResult> {
    const t0 = performance.now();
    const stats: CallStats = { transactions: 0 };
    const outcomes: ChannelOutcome[] = this.channels.map((ch) => ({ channel: ch, values: {} }));
    // all blocks queued at once: the link sends the next request while this one is decoded
    const errors = await Promise.all(
      this.blocks.map((b, i) => this.readBlock(b, this.slots[i], outcomes, stats)),
    );
    let firstError: string | undefined;
    errors.forEach((error, i) => {
      if (!error) return;
      firstError ??= error;
      for (const slot of this.slots[i]) outcomes[slot].error ??= error;
    });
    // the time the values were known (after a timeout, the time we gave up)
    const ts = this.now();
    const readings = buildReadings(this.device, this.profile, this.detector, outcomes, ts, this.subjects);
    if (this.profile.kind === 'hv') this.stampPrevTs(readings);
    this.record(firstError, performance.now() - t0, stats.transactions);
    const result: PollResult = { device: this.device, readings, ok: !firstError, error: firstError };
    this.onResult(result);
    return result;
  }

  /**
   * A historian that takes only some of the readings (several on a shared subscription) stores
   * a set value only on change, which is right only if it saw the channel's reading before:
   * prevTs tells it (apps/historian/src/set-values.ts).
   */
  private stampPrevTs(readings: Reading[]): void {
    for (const r of readings) {
      if (r.quality !== 'good') continue;
      const prev = this.lastGoodTs.get(r.id);
      if (prev !== undefined) r.prevTs = prev;
      this.lastGoodTs.set(r.id, r.ts);
    }
  }

  /** Read and decode one block into the channels' outcomes; the reason when it failed. */
  private async readBlock(
    block: ReadBlock,
    slots: readonly number[],
    outcomes: ChannelOutcome[],
    stats: CallStats,
  ): Promise<string | undefined> {
    try {
      const words = await this.link.read(block.unitId, block.table, block.start, block.count, {
        stats,
        // both run on the link's queue, so a timeout here is seen by this device's next block
        precheck: () => {
          const s = this.silent.get(block.unitId);
          if (s && this.now() < s.until) throw new SkippedRead(s.error);
        },
        onError: (err) => this.onReadError(block.unitId, err),
      });
      for (let k = 0; k < block.items.length; k++) {
        const it = block.items[k];
        const v = decodeValue(it.spec, words, this.profile.wordOrder, it.address - block.start);
        outcomes[slots[k]].values[it.name] = v;
      }
      if (this.silent.delete(block.unitId)) {
        this.log?.log(`device ${this.device.id} unit ${block.unitId} answers again`);
      }
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private onReadError(unitId: number, err: unknown): void {
    if (!(err instanceof TransactionError) || err.kind !== 'timeout') return;
    const silent = this.silent.get(unitId);
    if (!silent) this.log?.warn(`device ${this.device.id} unit ${unitId} not answering (${err.message})`);
    // asked again after 1, 2, 4, ... poll periods, at most 10
    const s = silent ?? {
      until: 0,
      error: err.message,
      backoff: new Backoff(this.device.pollMs, 10 * this.device.pollMs),
    };
    s.error = err.message;
    s.until = this.now() + s.backoff.next();
    this.silent.set(unitId, s);
  }

  private record(error: string | undefined, ms: number, transactions: number): void {
    const s = this.status;
    const state: ConnectionState = error ? 'down' : 'up';
    if (state !== s.state) s.since = this.now();
    s.state = state;
    s.lastError = error;
    s.polls++;
    if (error) s.failedPolls++;
    s.lastPollAt = this.now();
    s.lastSweepMs = Math.round(ms * 100) / 100;
    s.lastTransactions = transactions;
  }
}

/** A read not sent because its unit is in its silence back-off; carries the unit's last error. */
class SkippedRead extends Error {}
