import type { ConnectionState } from '@cicenns/contracts';
import type { LinkConfig } from '@cicenns/model';
import type { Table } from '@cicenns/modbus';
import { Backoff } from './backoff';
import type { Logger } from '../logger';
import type { ModbusTransport } from './modbus-transport';
import { SerialQueue } from './serial-queue';
import { classifyError, connectFailureReason, TransactionError } from './transaction-error';

export interface LinkCounters {
  transactions: number;
  failures: number;
  timeouts: number;
  reconnects: number;
}

/** Counts the requests one caller's calls put on the wire (retries included). */
export interface CallStats {
  transactions: number;
}

export interface ReadOptions {
  stats?: CallStats;
  precheck?: () => void;
  onError?: (err: unknown) => void;
}

export interface LinkOptions {
  log: Logger;
  /** pause between a failed attempt and its retry */
  retryPauseMs?: number;
  /** consecutive timed-out transactions (after retries) that make us drop and reopen the link */
  maxConsecutiveTimeouts?: number;
  now?: () => number;
}

/**
 * One physical link: its request queue and its connection. Every transaction, reads of every
 * device on the link and later HV writes, goes through the one SerialQueue. The connection is
 * (re)opened lazily by the next transaction once the back-off delay has passed, so all socket
 * activity stays on the queue; during the back-off, transactions fail at once with the reason
 * the link went down (no pile-up of timeouts).
 */
export class ModbusLink {
  state: ConnectionState = 'connecting';
  detail?: string;
  since: number;
  readonly counters: LinkCounters = { transactions: 0, failures: 0, timeouts: 0, reconnects: 0 };
  private readonly queue = new SerialQueue();
  private readonly backoff: Backoff;
  private nextAttemptAt = 0;
  private consecutiveTimeouts = 0;
  private everUp = false;
  private stopped = false;
  private loggedDown?: string;
  private readonly now: () => number;

  constructor(
    readonly config: LinkConfig,
    private readonly transport: ModbusTransport,
    private readonly opts: LinkOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.since = this.now();
    this.backoff = new Backoff(config.backoff.initialMs, config.backoff.maxMs);
    transport.onClose((reason) => void this.markDown(reason));
  }

  get id(): string {
    return this.config.id;
  }

  get queued(): number {
    return this.queue.waiting;
  }

  /**
   * FC3/FC4. A caller may queue all its reads at once (the next request then goes out while
   * the previous reply is decoded) and still decide per read when its turn comes:
   * `precheck` may throw to skip the read, `onError` sees a failure before the next read starts.
   */
  read(
    unitId: number,
    table: Table,
    address: number,
    count: number,
    opts: ReadOptions = {},
  ): Promise<number[]> {
    return this.queue.run(async () => {
      try {
        opts.precheck?.();
        return await this.transact(opts.stats, () =>
          this.transport.read(unitId, table, address, count, this.config.timeoutMs),
        );
      } catch (err) {
        opts.onError?.(err);
        throw err;
      }
    });
  }

  /** FC16. Urgent: an operator's write goes before the reads already queued. */
  write(unitId: number, address: number, values: number[], stats?: CallStats): Promise<void> {
    return this.queue.run(
      () => this.transact(stats, () => this.transport.write(unitId, address, values, this.config.timeoutMs)),
      { urgent: true },
    );
  }

  /** Stop: later transactions fail at once; waits for the one in flight, closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue.run(() => this.transport.close());
    this.setState('down', 'stopped');
  }

  private async transact<T>(stats: CallStats | undefined, op: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      // no await when the link is up: the request must go out before the previous reply's
      // decoding (queued as microtasks) runs, so that decoding overlaps the round trip
      if (this.stopped || this.state !== 'up' || !this.transport.isOpen) await this.ensureOpen();
      this.counters.transactions++;
      if (stats) stats.transactions++;
      try {
        const result = await op();
        this.consecutiveTimeouts = 0;
        return result;
      } catch (raw) {
        const err = classifyError(raw, this.config.timeoutMs);
        if (err.kind === 'timeout') this.counters.timeouts++;
        const retry = attempt < this.config.retries && (err.kind === 'timeout' || err.kind === 'malformed');
        if (!retry) {
          this.counters.failures++;
          if (err.kind === 'link') await this.markDown(err.message.replace(/^link down: /, ''));
          if (
            err.kind === 'timeout' &&
            ++this.consecutiveTimeouts >= (this.opts.maxConsecutiveTimeouts ?? 3)
          ) {
            // nothing on this link answers any more: a half-open TCP connection or a hung
            // gateway only recovers with a new connection
            await this.markDown(`${this.consecutiveTimeouts} transactions timed out in a row`);
          }
          throw err;
        }
        await new Promise((r) => setTimeout(r, this.opts.retryPauseMs ?? 50));
      }
    }
  }

  private async ensureOpen(): Promise<void> {
    if (this.stopped) throw new TransactionError('link', 'link down: poller stopping');
    if (this.state === 'up' && this.transport.isOpen) return;
    if (this.state === 'up') await this.markDown('port not open');
    if (this.now() < this.nextAttemptAt) {
      throw new TransactionError('link', `link down: ${this.detail ?? 'not connected'}`);
    }
    this.setState('connecting', this.detail);
    try {
      await this.transport.open();
    } catch (err) {
      await this.markDown(connectFailureReason(err));
      throw new TransactionError('link', `link down: ${this.detail}`);
    }
    if (this.everUp) this.counters.reconnects++;
    this.everUp = true;
    this.backoff.reset();
    this.consecutiveTimeouts = 0;
    this.setState('up');
  }

  private async markDown(reason: string): Promise<void> {
    if (this.state === 'down') return;
    const delay = this.backoff.next();
    this.nextAttemptAt = this.now() + delay;
    this.setState('down', reason);
    await this.transport.close().catch(() => undefined);
    // one log line per change of reason, not one per failed reconnect attempt
    if (this.loggedDown !== reason) {
      this.loggedDown = reason;
      this.opts.log.warn(`link ${this.id} down: ${reason} (reconnecting with back-off from ${delay} ms)`);
    }
  }

  private setState(state: ConnectionState, detail?: string): void {
    if (state !== this.state) this.since = this.now();
    const wasUp = this.state === 'up';
    this.state = state;
    this.detail = detail;
    if (state === 'up' && !wasUp) {
      this.loggedDown = undefined;
      this.opts.log.log(`link ${this.id} up (${describeLink(this.config)})`);
    }
  }
}

export function describeLink(l: LinkConfig): string {
  if (l.type === 'rtu')
    return `rtu ${l.path} ${l.baudRate} ${l.dataBits}${l.parity[0].toUpperCase()}${l.stopBits}`;
  return `${l.type} ${l.host}:${l.port}`;
}
