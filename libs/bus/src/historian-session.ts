import type { MqttClient } from 'mqtt';
import { parseHealth, Topics } from '@cicenns/contracts';

/** The historian's MQTT client id (apps/historian connects with exactly this). */
export function historianClientId(clientIdPrefix: string): string {
  return `${clientIdPrefix}-historian`;
}

/**
 * Tells when the historian's persistent session exists on the broker, i.e. when a reading
 * published now will be kept for the historian even if it is not running: its retained health
 * on cicenns/sc/health/historian names that session. Any state counts, also its last will
 * "offline": the historian publishes health only once connected with its session (and, once
 * issue 8 is in, only after its SUBACK), and the broker keeps the session after it goes away.
 * A report of another session (another clientIdPrefix, a test's leftover) does not count.
 *
 * Before that, a reading that the intake acknowledges to the DAQ or the poller publishes is
 * stored by nobody: on a first start, or with a new historian client id, the broker has no
 * session to queue it for.
 */
export class HistorianSession {
  private resolve!: () => void;
  /** resolves once the session is known to exist */
  readonly ready = new Promise<void>((r) => (this.resolve = r));
  known = false;
  readonly clientId: string;
  private readonly topic = Topics.health('historian');

  constructor(
    private readonly client: MqttClient,
    clientIdPrefix: string,
  ) {
    this.clientId = historianClientId(clientIdPrefix);
  }

  watch(): this {
    const subscribe = () => {
      if (!this.known) this.client.subscribe(this.topic, { qos: 1 });
    };
    this.client.on('connect', subscribe);
    if (this.client.connected) subscribe();
    this.client.on('message', (topic, payload) => {
      if (topic === this.topic && !this.known) this.onHealth(payload);
    });
    return this;
  }

  onHealth(payload: Buffer | string): void {
    const h = parseHealth(payload);
    if (!h || h.session !== this.clientId) return;
    this.known = true;
    this.resolve();
    if (this.client.connected) this.client.unsubscribe(this.topic);
  }

  /** For health: what a service waiting for it is waiting for. */
  get waitingFor(): string {
    return `the historian's persistent session "${this.clientId}" (its retained health on ${this.topic})`;
  }
}
