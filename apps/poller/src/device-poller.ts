import type { ConnectionState, Reading } from '@cicenns/bus';
import type { Detector, DeviceConfig, DeviceProfile } from '@cicenns/model';
import { decodeValue, planDevicePoll, type ReadBlock } from '@cicenns/modbus';
import type { CallStats, ModbusLink } from './modbus-link';
import { buildReadings, channelSubject, type ChannelOutcome } from './reading-builder';
import { TransactionError } from './transaction-error';

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
  private timer?: NodeJS.Timeout;
  private running?: Promise<PollResult>;

  constructor(
    readonly device: DeviceConfig,
    readonly profile: DeviceProfile,
    private readonly link: ModbusLink,
    private readonly detector: Detector,
    private readonly onResult: (r: PollResult) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.channels = Array.from({ length: device.channels }, (_, ch) => ch).filter(
      (ch) => channelSubject(detector, device, profile.kind, ch) !== undefined,
    );
    this.blocks = planDevicePoll(profile, device.unitId, this.channels);
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
    const ts = this.now();
    const t0 = performance.now();
    const stats: CallStats = { transactions: 0 };
    const outcomes = new Map<number, ChannelOutcome>(
      this.channels.map((ch) => [ch, { channel: ch, values: {} }]),
    );
    let firstError: string | undefined;
    // after a timeout, the unit's other blocks in this sweep are not asked: a dead device
    // costs one timeout per sweep, not one per block
    const deadUnits = new Map<number, string>();
    for (const block of this.blocks) {
      let error = deadUnits.get(block.unitId);
      if (!error) {
        try {
          const words = await this.link.read(block.unitId, block.table, block.start, block.count, stats);
          for (const it of block.items) {
            const o = outcomes.get(it.channel)!;
            const at = it.address - block.start;
            o.values[it.name] = decodeValue(it.spec, words.slice(at, at + it.count), this.profile.wordOrder);
          }
          continue;
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
          if (err instanceof TransactionError && err.kind === 'timeout') deadUnits.set(block.unitId, error);
        }
      }
      firstError ??= error;
      for (const it of block.items) outcomes.get(it.channel)!.error ??= error;
    }
    const readings = buildReadings(this.device, this.profile, this.detector, [...outcomes.values()], ts);
    this.record(firstError, performance.now() - t0, stats.transactions);
    const result: PollResult = { device: this.device, readings, ok: !firstError, error: firstError };
    this.onResult(result);
    return result;
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
