import type { MqttClient } from 'mqtt';
import { healthName, parseHealth, Topics, type ServiceHealth } from '@cicenns/contracts';

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
 * With several historians on a shared subscription (scaleOut), any one instance's session is
 * enough: the broker queues each reading for one member of the group, online or not
 * (cicenns/sc/health/historian-<instance>, session `<prefix>-historian-<instance>`).
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
  /** instances report on cicenns/sc/health/historian-<instance> */
  private readonly instancePrefix = Topics.health('historian-');

  constructor(
    private readonly client: MqttClient,
    clientIdPrefix: string,
  ) {
    this.clientId = historianClientId(clientIdPrefix);
  }

  watch(): this {
    // The single historian's topic exactly, and every service's for the instances (their ids
    // are not known here). A broker that refuses the wildcard by ACL (Mosquitto filters at
    // delivery instead) leaves the exact one working: a single historian is found either way.
    const subscribe = () => {
      if (!this.known) this.client.subscribe([this.topic, Topics.healthAll], { qos: 1 });
    };
    this.client.on('connect', subscribe);
    if (this.client.connected) subscribe();
    this.client.on('message', (topic, payload) => {
      if (this.known) return;
      if (topic === this.topic || topic.startsWith(this.instancePrefix)) this.onHealth(payload, topic);
    });
    return this;
  }

  onHealth(payload: Buffer | string, topic = this.topic): void {
    const h = parseHealth(payload);
    if (!h || !this.isOurs(h, topic)) return;
    this.known = true;
    this.resolve();
    if (this.client.connected) this.client.unsubscribe([this.topic, Topics.healthAll]);
  }

  /** the single historian's session, or an instance's reporting under its own name */
  private isOurs(h: ServiceHealth, topic: string): boolean {
    if (h.session === this.clientId) return topic === this.topic;
    return (
      h.service === 'historian' &&
      !!h.instance &&
      h.session === `${this.clientId}-${h.instance}` &&
      topic === Topics.health(healthName('historian', h.instance))
    );
  }

  /** For health: what a service waiting for it is waiting for. */
  get waitingFor(): string {
    return `the historian's persistent session "${this.clientId}" (its retained health on ${this.topic})`;
  }
}
