import { subscribeAcked } from '@cicenns/bus';
import {
  parseHealth,
  readingBatchSchema,
  readingKey,
  Topics,
  type Reading,
  type ServiceHealth,
} from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';

const HEALTH_PREFIX = Topics.healthPrefix;
/** far more than our services; bounds a publisher inventing service names */
const MAX_SERVICES = 64;
const MAX_SERVICE_NAME = 64;

/** The latest reading of every subject and the latest health of every service, from the bus. */
export class LiveCache {
  private readonly latest = new Map<string, Reading>();
  readonly services = new Map<string, { health: ServiceHealth; receivedAt: number }>();
  private readonly listeners = new Set<(readings: Reading[]) => void>();
  badBatches = 0;
  /** health messages refused: malformed, too large, or one service too many */
  badHealth = 0;

  /** Resolves once the broker has acknowledged the subscriptions. */
  attach(client: MqttClient): Promise<void> {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    return subscribeAcked(client, [Topics.readingsAll, Topics.healthAll]);
  }

  onMessage(topic: string, payload: Buffer): void {
    try {
      if (topic.startsWith(HEALTH_PREFIX)) {
        this.onHealth(topic.slice(HEALTH_PREFIX.length), payload);
        return;
      }
      if (!topic.startsWith(Topics.readingsPrefix)) return; // alarm states etc.: other caches
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

  /**
   * A service's health, checked (serviceHealthSchema, size) before a view relies on it; a bad
   * one is counted and the last good one kept. An empty payload (a retained report cleared)
   * forgets the service. Service names come from the topic: bounded in length and number.
   */
  private onHealth(name: string, payload: Buffer): void {
    if (payload.length === 0) {
      this.services.delete(name);
      return;
    }
    const health = parseHealth(payload);
    const known = this.services.has(name);
    if (!health || name.length > MAX_SERVICE_NAME || (!known && this.services.size >= MAX_SERVICES)) {
      this.badHealth++;
      return;
    }
    this.services.set(name, { health, receivedAt: Date.now() });
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
