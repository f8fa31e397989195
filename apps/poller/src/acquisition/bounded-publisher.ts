/** The part of mqtt.js's client the publisher uses (a fake in unit tests). */
export interface PublishClient {
  readonly connected: boolean;
  publish(topic: string, payload: string, opts: { qos: 1 }, cb: (err?: Error) => void): unknown;
  on(event: 'connect', listener: () => void): unknown;
}

export interface PublisherCounters {
  published: number;
  dropped: number;
  queued: number;
}

/**
 * QoS 1 publishing with a bounded backlog. mqtt.js would queue every publish made while the
 * broker is away, in memory, without limit; a poller that keeps polling through a long broker
 * outage would grow without bound. So we hand mqtt.js at most `maxInflight` unacknowledged
 * messages and keep the rest in our own queue, dropping the oldest beyond `maxQueued`
 * (counted, logged once per outage): the freshest readings matter most.
 */
export class BoundedPublisher {
  readonly counters: PublisherCounters = { published: 0, dropped: 0, queued: 0 };
  private readonly backlog: { payload: string; onAck?: () => void }[] = [];
  private inflight = 0;
  private warned = false;

  constructor(
    private readonly client: PublishClient,
    private readonly topic: string,
    private readonly opts: { maxQueued: number; maxInflight: number; warn: (m: string) => void },
  ) {
    client.on('connect', () => this.drain());
  }

  /** `onAck` runs when the broker has acknowledged this message. */
  publish(payload: string, onAck?: () => void): void {
    this.backlog.push({ payload, onAck });
    if (this.backlog.length > this.opts.maxQueued) {
      this.backlog.shift();
      this.counters.dropped++;
      if (!this.warned) {
        this.warned = true;
        this.opts.warn(
          `MQTT backlog full (${this.opts.maxQueued} messages): dropping the oldest until the broker is back`,
        );
      }
    }
    this.drain();
  }

  get pending(): number {
    return this.backlog.length + this.inflight;
  }

  private drain(): void {
    while (this.client.connected && this.inflight < this.opts.maxInflight && this.backlog.length) {
      const msg = this.backlog.shift()!;
      this.inflight++;
      this.client.publish(this.topic, msg.payload, { qos: 1 }, (err) => {
        this.inflight--;
        if (!err) {
          this.counters.published++;
          msg.onAck?.();
        }
        this.drain();
      });
    }
    this.counters.queued = this.backlog.length;
    if (!this.backlog.length) this.warned = false;
  }
}
