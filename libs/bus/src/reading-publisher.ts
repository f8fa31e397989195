import type { MqttClient } from 'mqtt';
import { type Reading, type ReadingBatch, Topics } from '@cicenns/contracts';

/** Called once the broker has acknowledged every reading added before the flush (or failed). */
export type AckedCallback = (err?: Error) => void;

/**
 * Collects readings and publishes them as one ReadingBatch per `maxReadings` or `maxDelayMs`,
 * whichever comes first, on cicenns/sc/readings/<service> at QoS 1. Batching keeps the
 * broker's message rate, not the reading rate, as the limit of the internal bus.
 */
export class ReadingPublisher {
  private pending: Reading[] = [];
  private timer?: NodeJS.Timeout;
  private seq = 0;
  /** batches published but not yet acknowledged by the broker, by seq */
  private readonly unacked = new Set<number>();
  private readonly waiters: { upTo: number; cb: AckedCallback }[] = [];
  private failure?: { seq: number; err: Error };
  published = 0;

  constructor(
    private readonly client: MqttClient,
    private readonly service: string,
    private readonly maxReadings = 1000,
    private readonly maxDelayMs = 50,
  ) {}

  add(readings: Reading[]): void {
    for (const r of readings) this.pending.push(r);
    if (this.pending.length >= this.maxReadings) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.maxDelayMs);
  }

  /** Publish what is pending now; `acked` is told when the broker holds all of it and before. */
  flush(acked?: AckedCallback): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0) {
      const readings = this.pending.splice(0, this.maxReadings);
      const seq = ++this.seq;
      const batch: ReadingBatch = { service: this.service, seq, readings };
      this.unacked.add(seq);
      // mqtt.js keeps QoS 1 messages in its outgoing store until PUBACK, also across reconnects.
      this.client.publish(Topics.readings(this.service), JSON.stringify(batch), { qos: 1 }, (err) =>
        this.onAck(seq, err),
      );
      this.published += readings.length;
    }
    if (acked) {
      this.waiters.push({ upTo: this.seq, cb: acked });
      this.onAck(0);
    }
  }

  private onAck(seq: number, err?: Error): void {
    this.unacked.delete(seq);
    // a failed publish (only when the client is ended) fails every waiter from there on: the
    // caller then does not acknowledge what it received, and the broker delivers it again
    if (err) this.failure = { seq, err };
    let oldest = Infinity;
    for (const s of this.unacked) oldest = Math.min(oldest, s);
    while (this.waiters.length > 0 && this.waiters[0].upTo < oldest) {
      const w = this.waiters.shift()!;
      w.cb(this.failure && w.upTo >= this.failure.seq ? this.failure.err : undefined);
    }
  }

  get pendingCount(): number {
    return this.pending.length;
  }
}
