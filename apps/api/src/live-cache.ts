import { subscribeAcked } from '@cicenns/bus';
import { RefusedEntries } from '@cicenns/common';
import { parseHealth, parseReadingBatch, Topics, type Reading, type ServiceHealth } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';

const HEALTH_PREFIX = Topics.healthPrefix;
/** far more than our services; bounds a publisher inventing service names */
const MAX_SERVICES = 64;
const MAX_SERVICE_NAME = 64;

/**
 * The newer reading `next` copied into `held`, the object the cache already keeps, when both have
 * the same keys and fields (the same PMT's next sweep): true if done. Why: at 45,000 HV readings
 * a second a kept reading lives about a second, long enough to be promoted out of V8's young
 * generation and die in the old one, whose garbage then grew by hundreds of MB between full
 * collections. Copied, the parsed reading dies young and the kept one stays where it is.
 * A string equal in content is not reassigned (the held one stays, no new string retained).
 */
function updateInPlace(held: Reading, next: Reading): boolean {
  if ((held.error === undefined) !== (next.error === undefined)) return false;
  if ((held.prevTs === undefined) !== (next.prevTs === undefined)) return false;
  const to = held.fields;
  const from = next.fields;
  let n = 0;
  for (const k in from) {
    if (!Object.hasOwn(to, k)) return false;
    n++;
  }
  let m = 0;
  for (const k in to) if (Object.hasOwn(to, k)) m++;
  if (n !== m) return false;
  for (const k in from) if (to[k] !== from[k]) to[k] = from[k];
  held.ts = next.ts;
  if (held.quality !== next.quality) held.quality = next.quality;
  if (held.source !== next.source) held.source = next.source;
  if (held.error !== next.error) held.error = next.error;
  if (next.prevTs !== undefined) held.prevTs = next.prevTs;
  return true;
}

/**
 * The latest reading of every subject and the latest health of every service, from the bus.
 * What `get` returns is updated in place by the subject's next reading: read it, do not keep it.
 */
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
        if (!prev) of.set(r.id, r);
        else if (prev.ts <= r.ts && !updateInPlace(prev, r)) of.set(r.id, r);
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
