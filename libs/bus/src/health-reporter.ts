import type { MqttClient } from 'mqtt';
import { encodeHealth, healthName, type ServiceHealth, Topics } from '@cicenns/contracts';

/**
 * Publishes a service's health, retained, every `periodMs` and whenever asked to; one of several
 * instances (`instance`) reports under `<service>-<instance>` with its instance id in the body.
 */
export class HealthReporter {
  private timer?: NodeJS.Timeout;
  private readonly topic: string;

  constructor(
    private readonly client: MqttClient,
    private readonly service: string,
    private readonly snapshot: () => Omit<ServiceHealth, 'service' | 'ts'>,
    private readonly periodMs = 2000,
    private readonly instance = '',
  ) {
    this.topic = Topics.health(healthName(service, instance));
  }

  /** our persistent session's client id, named in every report */
  private get session(): string | undefined {
    return this.client.options?.clientId;
  }

  /** Report from now on: at once if connected, then every period and on every (re)connect. */
  start(): this {
    if (this.timer) return this;
    this.client.on('connect', () => this.publish());
    this.timer = setInterval(() => this.publish(), this.periodMs);
    this.timer.unref();
    this.publish();
    return this;
  }

  publish(): void {
    // nothing before start(): a service starts reporting once it is ready (subscribed)
    if (!this.timer || !this.client.connected) return;
    const h: ServiceHealth = {
      service: this.service,
      ...(this.instance && { instance: this.instance }),
      ts: Date.now(),
      pid: process.pid,
      session: this.session,
      ...this.snapshot(),
    };
    this.client.publish(this.topic, encodeHealth(h), { qos: 1, retain: true });
  }

  /** Stop reporting and remove the retained report: an instance retired for good is not shown. */
  async clear(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.client.connected) return;
    await new Promise<void>((r) => this.client.publish(this.topic, '', { qos: 1, retain: true }, () => r()));
  }

  /** Stop reporting and leave an explicit "offline" (a clean disconnect sends no last will). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.client.connected) return;
    const h: ServiceHealth = {
      service: this.service,
      ...(this.instance && { instance: this.instance }),
      ts: Date.now(),
      state: 'offline',
      session: this.session,
      connections: {},
      counters: {},
    };
    await new Promise<void>((r) =>
      this.client.publish(this.topic, JSON.stringify(h), { qos: 1, retain: true }, () => r()),
    );
  }
}
