import { Topics } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';

/**
 * Mosquitto's own count of the messages it dropped ($SYS/broker/publish/messages/dropped,
 * every sys_interval): a subscriber's queue full at max_queued_messages, or max_queued_bytes.
 * The intake cannot prevent such a loss (it happens in the broker, e.g. a DAQ burst against
 * the default max_queued_messages 1000), but it reports it: in its health, from which the alarm
 * service raises broker-drops. The count is the broker's (all clients); it restarts at 0 with
 * the broker.
 */
export class BrokerDrops {
  /** the broker's count when last reported; undefined until the first report */
  total?: number;
  /** what it was when we first heard it */
  private first?: number;
  /** drops seen while we watched (a broker restart starts again from its new count) */
  sinceStart = 0;
  lastIncreaseAt?: number;

  watch(client: MqttClient): this {
    const subscribe = () => client.subscribe(Topics.brokerDropped, { qos: 0 });
    client.on('connect', subscribe);
    if (client.connected) subscribe();
    client.on('message', (topic, payload) => {
      if (topic === Topics.brokerDropped) this.onReport(payload.toString());
    });
    return this;
  }

  onReport(text: string, now = Date.now()): void {
    const n = Number(text.trim());
    if (!Number.isSafeInteger(n) || n < 0) return;
    if (this.total === undefined || this.first === undefined) {
      this.first = n;
    } else if (n < this.total) {
      this.first = n - this.sinceStart; // the broker restarted: its count began again
    } else if (n > this.total) {
      this.lastIncreaseAt = now;
    }
    this.total = n;
    this.sinceStart = n - this.first;
  }
}
