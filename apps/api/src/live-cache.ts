import { subscribeAcked } from '@cicenns/bus';
import { RefusedEntries } from '@cicenns/common';
import { parseHealth, parseReadingBatch, Topics, type Reading, type ServiceHealth } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';

const HEALTH_PREFIX = Topics.healthPrefix;
/** far more than our services; bounds a publisher inventing service names */
const MAX_SERVICES = 64;
const MAX_SERVICE_NAME = 64;

/** The latest reading of every subject and the latest health of every service, from the bus. */
export class LiveCache {
  /** per measurement, per subject: no key string built per reading (45,000 HV readings a second) */
  private readonly latest = new Map<Reading['m'], Map<string, Reading>>();
  readonly services = new Map<string, { health: ServiceHealth; receivedAt: number }>();
  private readonly listeners = new Set<(readings: Reading[]) => void>();
  /** messages on the readings topics that are no batch (not JSON, wrong envelope): nothing kept */
  badBatches = 0;
  /** readings refused one by one inside good batches (the others of the batch are kept) */
  readonly refused = new RefusedEntries();
  get badReadings(): number {
    return this.refused.total;
  }
  /** by reason (readingSchema's first issue), bounded */
  get badReadingReasons(): ReadonlyMap<string, number> {
    return this.refused.byReason;
  }
  /** the latest refused reading: where and why */
  get lastBadReading() {
    return this.refused.last;
  }
  /** health messages refused: malformed, too large, or one service too many */
  badHealth = 0;

  /** `healthCap`: the largest health report taken (healthReceiveCap of the configuration) */
  constructor(private readonly healthCap?: number) {}

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
      const batch = parseReadingBatch(payload);
      if (!batch.ok) {
        this.badBatches++;
        return;
      }
      this.refused.addAll(topic, batch.refused);
      const readings = batch.readings;
      for (const r of readings) {
        let of = this.latest.get(r.m);
        if (!of) this.latest.set(r.m, (of = new Map()));
        const prev = of.get(r.id);
        if (!prev || prev.ts <= r.ts) of.set(r.id, r);
      }
      if (readings.length) for (const l of this.listeners) l(readings);
    } catch {
      this.badBatches++; // a listener's failure: counted, the next message still handled
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
    const health = parseHealth(payload, this.healthCap);
    const known = this.services.has(name);
    if (!health || name.length > MAX_SERVICE_NAME || (!known && this.services.size >= MAX_SERVICES)) {
      this.badHealth++;
      return;
    }
    this.services.set(name, { health, receivedAt: Date.now() });
  }

  get(m: Reading['m'], id: string): Reading | undefined {
    return this.latest.get(m)?.get(id);
  }

  /** Called with every batch of readings as it arrives (live push to the console). */
  onReadings(listener: (readings: Reading[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
