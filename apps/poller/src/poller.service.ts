import { closeBusClient, connectService, HealthReporter, HistorianSession } from '@cicenns/bus';
import { Topics, type ReadingBatch, type ServiceHealth } from '@cicenns/contracts';
import type { SystemConfig } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import { BoundedPublisher } from './acquisition/bounded-publisher';
import { DevicePoller, type PollResult } from './acquisition/device-poller';
import { noPollerCounters, pollerHealth, type PollerCounters } from './acquisition/health';
import { DeviceRegisters } from './devices/device-registers';
import { HvCommandHandler } from './hv/hv-command-handler';
import { describeLink, ModbusLink } from './links/modbus-link';
import { ModbusSerialTransport, type TransportFactory } from './links/modbus-transport';
import { consoleLogger, type Logger } from './logger';

export interface PollerOptions {
  log?: Logger;
  /** default: modbus-serial */
  transport?: TransportFactory;
  /** where batches go instead of MQTT (benchmarks, tests); no MQTT client and no health then */
  sink?: (batch: ReadingBatch) => void;
  /** false: no poll timers, poll with sweepAll() (benchmarks) */
  timers?: boolean;
  healthPeriodMs?: number;
  /** bound of the MQTT backlog while the broker is away, in messages (one per device poll) */
  maxQueuedBatches?: number;
}

/** A started poller, as startPoller returns it. */
export interface Poller {
  /** Stop polling, finish the transaction in flight, leave "offline" in the retained health. */
  stop(): Promise<void>;
}

/** Start the poller for `config` (its main.ts, the all-in-one demo). */
export async function startPoller(config: SystemConfig, options: PollerOptions = {}): Promise<Poller> {
  const service = new PollerService(config, options);
  await service.start();
  return service;
}

/**
 * The Modbus acquisition service: one ModbusLink (queue + connection) per configured link, one
 * DevicePoller per device, one ReadingBatch published per device poll, health every 2 s
 * (HealthReporter), HV write commands (HvCommandHandler) through the same DeviceRegisters.
 */
export class PollerService implements Poller {
  readonly links = new Map<string, ModbusLink>();
  /** every device with its profile and link; reads and writes a channel's register by name */
  readonly registers: DeviceRegisters;
  readonly devices = new Map<string, DevicePoller>();
  readonly counters: PollerCounters = noPollerCounters();
  private readonly log: Logger;
  private client?: MqttClient;
  private publisher?: BoundedPublisher;
  private reporter?: HealthReporter;
  /** the health when stop() began: what a report during the stop says (links closing are no fault) */
  private healthAtStop?: ServiceHealth;
  private healthSoon?: NodeJS.Timeout;
  private readonly lastDeviceState = new Map<string, 'up' | 'down'>();
  private seq = 0;
  private startedAt = 0;
  private started = false;
  /** set when poller.requireHistorian: polling (and so publishing) waits for its session */
  private historian?: HistorianSession;

  constructor(
    readonly config: SystemConfig,
    private readonly opts: PollerOptions = {},
  ) {
    this.log = opts.log ?? consoleLogger;
    const makeTransport = opts.transport ?? ((l) => new ModbusSerialTransport(l));
    for (const l of config.app.links) {
      this.links.set(l.id, new ModbusLink(l, makeTransport(l), { log: this.log }));
    }
    this.registers = new DeviceRegisters(config, this.links);
    for (const { config: d, profile, link } of this.registers.all()) {
      const poller = new DevicePoller(d, profile, link, config.detector, (r) => this.onPoll(r), this.log);
      this.devices.set(d.id, poller);
    }
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.startedAt = Date.now();
    const app = this.config.app;
    if (!this.opts.sink) {
      const client = connectService(app.mqtt, 'poller', 'poller');
      this.client = client;
      let connected: boolean | undefined;
      client.on('connect', () => {
        if (connected !== true) this.log.log(`mqtt connected to ${app.mqtt.url}`);
        connected = true; // the HealthReporter reports on every connect
      });
      client.on('offline', () => {
        if (connected !== false)
          this.log.warn(`mqtt ${app.mqtt.url} unreachable, polling on (backlog bounded)`);
        connected = false;
      });
      client.on('error', () => undefined); // reconnects by itself; 'offline' logged the outage
      this.publisher = new BoundedPublisher(client, Topics.readings('poller'), {
        maxQueued: this.opts.maxQueuedBatches ?? 5000,
        maxInflight: 100,
        warn: (m) => this.log.warn(m),
      });
      this.reporter = new HealthReporter(
        client,
        'poller',
        () => this.healthSnapshot(),
        this.opts.healthPeriodMs ?? 2000,
      ).start();
      // HV writes from the API: checked against the PMT's limits here too, written, read back
      new HvCommandHandler(this.registers, this.config.detector, client, this.log).attach();
      if (app.poller.requireHistorian)
        this.historian = new HistorianSession(client, app.mqtt.clientIdPrefix).watch();
    }
    const links = [...this.links.values()].map((l) => `${l.id} (${describeLink(l.config)})`);
    this.log.log(
      `${this.devices.size} devices on ${this.links.size} links, publishing to ` +
        `${this.opts.sink ? 'a local sink' : app.mqtt.url}; links: ${links.join(', ')}`,
    );
    if (this.opts.timers === false) return;
    const pollAll = () => {
      for (const d of this.devices.values()) d.start();
    };
    const historian = this.historian;
    if (!historian) return pollAll();
    // Readings published before the historian's session exists are stored by nobody: the
    // broker has no session to queue them for. Polling starts once it exists.
    this.log.log(`waiting for ${historian.waitingFor} before polling`);
    void historian.ready.then(() => {
      if (!this.started) return;
      this.log.log('historian session known: polling');
      pollAll();
      this.reporter?.publish();
    });
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.healthSoon) clearTimeout(this.healthSoon);
    if (this.reporter) this.healthAtStop = this.health();
    await Promise.all([...this.devices.values()].map((d) => d.stop()));
    await Promise.all([...this.links.values()].map((l) => l.stop()));
    const client = this.client;
    if (client) {
      // a clean disconnect sends no last will: the reporter says "offline" (1 s at most)
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([this.reporter?.stop(), new Promise<void>((r) => (timeout = setTimeout(r, 1000)))]);
      clearTimeout(timeout);
      await closeBusClient(client);
    }
    this.log.log('stopped');
  }

  /** Poll every device once now; resolves when all are done (they share their links' queues). */
  async sweepAll(): Promise<PollResult[]> {
    return Promise.all([...this.devices.values()].map((d) => d.pollNow()));
  }

  health(): ServiceHealth {
    this.counters.overruns = [...this.devices.values()].reduce((a, d) => a + d.status.overruns, 0);
    this.counters.publishDropped = this.publisher?.counters.dropped ?? 0;
    const h = pollerHealth(
      [...this.links.values()],
      [...this.devices.values()],
      this.counters,
      this.opts.sink ? true : this.client?.connected === true,
      this.startedAt,
    );
    if (this.client) {
      h.session = this.client.options?.clientId;
      h.connections.mqtt = { state: this.client.connected ? 'up' : 'down', detail: this.config.app.mqtt.url };
    }
    if (this.historian && !this.historian.known) {
      const waitingFor = `not polling: waiting for ${this.historian.waitingFor}`;
      h.connections.historian = { state: 'connecting', detail: waitingFor };
      h.state = 'degraded';
    }
    return h;
  }

  /** What the HealthReporter publishes: health() without service and ts, which it adds itself. */
  private healthSnapshot(): Omit<ServiceHealth, 'service' | 'ts'> {
    const h: Partial<ServiceHealth> = { ...(this.healthAtStop ?? this.health()) };
    delete h.service;
    delete h.ts;
    return h as Omit<ServiceHealth, 'service' | 'ts'>;
  }

  private onPoll(r: PollResult): void {
    // a device going down or up is news: health now, not at the next 2 s tick
    const state = r.ok ? 'up' : 'down';
    if (this.lastDeviceState.get(r.device.id) !== state) {
      this.lastDeviceState.set(r.device.id, state);
      this.healthSoon ??= setTimeout(() => {
        this.healthSoon = undefined;
        this.reporter?.publish();
      }, 100);
    }
    this.counters.polls++;
    if (!r.ok) this.counters.failedPolls++;
    if (!r.readings.length) return;
    for (const x of r.readings) if (x.quality === 'bad') this.counters.badReadings++;
    const batch: ReadingBatch = { service: 'poller', seq: ++this.seq, readings: r.readings };
    if (this.opts.sink) {
      this.opts.sink(batch);
      this.counters.readingsPublished += r.readings.length;
    } else {
      const n = r.readings.length;
      this.publisher?.publish(JSON.stringify(batch), () => (this.counters.readingsPublished += n));
    }
  }
}
