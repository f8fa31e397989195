import {
  readingBatchSchema,
  readingKey,
  subscribeAcked,
  Topics,
  type Reading,
  type ServiceHealth,
} from '@cicenns/bus';
import type { MqttClient } from 'mqtt';

/** The latest reading of every subject and the latest health of every service, from the bus. */
export class LiveCache {
  private readonly latest = new Map<string, Reading>();
  readonly services = new Map<string, { health: ServiceHealth; receivedAt: number }>();
  private readonly listeners = new Set<(readings: Reading[]) => void>();
  badBatches = 0;

  /** Resolves once the broker has acknowledged the subscriptions. */
  attach(client: MqttClient): Promise<void> {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    return subscribeAcked(client, [Topics.readingsAll, Topics.healthAll]);
  }

  onMessage(topic: string, payload: Buffer): void {
    try {
      if (topic.startsWith('cicenns/sc/health/')) {
        const health = JSON.parse(payload.toString()) as ServiceHealth;
        this.services.set(topic.slice('cicenns/sc/health/'.length), { health, receivedAt: Date.now() });
        return;
      }
      if (!topic.startsWith('cicenns/sc/readings/')) return; // alarm states etc.: other caches
      const batch = readingBatchSchema.parse(JSON.parse(payload.toString()));
      for (const r of batch.readings) {
        const key = readingKey(r);
        const prev = this.latest.get(key);
        if (!prev || prev.ts <= r.ts) this.latest.set(key, r);
      }
      for (const l of this.listeners) l(batch.readings);
    } catch {
      this.badBatches++;
    }
  }

  get(m: Reading['m'], id: string): Reading | undefined {
    return this.latest.get(`${m}/${id}`);
  }

  /** Called with every batch of readings as it arrives (live push to the console). */
  onReadings(listener: (readings: Reading[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
