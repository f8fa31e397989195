import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  describeError,
  LagHistogram,
  processFaults,
  RateLimitedLog,
  RefusedEntries,
  serviceLogger,
} from '@cicenns/common';
import {
  CalibrationFeed,
  closeBusClient,
  connectService,
  HealthReporter,
  ReadingPublisher,
} from '@cicenns/bus';
import { alarmInstance, alarmsClientId } from './alarm-instance';
import {
  healthName,
  healthReceiveCap,
  parseHealth,
  parseReadingBatch,
  Topics,
  type ServiceHealth,
} from '@cicenns/contracts';
import { alarmOwnershipOf, SYSTEM_CONFIG, type SystemConfig } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import type { RuleEngine } from '../contracts';
import { MqttAlarmOutputs } from './alarm-outputs';
import { AlarmRuntime } from './alarm-runtime';
import { AlarmStore } from './alarm-store';
import { AlertmanagerNotifier } from './alertmanager-notifier';

export const RULE_ENGINE = 'RULE_ENGINE';
const SERVICE = 'alarms';

/**
 * The alarm service's parts wired together: store, runtime, MQTT outputs, Alertmanager, health.
 * Bus input arrives through the Nest MQTT server (AlarmsController); this connection only
 * publishes.
 */
@Injectable()
export class AlarmsService implements OnApplicationShutdown {
  private readonly log = serviceLogger(SERVICE);
  readonly runtime: AlarmRuntime;
  readonly store: AlarmStore;
  readonly notifier?: AlertmanagerNotifier;
  private readonly out: MqttClient;
  private readonly publisher: ReadingPublisher;
  private readonly health: HealthReporter;
  private readonly startedAt = Date.now();
  /** scaleOut.instance: the alarm partition this process owns ('' = the single alarm service) */
  private readonly instance: string;
  /** health reports up to the poller's with every link and device of the configuration */
  private readonly healthCap: number;
  badMessages = 0;
  /** readings refused one by one inside good batches (health: badReadings, detail.badReadingReasons) */
  readonly refused = new RefusedEntries();
  /** ms from each reading's ts to its evaluation here (health: p50/p99 and the bucket counts) */
  readonly evaluationLag = new LagHistogram();
  /** messages whose handling threw (a bug); see guarded() */
  failedMessages = 0;
  private readonly failureLog = new RateLimitedLog((line) => this.log.error(line));
  /** approved calibration records from the bus: in force for the rules at once */
  readonly calibrations: CalibrationFeed;
  /** resolves once the broker acknowledged the calibration subscription */
  readonly calibrationsSubscribed: Promise<void>;

  constructor(@Inject(SYSTEM_CONFIG) cfg: SystemConfig, @Inject(RULE_ENGINE) engine: RuleEngine) {
    const { app } = cfg;
    // one alarm instance of several (scaleOut.alarmPartitions): its own sessions and health
    const instance = alarmInstance(cfg);
    this.instance = instance;
    this.healthCap = healthReceiveCap(cfg);
    const ownership = alarmOwnershipOf(cfg);
    const owns = (alarmId: string) => ownership.ownerOfAlarm(alarmId) === instance;
    this.out = connectService(app.mqtt, alarmsClientId('alarms-out', cfg), SERVICE, { instance });
    this.out.on('error', (e) => this.log.warn(`mqtt (publisher): ${e.message}`));
    this.publisher = new ReadingPublisher(this.out, SERVICE, 500, 50);
    this.store = new AlarmStore(app.alarms.storePath);
    const url = app.alarms.alertmanagerUrl;
    if (url) {
      this.notifier = new AlertmanagerNotifier(
        {
          url,
          site: app.site,
          consoleUrl: app.alarms.consoleUrl,
          resendIntervalMs: app.alarms.resendIntervalMs,
        },
        () => this.runtime.records(),
        () => this.runtime.beam.snapshot(),
      );
    }
    this.runtime = new AlarmRuntime({
      engine,
      store: this.store,
      sink: new MqttAlarmOutputs(this.out, this.publisher, owns),
      notifier: this.notifier,
      evaluationIntervalMs: app.alarms.evaluationIntervalMs,
    });
    // Started only once assigned: the first tick can already notify (a shelf or delay that
    // fell due while the service was down), and the notifier reads this.runtime.
    this.runtime.start();
    this.notifier?.start();
    this.calibrations = new CalibrationFeed(cfg.detector, { warn: (l) => this.log.warn(l) }).onRecord((r) => {
      engine.calibrationChanged?.(r.pmt);
      this.log.log(
        `calibration v${r.version} of ${r.pmt} (${r.method}${r.run ? `, run ${r.run}` : ''}, by ${r.by}` +
          `${r.approvedBy ? `, approved by ${r.approvedBy}` : ''}) in force from ${r.validFrom}`,
      );
    });
    this.calibrationsSubscribed = this.calibrations.attach(this.out);
    this.health = new HealthReporter(this.out, SERVICE, () => this.healthSnapshot(), undefined, instance);
  }

  /** Report health from now on: called once the subscriptions are acknowledged. */
  reportHealth(): void {
    this.health.start();
  }

  onBatch(topic: string, payload: string): void {
    if (topic === Topics.readings(SERVICE)) return; // our own alarm readings
    this.guarded(topic, () => {
      const batch = parseReadingBatch(payload);
      if (!batch.ok) {
        this.badMessages++;
        return;
      }
      // a bad reading is refused alone (counted by reason); the rest of its batch is judged
      this.refused.addAll(topic, batch.refused);
      this.runtime.onReadings(batch.readings);
      this.evaluationLag.observeAll(batch.readings, Date.now());
    });
  }

  onHealth(topic: string, payload: string): void {
    if (topic === Topics.health(healthName(SERVICE, this.instance)) || payload.length === 0) return;
    this.guarded(topic, () => {
      const h = parseHealth(payload, this.healthCap);
      if (!h) {
        this.badMessages++;
        return;
      }
      this.runtime.onHealth(h);
    });
  }

  /**
   * One bus message's work: whatever it throws is that message's failure, counted and logged
   * (rate-limited), never the service's end. The message is acknowledged like any other.
   */
  private guarded(topic: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.failedMessages++;
      this.failureLog.say(`a message on ${topic.slice(0, 200)} failed: ${describeError(err)}`);
    }
  }

  private healthSnapshot(): Omit<ServiceHealth, 'service' | 'ts'> {
    const am = this.notifier?.stats;
    const counts = this.runtime.countsByState();
    const [lagP50, lagP99] = this.evaluationLag.percentiles([0.5, 0.99]);
    return {
      state: am && am.state === 'down' ? 'degraded' : 'running',
      startedAt: this.startedAt,
      connections: {
        mqtt: { state: this.out.connected ? 'up' : 'down' },
        alertmanager: am ? { state: am.state, detail: am.detail } : { state: 'disabled' },
      },
      counters: {
        alarms: this.runtime.size,
        ...Object.fromEntries(Object.entries(counts).map(([s, n]) => [`state_${s}`, n])),
        ...this.runtime.counters,
        badMessages: this.badMessages,
        badReadings: this.refused.total,
        ...this.calibrations.healthCounters(),
        failedMessages: this.failedMessages,
        unhandledRejections: processFaults.unhandledRejections,
        alertmanagerPosts: am?.posts ?? 0,
        alertmanagerAlertsSent: am?.alertsSent ?? 0,
        alertmanagerFailures: am?.failures ?? 0,
        alertmanagerFiring: am?.firing ?? 0,
        // since start, the upper bound of its bucket (-1 before the first reading)
        evaluationLagP50Ms: lagFigure(lagP50),
        evaluationLagP99Ms: lagFigure(lagP99),
      },
      // cumulative: two reports subtract to the window between them (bench/sustain.ts)
      detail: {
        evaluationLagBuckets: this.evaluationLag.sparse(),
        badReadingReasons: Object.fromEntries(this.refused.byReason),
        lastBadReading: this.refused.last,
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.runtime.stop();
    await this.notifier?.stop();
    this.publisher.flush();
    await this.health.stop();
    await closeBusClient(this.out);
    this.store.close();
  }
}

/** a lag percentile for health (JSON has no Infinity: beyond the last bucket, that bucket's floor) */
function lagFigure(ms: number | undefined): number {
  if (ms === undefined) return -1;
  return Number.isFinite(ms) ? Math.round(ms * 10) / 10 : 2 ** 18;
}
