import type { SystemConfig } from '@cicenns/model';
import {
  CalibrationFeed,
  closeBusClient,
  connectService,
  HealthReporter,
  HistorianSession,
  instanceSuffix,
  ReadingPublisher,
  serviceInstance,
} from '@cicenns/bus';
import { Topics, type RejectionNotice, type ServiceHealth } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';
import { processFaults, serviceLogger } from '@cicenns/common';
import { BrokerDrops } from './broker-drops';
import { DaqHandler } from './daq-handler';
import { DaqValidator } from './daq-validator';
import { DeadLetterStore } from './dead-letters';
import { IntakeStats } from './intake-stats';
import type { DaqSink } from './daq-connection';

/** At most this many rejection notices per second on the bus; more are counted, not sent. */
const NOTICES_PER_SECOND = 50;

/** Validates each DAQ message, forwards the good readings, counts and logs the rejects. */
export class IntakeService implements DaqSink {
  private readonly log = serviceLogger('intake');
  readonly stats = new IntakeStats();
  private readonly out: MqttClient;
  private readonly publisher: ReadingPublisher;
  private readonly health: HealthReporter;
  private readonly handler: DaqHandler;
  readonly deadLetters: DeadLetterStore;
  readonly brokerDrops = new BrokerDrops();
  /** set when intake.requireHistorian: the DAQ topics wait for the historian's session */
  readonly historian?: HistorianSession;
  /** the DAQ topics are subscribed (SUBACK) */
  isSubscribed = false;
  private markSubscribed!: () => void;
  /** resolves at the first SUBACK of the DAQ topics */
  readonly subscribed = new Promise<void>((r) => (this.markSubscribed = r));
  /** approved calibration records: the gain bound follows the calibration in force */
  readonly calibrations: CalibrationFeed;
  private notices = { second: 0, sent: 0, dropped: 0 };
  private readonly startedAt = Date.now();

  constructor(private readonly cfg: SystemConfig) {
    const { app } = cfg;
    // one of several intakes: its own publisher session and health (intake-<instance>)
    const inst = serviceInstance(app, 'intake');
    this.out = connectService(app.mqtt, instanceSuffix('intake-out', inst), 'intake', {
      instance: inst.instance,
    });
    this.out.on('error', (e) => this.log.warn(`mqtt (publisher): ${e.message}`));
    this.publisher = new ReadingPublisher(
      this.out,
      'intake',
      app.intake.batchMaxReadings,
      app.intake.batchMaxDelayMs,
    );
    this.deadLetters = new DeadLetterStore(app.intake.deadLetterPath, {
      maxRows: app.intake.deadLetterMaxRows,
      payloadBytes: app.intake.deadLetterPayloadBytes,
    });
    this.handler = new DaqHandler({
      validator: new DaqValidator(cfg.detector, app.intake),
      readings: this.publisher,
      stats: this.stats,
      deadLetters: this.deadLetters,
      notify: (n) => this.notify(n),
      warn: (line) => this.log.warn(line),
    });
    this.brokerDrops.watch(this.out);
    this.calibrations = new CalibrationFeed(cfg.detector, { warn: (l) => this.log.warn(l) }).onRecord((r) =>
      this.log.log(`calibration v${r.version} of ${r.pmt} (${r.method}): gain bound from ${r.validFrom}`),
    );
    this.calibrations
      .attach(this.out)
      .catch((e: Error) => this.log.error(`calibration records: ${e.message}`));
    if (app.intake.requireHistorian)
      this.historian = new HistorianSession(this.out, app.mqtt.clientIdPrefix).watch();
    if (app.intake.maxPayloadBytes > app.intake.brokerMaxPacketBytes) {
      this.log.warn(
        `intake.maxPayloadBytes ${app.intake.maxPayloadBytes} is above intake.brokerMaxPacketBytes ` +
          `${app.intake.brokerMaxPacketBytes}: the broker drops such messages before the intake sees them`,
      );
    }
    this.health = new HealthReporter(this.out, 'intake', () => this.snapshot(), 2000, inst.instance).start();
  }

  /** Resolves when the DAQ topics may be subscribed (at once unless intake.requireHistorian). */
  whenHistorianKnown(): Promise<void> {
    return this.historian?.ready ?? Promise.resolve();
  }

  onSubscribed(): void {
    if (!this.isSubscribed) this.log.log(`subscribed to the DAQ topics on ${this.cfg.app.mqtt.url}`);
    this.isSubscribed = true;
    this.markSubscribed();
    this.health.publish();
  }

  handle(topic: string, payload: Buffer | string): void {
    this.handler.handle(topic, payload);
  }

  forward(acked: (err?: Error) => void): void {
    this.publisher.flush(acked);
  }

  private snapshot(): Omit<ServiceHealth, 'service' | 'ts'> {
    const { intake } = this.cfg.app;
    const waiting = this.historian && !this.historian.known;
    const drops = this.brokerDrops;
    return {
      state: this.isSubscribed && this.out.connected ? 'running' : 'degraded',
      startedAt: this.startedAt,
      connections: {
        mqtt: { state: this.out.connected ? 'up' : 'down' },
        daq: waiting
          ? { state: 'connecting', detail: `not subscribed: waiting for ${this.historian!.waitingFor}` }
          : { state: this.isSubscribed ? 'up' : 'connecting' },
      },
      counters: {
        ...this.stats.counters(),
        readingsPublished: this.publisher.published,
        internalErrors: this.handler.internalErrors,
        deadLetters: this.deadLetters.written,
        deadLettersNotKept: this.deadLetters.skipped,
        rejectNoticesDropped: this.notices.dropped,
        unhandledRejections: processFaults.unhandledRejections,
        ...this.calibrations.healthCounters(),
        ...(drops.total !== undefined && {
          brokerDropped: drops.total,
          brokerDroppedSinceStart: drops.sinceStart,
        }),
      },
      rejects: { ...this.stats.rejects },
      rejectedEntries: { ...this.stats.rejectedEntries },
      warnings: { ...this.stats.warnings },
      detail: {
        // what the broker and the intake accept: a DAQ message over brokerMaxPacketBytes is
        // dropped by the broker itself and never counted here (docs/RELIABILITY.md)
        limits: {
          maxPayloadBytes: intake.maxPayloadBytes,
          brokerMaxPacketBytes: intake.brokerMaxPacketBytes,
        },
        ...(drops.lastIncreaseAt !== undefined && { brokerDropsLastIncreaseAt: drops.lastIncreaseAt }),
        ...(waiting && { waitingFor: this.historian!.waitingFor }),
      },
    };
  }

  /** Bounded summaries of refused messages for experts (API: GET /api/intake/rejects). */
  private notify(n: RejectionNotice): void {
    const second = Math.floor(n.ts / 1000);
    if (second !== this.notices.second) this.notices = { ...this.notices, second, sent: 0 };
    if (this.notices.sent >= NOTICES_PER_SECOND || !this.out.connected) {
      this.notices.dropped++;
      return;
    }
    this.notices.sent++;
    this.out.publish(Topics.intakeRejects, JSON.stringify(n), { qos: 0 });
  }

  /** Retired for good: no retained health left behind, the publisher disconnected. */
  async retire(): Promise<void> {
    this.publisher.flush();
    await this.health.clear();
    await closeBusClient(this.out);
    this.deadLetters.close();
  }

  /** Flush, say offline, disconnect (after the DAQ connection has closed). */
  async stop(): Promise<void> {
    this.publisher.flush();
    await this.health.stop();
    await closeBusClient(this.out);
    this.deadLetters.close();
  }
}
