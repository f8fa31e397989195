import { closeBusClient, connectService, type BrokerSettings } from '@cicenns/bus';
import type { MqttClient } from 'mqtt';

/** What reads from the API's bus connection: LiveCache, AlarmCache, IntakeRejects. */
export interface BusFeed {
  /** Subscribe and listen; a promise resolves once the broker has acknowledged the subscriptions. */
  attach(client: MqttClient): Promise<void> | void;
}

/**
 * The API's one bus connection for what it serves from (readings, health, alarm states, intake
 * notices; request/response goes through BusRpc). The API only wants the present: a clean
 * session, nothing queued for it while it is down.
 */
export class ApiBus {
  readonly client: MqttClient;
  private readonly acks: Promise<void>[] = [];

  constructor(mqtt: BrokerSettings) {
    this.client = connectService(mqtt, 'api', 'api', { clean: true });
    this.client.on('error', () => undefined); // state shows in /api/health
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Feed `feed` from this connection; its subscriptions count towards `subscribed()`. */
  feed<T extends BusFeed>(feed: T): T {
    const acked = feed.attach(this.client);
    if (acked) this.acks.push(acked);
    return feed;
  }

  /** Resolves once the broker has acknowledged the subscriptions of every feed so far. */
  subscribed(): Promise<void> {
    return Promise.all(this.acks).then(() => undefined);
  }

  async close(): Promise<void> {
    await closeBusClient(this.client);
  }
}
