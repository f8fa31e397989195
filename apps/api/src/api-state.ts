import { connectBus } from '@cicenns/bus';
import type { SystemConfig } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import type { Registry } from 'prom-client';
import { AlarmCache } from './alarms/alarm-cache';
import { IntakeRejects } from './intake-rejects';
import { LiveCache } from './live-cache';
import { buildMetrics } from './metrics';
import { Views } from './views';

/** What the API serves from: a bus connection, the live and alarm caches fed by it, views and metrics. */
export class ApiState {
  readonly cache = new LiveCache();
  readonly alarms = new AlarmCache();
  readonly intakeRejects = new IntakeRejects();
  readonly mqtt: MqttClient;
  readonly views: Views;
  readonly metrics: Registry;
  /** resolves once the broker has acknowledged the live and alarm subscriptions */
  readonly subscribed: Promise<void>;

  constructor(readonly cfg: SystemConfig) {
    const { mqtt } = cfg.app;
    // The API only wants the present: a clean session, nothing queued for it while it is down.
    this.mqtt = connectBus({
      url: mqtt.url,
      clientId: `${mqtt.clientIdPrefix}-api`,
      service: 'api',
      clean: true,
      username: mqtt.username,
      password: mqtt.password,
    });
    this.mqtt.on('error', () => undefined); // state shows in /api/health
    this.intakeRejects.attach(this.mqtt);
    this.subscribed = Promise.all([this.cache.attach(this.mqtt), this.alarms.attach(this.mqtt)]).then(
      () => undefined,
    );
    this.views = new Views(cfg, this.cache);
    this.metrics = buildMetrics(this.cache);
  }

  async close(): Promise<void> {
    await this.mqtt.endAsync();
  }
}
