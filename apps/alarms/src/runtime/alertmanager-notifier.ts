/**
 * Keeps Prometheus Alertmanager in step with the alarms: firing alerts for alarms that are
 * raised and in service, re-sent every resendIntervalMs (Alertmanager resolves an alert that is
 * not re-sent within its resolve_timeout), and one last send with endsAt when an alarm clears,
 * is shelved, disabled or suppressed. Sending is asynchronous with back-off: a dead
 * Alertmanager costs counted failures, never a stalled alarm runtime.
 */
import { type BeamSnapshot, type ConnectionState } from '@cicenns/contracts';
import type { AlarmRecord } from './alarm-record';
import { alertLabels, labelKey, toAlert, type AmAlert } from './alertmanager-payload';
import { isNotifiable } from './lifecycle';

export interface NotifierOptions {
  url: string;
  site: string;
  consoleUrl: string;
  resendIntervalMs: number;
  /** first retry delay after a failure; doubles up to maxBackoffMs */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
}

export interface NotifierStats {
  state: ConnectionState;
  detail?: string;
  posts: number;
  alertsSent: number;
  failures: number;
  pending: number;
  firing: number;
}

type Fetch = typeof fetch;

export class AlertmanagerNotifier {
  /** alarm id -> the firing alert Alertmanager holds for it */
  private readonly firing = new Map<string, { key: string; alert: AmAlert }>();
  /** label key -> the latest version to send */
  private readonly pending = new Map<string, AmAlert>();
  private inFlight = false;
  private retryTimer?: NodeJS.Timeout;
  private resendTimer?: NodeJS.Timeout;
  private backoffMs: number;
  private stopped = false;
  readonly stats: NotifierStats = {
    state: 'connecting',
    posts: 0,
    alertsSent: 0,
    failures: 0,
    pending: 0,
    firing: 0,
  };
  /** called after each successful POST (tests and the benchmark measure delivery with it) */
  onDelivered?: (alerts: AmAlert[]) => void;

  constructor(
    private readonly opts: NotifierOptions,
    private readonly records: () => Iterable<AlarmRecord>,
    private readonly beam: () => BeamSnapshot,
    private readonly fetchImpl: Fetch = fetch,
    private readonly now: () => number = Date.now,
  ) {
    this.backoffMs = opts.initialBackoffMs ?? 500;
  }

  start(): this {
    this.resendTimer = setInterval(() => this.resendAll(), this.opts.resendIntervalMs);
    this.resendTimer.unref();
    this.resendAll();
    return this;
  }

  /** Bring Alertmanager's view of this alarm up to date (call after every transition). */
  update(r: AlarmRecord): void {
    this.sync(r);
    this.flushSoon();
  }

  resendAll(): void {
    for (const r of this.records()) this.sync(r);
    this.flushSoon();
  }

  private sync(r: AlarmRecord): void {
    const prev = this.firing.get(r.alarmId);
    if (!isNotifiable(r)) {
      if (prev) this.resolve(r.alarmId, prev.key, prev.alert);
      return;
    }
    const ctx = { site: this.opts.site, consoleUrl: this.opts.consoleUrl, beam: this.beam() };
    const key = labelKey(alertLabels(r, this.opts.site));
    // a severity change is a different alert for Alertmanager: end the old one
    if (prev && prev.key !== key) this.resolve(r.alarmId, prev.key, prev.alert);
    const alert = toAlert(r, ctx);
    this.firing.set(r.alarmId, { key, alert });
    this.pending.set(key, alert);
  }

  private resolve(alarmId: string, key: string, alert: AmAlert): void {
    this.firing.delete(alarmId);
    this.pending.set(key, { ...alert, endsAt: new Date(this.now()).toISOString() });
  }

  private flushSoon(): void {
    this.stats.pending = this.pending.size;
    this.stats.firing = this.firing.size;
    if (!this.inFlight && !this.retryTimer && this.pending.size > 0 && !this.stopped) void this.flush();
  }

  private async flush(): Promise<void> {
    const batch = [...this.pending.entries()];
    this.pending.clear();
    this.inFlight = true;
    try {
      const res = await this.fetchImpl(`${this.opts.url.replace(/\/$/, '')}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch.map(([, a]) => a)),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      this.stats.posts++;
      this.stats.alertsSent += batch.length;
      this.stats.state = 'up';
      this.stats.detail = undefined;
      this.backoffMs = this.opts.initialBackoffMs ?? 500;
      this.onDelivered?.(batch.map(([, a]) => a));
    } catch (err) {
      this.stats.failures++;
      this.stats.state = 'down';
      this.stats.detail = (err as Error).message;
      // keep what failed unless a newer version of the same alert is already waiting
      for (const [key, a] of batch) if (!this.pending.has(key)) this.pending.set(key, a);
      this.scheduleRetry();
    } finally {
      this.inFlight = false;
    }
    if (!this.retryTimer) this.flushSoon();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flushSoon();
    }, this.backoffMs);
    this.retryTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 30_000);
  }

  /** Stop timers; one last attempt to deliver what is pending (e.g. resolutions). */
  async stop(): Promise<void> {
    if (this.resendTimer) clearInterval(this.resendTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stopped = true;
    if (this.pending.size > 0 && !this.inFlight) await this.flush().catch(() => undefined);
  }
}
