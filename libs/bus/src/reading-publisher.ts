import type { MqttClient } from 'mqtt';
import type { Reading, ReadingBatch } from './reading';
import { Topics } from './topics';

/**
 * Collects readings and publishes them as one ReadingBatch per `maxReadings` or `maxDelayMs`,
 * whichever comes first, on cicenns/sc/readings/<service> at QoS 1. Batching keeps the
 * broker's message rate, not the reading rate, as the limit of the internal bus.
 */
export class ReadingPublisher {
  private pending: Reading[] = [];
  private timer?: NodeJS.Timeout;
  private seq = 0;
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

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0) {
      const readings = this.pending.splice(0, this.maxReadings);
      const batch: ReadingBatch = { service: this.service, seq: ++this.seq, readings };
      // mqtt.js keeps QoS 1 messages in its outgoing store until PUBACK, also across reconnects.
      this.client.publish(Topics.readings(this.service), JSON.stringify(batch), { qos: 1 });
      this.published += readings.length;
    }
  }

  get pendingCount(): number {
    return this.pending.length;
  }
}
