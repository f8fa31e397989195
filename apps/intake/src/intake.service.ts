import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { SYSTEM_CONFIG, type SystemConfig } from '@cicenns/model';
import { connectBus, HealthReporter, ReadingPublisher } from '@cicenns/bus';
import type { MqttClient } from 'mqtt';
import { DaqValidator } from './daq-validator';
import { IntakeStats } from './intake-stats';
import { clip } from './daq-text';
import type { DaqSink } from './daq-mqtt.server';

/** Validates each DAQ message, forwards the good readings, counts and logs the rejects. */
@Injectable()
export class IntakeService implements DaqSink, OnApplicationShutdown {
  private readonly log = new Logger('intake');
  private readonly validator: DaqValidator;
  readonly stats = new IntakeStats();
  private readonly out: MqttClient;
  private readonly publisher: ReadingPublisher;
  private readonly health: HealthReporter;
  private lastRejectLog = 0;
  private suppressedRejectLogs = 0;

  constructor(@Inject(SYSTEM_CONFIG) cfg: SystemConfig) {
    const { app } = cfg;
    this.validator = new DaqValidator(cfg.detector, app.intake);
    this.out = connectBus({
      url: app.mqtt.url,
      clientId: `${app.mqtt.clientIdPrefix}-intake-out`,
      service: 'intake',
      username: app.mqtt.username,
      password: app.mqtt.password,
    });
    this.out.on('error', (e) => this.log.warn(`mqtt (publisher): ${e.message}`));
    this.publisher = new ReadingPublisher(
      this.out,
      'intake',
      app.intake.batchMaxReadings,
      app.intake.batchMaxDelayMs,
    );
    this.health = new HealthReporter(this.out, 'intake', () => ({
      state: 'running',
      connections: { mqtt: { state: this.out.connected ? 'up' : 'down' } },
      counters: { ...this.stats.counters(), readingsPublished: this.publisher.published },
      rejects: { ...this.stats.rejects },
      rejectedEntries: { ...this.stats.rejectedEntries },
      warnings: { ...this.stats.warnings },
      lastRejects: this.stats.lastRejects.slice(0, 10),
      lastWarnings: this.stats.lastWarnings.slice(0, 5),
    }));
  }

  /** Report health from now on: called once the DAQ subscriptions are acknowledged. */
  reportHealth(): void {
    this.health.start().publish();
  }

  handle(topic: string, payload: Buffer | string): void {
    this.stats.received++;
    const result = this.validator.validate(topic, payload);
    const problem = this.stats.record(topic, result);
    if (problem) this.logReject(topic, problem);
    if (result.outcome === 'accepted') this.publisher.add(result.readings);
  }

  forward(acked: (err?: Error) => void): void {
    this.publisher.flush(acked);
  }

  /** At most one reject line per second in the log, so a misbehaving publisher cannot flood it. */
  private logReject(topic: string, what: string): void {
    const now = Date.now();
    if (now - this.lastRejectLog < 1000) {
      this.suppressedRejectLogs++;
      return;
    }
    const more = this.suppressedRejectLogs ? ` (+${this.suppressedRejectLogs} more rejects not logged)` : '';
    this.log.warn(`${clip(topic, 120)}: ${what}${more}`);
    this.lastRejectLog = now;
    this.suppressedRejectLogs = 0;
  }

  async onApplicationShutdown(): Promise<void> {
    this.publisher.flush();
    await this.health.stop();
    await this.out.endAsync();
  }
}
