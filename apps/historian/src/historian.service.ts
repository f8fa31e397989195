import {
  closeBusClient,
  connectService,
  discardSession,
  HealthReporter,
  instanceSession,
  instanceSuffix,
  instanceTopics,
  serviceInstance,
  subscribeAcked,
} from '@cicenns/bus';
import {
  healthName,
  healthReceiveCap,
  parseHealth,
  parseReadingBatch,
  Topics,
  type Reading,
} from '@cicenns/contracts';
import { RateLimitedLog, RefusedEntries, serviceLogger, type RunningService } from '@cicenns/common';
import { ConfigError, type SystemConfig } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import { Flusher } from './flusher';
import { GroupCommit } from './group-commit';
import { InfluxQueryError, InfluxWriter, type WriteOutcome } from './influx-writer';
import { countServiceLines, servicePoint, ServicePointGate } from './health-points';
import { isIntegerField, LineEncoder } from './line-protocol';
import { AggregateTier } from './aggregate-tier';
import type { StoredPoint } from './tier-aggregator';
import { SetValueFilter } from './set-values';
import { Spool, type SpoolChunk } from './spool';
import { hvFieldsOf } from './retention-setup';

/**
 * Subscribes to every normalized reading (cicenns/sc/readings/#), commits it to the spool, and
 * only then acknowledges the broker; a flusher moves the spool into InfluxDB in batches,
 * retrying with back-off while the database is away. The services' health reports go the same
 * way, as points of measurement `service` (health-points.ts), at most one per service per
 * influx.servicePointsMs.
 *
 * One of several historians (scaleOut.instance): `<prefix>-historian-<instance>` under MQTT 5
 * with a session expiry, subscribed to `$share/<group>/cicenns/sc/readings/#` so each batch
 * goes to one historian of the group, with its own spool (influx.spoolPath + `-<instance>`).
 * Every instance stores the health reports: the same point twice is one point in InfluxDB.
 */
export class Historian {
  private readonly log = serviceLogger('historian');
  private readonly spool: Spool;
  private readonly lines: LineEncoder;
  /** HV set values stored on change (undefined: influx.setValuesKeyframeMs 0, every field every reading) */
  private readonly setValues?: SetValueFilter;
  private readonly influx: InfluxWriter;
  private readonly mqtt: MqttClient;
  /** this turn's lines, committed to the spool together; the messages' PUBACKs after that */
  private readonly commits: GroupCommit;
  private readonly health: HealthReporter;
  private influxState: 'up' | 'down' | 'connecting' = 'connecting';
  private influxDetail = '';
  private dbReady = false;
  private setupMessageSaid = false;
  /** who set up the retention tiers: pending, the historian (1.x), or the operator (2.x/3.x) */
  private retentionSetUp: 'pending' | 'historian' | 'operator' = 'pending';
  private readonly flusher: Flusher;
  /** the aggregate tier, when the historian computes it (influx.tiers.aggregate.computedBy) */
  private readonly aggregates?: AggregateTier;
  /** readings refused one by one inside good batches (health: badReadings, detail.badReadingReasons) */
  private readonly refused = new RefusedEntries();
  /** refused batches and readings: a log line at most every 10 s, with the count of the others */
  private readonly refusedLog = new RateLimitedLog((l) => this.log.warn(l), 10_000);
  /** resolves once the broker has acknowledged the subscription: its session holds our readings */
  readonly subscribed: Promise<void>;
  readonly counters = {
    batches: 0,
    readings: 0,
    /** reading lines written to InfluxDB, setValueEdges included (the `service` points are counted apart) */
    written: 0,
    /** points holding a set value up to its change (set-values.ts), spooled */
    setValueEdges: 0,
    /** spool transactions: the batches of one event-loop turn go in one (GroupCommit) */
    spoolCommits: 0,
    servicePointsWritten: 0,
    writes: 0,
    writeFailures: 0,
    badBatches: 0,
    deadLettered: 0,
    /** health reports stored as `service` points, and those refused (malformed, unsafe name, stale) */
    servicePoints: 0,
    badHealth: 0,
    /** figures of health reports left out of their point (not a finite number, unsafe name, over the cap) */
    serviceFieldsSkipped: 0,
  };
  private readonly servicePoints: ServicePointGate;
  /** health reports up to the poller's with every link and device of the configuration */
  private readonly healthCap: number;

  /** `retiring`: this instance is being retired (retire()): it unsubscribes instead */
  constructor(
    private readonly cfg: SystemConfig,
    retiring = false,
  ) {
    const { app } = cfg;
    if (app.influx.tiers.aggregate.computedBy === 'historian' && app.scaleOut.instance)
      throw new ConfigError(
        cfg.file,
        'influx.tiers.aggregate.computedBy',
        `"historian" needs the single historian, not instance ${app.scaleOut.instance} of several: each would see ` +
          `only part of every series (use "influxdb")`,
      );
    this.spool = new Spool(app.influx.spoolPath);
    this.lines = new LineEncoder(cfg.detector);
    this.setValues = SetValueFilter.fromConfig(cfg);
    this.influx = new InfluxWriter(app.influx, hvFieldsOf(cfg.profiles.values()));
    this.flusher = new Flusher(
      this.spool,
      {
        prepare: () => this.prepareDatabase(),
        write: (body, rp) => this.influx.write(body, rp),
        wrote: (chunk, outcome) => this.wrote(chunk, outcome),
      },
      app.influx,
    );
    this.servicePoints = new ServicePointGate(app.influx.servicePointsMs);
    this.healthCap = healthReceiveCap(cfg);
    const inst = serviceInstance(app, 'historian');
    if (app.influx.tiers.aggregate.computedBy === 'historian' && !retiring) {
      this.aggregates = new AggregateTier(app.influx, hvFieldsOf(cfg.profiles.values()), {
        spool: this.spool,
        query: (q) => this.influx.query(q),
        spooled: () => this.flusher.dataArrived(),
        warn: (l) => this.log.warn(l),
        log: (l) => this.log.log(l),
      });
    }
    this.mqtt = connectService(app.mqtt, instanceSuffix('historian', inst), 'historian', {
      instance: inst.instance,
      session: instanceSession(inst),
    });
    this.commits = new GroupCommit(
      this.mqtt,
      (lines) => {
        this.spool.append(lines);
        this.counters.spoolCommits++;
        // a full batch wakes a waiting writer; one backing off from a failed write is not
        // woken, or it would retry on every message during an outage
        this.flusher.dataArrived();
      },
      app.influx.batchSize,
    );
    // mqtt.js sends the PUBACK of a QoS 1 message when this callback is called; GroupCommit
    // holds it until the message's lines are committed
    this.mqtt.handleMessage = (packet, done) => {
      if (packet.cmd !== 'publish') return done();
      if (packet.topic.startsWith(Topics.healthPrefix))
        this.acceptHealth(packet.topic, packet.payload as Buffer);
      else this.accept(packet.topic, packet.payload as Buffer, packet.dup);
      done();
    };
    const topics = instanceTopics([Topics.readingsAll], inst);
    this.subscribed = retiring
      ? new Promise((resolve) =>
          this.mqtt.once('connect', () => this.mqtt.unsubscribe(topics, () => resolve())),
        )
      : subscribeAcked(this.mqtt, topics);
    // QoS 0: a health report is a snapshot, the retained one is the latest; the broker queues
    // none of them for this session while the historian is away (that room is the readings')
    if (!retiring)
      subscribeAcked(this.mqtt, [Topics.healthAll], 0).catch((e: Error) =>
        this.log.warn(`could not subscribe to the services' health: ${e.message}`),
      );
    this.mqtt.on('error', (e) => this.log.warn(`mqtt: ${e.message}`));
    this.health = new HealthReporter(
      this.mqtt,
      'historian',
      () => ({
        state: this.influxState === 'up' ? 'running' : 'degraded',
        connections: {
          mqtt: { state: this.mqtt.connected ? 'up' : 'down' },
          influxdb: { state: this.influxState, detail: this.influxDetail || undefined },
        },
        counters: {
          ...this.counters,
          backlogLines: this.spool.backlogLines,
          deadLetterLines: this.spool.deadLetterLines(),
          badReadings: this.refused.total,
          ...this.aggregates?.counters,
          ...this.aggregates?.aggregator.counters,
        },
        detail: {
          badReadingReasons: Object.fromEntries(this.refused.byReason),
          lastBadReading: this.refused.last,
          backlogOldestMs: this.spool.oldestAgeMs(),
          database: app.influx.database,
          url: app.influx.url,
          tiers: {
            raw: app.influx.tiers.raw.name,
            aggregate: app.influx.tiers.aggregate.name,
            aggregatesBy: app.influx.tiers.aggregate.computedBy,
            setUp: this.retentionSetUp,
          },
        },
      }),
      2000,
      inst.instance,
    );
    // Health is first published once subscribed: a retained historian health message means its
    // persistent session exists and the broker keeps readings for it (the intake relies on it).
    void this.subscribed.then(
      () => this.health.start(),
      () => undefined,
    );
  }

  start(): this {
    if (this.spool.backlogLines > 0)
      this.log.log(`${this.spool.backlogLines} readings in the spool from before`);
    this.flusher.start();
    this.aggregates?.start();
    return this;
  }

  /** `redelivered`: the broker sent this message again (MQTT DUP), it may have been taken already */
  private accept(topic: string, payload: Buffer, redelivered = false): void {
    const batch = parseReadingBatch(payload);
    if (!batch.ok) {
      this.counters.badBatches++;
      this.refusedLog.say(
        `refused a malformed batch on ${topic.slice(0, 200)}: ${batch.reason.slice(0, 300)}`,
      );
      return;
    }
    // a bad reading is refused alone, counted with its reason; the rest of its batch is stored
    this.refused.addAll(topic, batch.refused);
    if (batch.refused.length > 0)
      this.refusedLog.say(
        `refused ${batch.refused.length} of ${batch.refused.length + batch.readings.length} readings on ` +
          `${topic.slice(0, 200)}, the first at index ${batch.refused[0].index}: ${batch.refused[0].reason.slice(0, 300)}`,
      );
    const { readings } = batch;
    const lines: string[] = [];
    for (const r of readings) {
      const stored = this.setValues ? this.setValues.apply(r) : { reading: r };
      if (stored.edge) {
        lines.push(this.lines.encodeFields(r.m, r.id, stored.edge.fields, stored.edge.ts));
        this.counters.setValueEdges++;
        this.aggregates?.add(this.storedPoint(r.m, r.id, stored.edge.fields, stored.edge.ts), redelivered);
      }
      lines.push(this.lines.encode(stored.reading));
      const s = stored.reading;
      this.aggregates?.add(this.storedPoint(s.m, s.id, s.fields, s.ts, s.quality, s.error), redelivered);
    }
    this.commits.add(lines);
    this.counters.batches++;
    this.counters.readings += readings.length;
  }

  /** A stored line's point for the aggregate tier, as LineEncoder wrote it (series, ts rounded, no empty error). */
  private storedPoint(
    m: Reading['m'],
    id: string,
    fields: Reading['fields'],
    ts: number,
    quality?: string,
    error?: string,
  ): StoredPoint {
    const series = this.lines.seriesOf(m, id);
    return {
      m,
      series,
      fields,
      quality,
      error: error || undefined,
      isInt: isIntegerField,
      ts: Math.round(ts),
    };
  }

  /** A service's health report as a `service` point through the spool; a bad one is counted and logged. */
  private acceptHealth(topic: string, payload: Buffer): void {
    if (payload.length === 0) return; // a retained report cleared (a retired instance): nothing to store
    const h = parseHealth(payload, this.healthCap);
    // the topic names the sender: `<service>` or `<service>-<instance>` (healthName)
    const service = topic.slice(Topics.healthPrefix.length);
    const point = h && healthName(h.service, h.instance) === service ? servicePoint(h) : undefined;
    if (!h || !point?.ok) {
      this.counters.badHealth++;
      const why = !h
        ? 'not a health report'
        : point && !point.ok
          ? point.reason
          : `names service ${JSON.stringify(h.service.slice(0, 64))}`;
      // the first ones and then every 100th: a sender repeating a bad report does not flood the log
      if (this.counters.badHealth <= 10 || this.counters.badHealth % 100 === 0)
        this.log.warn(
          `refused the health message on ${topic.slice(0, 200)} (${this.counters.badHealth} so far): ${why}`,
        );
      return;
    }
    if (!this.servicePoints.admit(service, h.state)) return;
    this.commits.add([point.line]);
    this.aggregates?.add(
      { m: 'service', series: point.series, fields: point.values, isInt: floatsOnly, ts: point.ts },
      false,
    );
    this.counters.servicePoints++;
    this.counters.serviceFieldsSkipped += point.skipped;
  }

  /** The database, retention policies and continuous query, before the first write (Flusher). */
  private async prepareDatabase(): Promise<boolean> {
    if (this.dbReady) return true;
    try {
      const setup = await this.influx.ensureDatabase((m) => this.log.warn(m));
      this.retentionSetUp = setup.ok ? 'historian' : 'operator';
      // 2.x/3.x: the tiers are the operator's to set up; said once per start, not per reconnect
      if (!setup.ok && !this.setupMessageSaid) {
        this.log.warn(setup.operatorMustSetUp);
        this.setupMessageSaid = true;
      }
    } catch (e) {
      if (!(e instanceof InfluxQueryError)) {
        this.setInflux('down', (e as Error).message);
        return false;
      }
      // Answered but refused, e.g. InfluxDB 2.x/3.x where the database (bucket + DBRP
      // mapping) is made by an administrator: say so and write anyway.
      this.log.warn(`could not create database/retention policy, writing anyway: ${e.message}`);
    }
    this.dbReady = true;
    return true;
  }

  /** One write's outcome, counted (the Flusher retries or dead-letters it). */
  private wrote(chunk: SpoolChunk, outcome: WriteOutcome): void {
    this.counters.writes++;
    if (outcome.ok) {
      const servicePoints = countServiceLines(chunk.body);
      this.counters.written += chunk.lines - servicePoints;
      this.counters.servicePointsWritten += servicePoints;
      this.setInflux('up', '');
    } else if (outcome.retry) {
      this.counters.writeFailures++;
      this.dbReady = false;
      this.setInflux('down', outcome.message);
    } else {
      this.counters.writeFailures++;
      this.counters.deadLettered += chunk.lines;
      this.log.error(
        `InfluxDB refused ${chunk.lines} lines, kept in the spool's dead_letter table: ${outcome.message}`,
      );
    }
  }

  private setInflux(state: 'up' | 'down', detail: string): void {
    if (state !== this.influxState) {
      this.log[state === 'up' ? 'log' : 'warn'](`InfluxDB ${state}${detail ? `: ${detail}` : ''}`);
      this.influxState = state;
      this.health.publish();
    }
    this.influxDetail = detail;
  }

  /**
   * Disconnect first, keeping the subscription: the broker queues what is published meanwhile
   * for this persistent session (unsubscribing would make it drop all of it until the next
   * start). Then give the flusher a moment to drain; the rest stays in the spool.
   */
  async stop(drainMs = 2000): Promise<void> {
    // the intervals still open are recomputed from raw after the next start (aggregate-tier.ts)
    this.aggregates?.stop();
    await this.health.stop();
    this.commits.flush(); // the PUBACKs go out while connected: the broker does not send those again
    await closeBusClient(this.mqtt);
    this.commits.flush(); // what was handled while closing (its PUBACKs are dropped: sent again)
    this.flusher.drain();
    const until = Date.now() + drainMs;
    while (this.spool.backlogLines > 0 && this.influxState === 'up' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // the writes in flight finish (and are settled) before the spool closes
    await this.flusher.stop();
    this.spool.close();
  }

  /**
   * Retire this instance for good (scale down; constructed with `retiring`): once unsubscribed
   * the broker routes nothing new to it; what its session still holds arrives and is spooled
   * until nothing has come for `quietMs`; then the spool is written to InfluxDB. Only with the
   * spool empty are the session discarded and the retained health removed; otherwise the session stays (unsubscribed: it takes nothing new) and the
   * lines left are returned: run it again once InfluxDB takes them.
   */
  async retire(quietMs: number, drainMs: number): Promise<{ taken: number; left: number }> {
    await this.subscribed;
    for (let seen = -1; seen !== this.counters.batches;) {
      seen = this.counters.batches;
      await new Promise((r) => setTimeout(r, quietMs));
    }
    this.commits.flush();
    this.flusher.drain();
    const until = Date.now() + drainMs;
    while (this.spool.backlogLines > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const left = this.spool.backlogLines;
    if (left === 0) {
      await this.health.clear();
      await closeBusClient(this.mqtt);
      // a clean start under the same id discards the session (MQTT 3.1.1 and 5 alike)
      await discardSession(this.cfg.app.mqtt, this.mqtt.options.clientId!);
    } else {
      await this.health.stop();
      await closeBusClient(this.mqtt);
    }
    this.commits.flush();
    await this.flusher.stop();
    this.spool.close();
    return { taken: this.counters.readings, left };
  }

  get backlog(): number {
    return this.spool.backlogLines;
  }
}

/** A `service` point's figures are floats (health-points.ts). */
const floatsOnly = () => false;

/**
 * Start the historian: resolves once the broker has acknowledged its subscription (a first start
 * has no session before it, so only then does the broker keep readings for it). stop() drains
 * the spool into InfluxDB for up to two seconds; the rest stays in the spool.
 */
export async function startHistorian(cfg: SystemConfig): Promise<RunningService> {
  const historian = new Historian(cfg).start();
  await historian.subscribed;
  return { stop: () => historian.stop() };
}

/**
 * `--retire`: see Historian.retire (docs/DEPLOY-SCALE.md "Scaling down"), for one instance of
 * several or the single historian when moving to several; run it with the service stopped.
 */
export async function retireHistorian(cfg: SystemConfig, quietMs = 3000, drainMs = 120_000) {
  return new Historian(cfg, true).start().retire(quietMs, drainMs);
}
