import { connectBus, HistorianSession } from '@cicenns/bus';
import { encodeHealth, Topics, type ReadingBatch, type ServiceHealth } from '@cicenns/contracts';
import type { SystemConfig } from '@cicenns/model';
import { encodeValue, locate } from '@cicenns/modbus';
import type { MqttClient } from 'mqtt';
import { BoundedPublisher } from './bounded-publisher';
import { DevicePoller, type PollResult } from './device-poller';
import { HvCommandHandler } from './hv-command-handler';
import { pollerHealth, type PollerCounters } from './health';
import { consoleLogger, type Logger } from './logger';
import { describeLink, ModbusLink } from './modbus-link';
import { ModbusSerialTransport, type TransportFactory } from './modbus-transport';

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

/**
 * The Modbus acquisition service: one ModbusLink (queue + connection) per configured link, one
 * DevicePoller per device, one ReadingBatch published per device poll, health every 2 s.
 */
export class PollerService {
  readonly links = new Map<string, ModbusLink>();
  readonly devices = new Map<string, DevicePoller>();
  readonly counters: PollerCounters = {
    polls: 0,
    failedPolls: 0,
    overruns: 0,
    readingsPublished: 0,
    badReadings: 0,
    publishDropped: 0,
  };
  private readonly log: Logger;
  private client?: MqttClient;
  private publisher?: BoundedPublisher;
  private healthTimer?: NodeJS.Timeout;
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
    for (const d of config.app.devices) {
      const profile = config.profiles.get(d.profile);
      const link = this.links.get(d.link);
      // loadSystemConfig has cross-checked both; this guards hand-made configs
      if (!profile || !link) throw new Error(`device ${d.id}: unknown profile or link`);
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
      const client = connectBus({
        url: app.mqtt.url,
        clientId: `${app.mqtt.clientIdPrefix}-poller`,
        service: 'poller',
        username: app.mqtt.username,
        password: app.mqtt.password,
      });
      this.client = client;
      let connected: boolean | undefined;
      client.on('connect', () => {
        if (connected !== true) this.log.log(`mqtt connected to ${app.mqtt.url}`);
        connected = true;
        this.publishHealth();
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
      this.healthTimer = setInterval(() => this.publishHealth(), this.opts.healthPeriodMs ?? 2000);
      // HV writes from the API: checked against the PMT's limits here too, written, read back
      new HvCommandHandler(this, client, this.log).attach();
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
      this.publishHealth();
    });
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.healthTimer) clearInterval(this.healthTimer);
    if (this.healthSoon) clearTimeout(this.healthSoon);
    await Promise.all([...this.devices.values()].map((d) => d.stop()));
    await Promise.all([...this.links.values()].map((l) => l.stop()));
    const client = this.client;
    if (client) {
      // a clean disconnect sends no last will: say "offline" ourselves
      const offline: ServiceHealth = { ...this.health(), state: 'offline' };
      if (client.connected) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, 1000);
          client.publish(Topics.health('poller'), encodeHealth(offline), { qos: 1, retain: true }, () => {
            clearTimeout(t);
            r();
          });
        });
      }
      await client.endAsync(!client.connected).catch(() => undefined);
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

  /**
   * Write one register of one channel (FC16), encoded by the profile. Only registers the
   * profile marks 'rw' in a holding table can be written. Goes through the link's queue ahead
   * of queued reads. Range and safety limits of HV values are the caller's job.
   */
  async writeRegisters(deviceId: string, channel: number, name: string, value: number): Promise<void> {
    const device = this.config.app.devices.find((d) => d.id === deviceId);
    if (!device) throw new Error(`unknown device "${deviceId}"`);
    const profile = this.config.profiles.get(device.profile)!;
    const spec = profile.registers[name];
    if (!spec) throw new Error(`${deviceId}: profile ${profile.name} has no register "${name}"`);
    if (spec.access !== 'rw' || spec.table !== 'holding') {
      throw new Error(`${deviceId}: register "${name}" is read-only`);
    }
    if (!Number.isInteger(channel) || channel < 0 || channel >= device.channels) {
      throw new Error(`${deviceId}: no channel ${channel} (device has ${device.channels})`);
    }
    if (!Number.isFinite(value)) throw new Error(`${deviceId}/${channel} ${name}: ${value} is not a number`);
    const words = encodeValue(spec, value, profile.wordOrder);
    const { unitId, address } = locate(profile, device.unitId, channel, spec);
    await this.links.get(device.link)!.write(unitId, address, words);
  }

  private onPoll(r: PollResult): void {
    // a device going down or up is news: health now, not at the next 2 s tick
    const state = r.ok ? 'up' : 'down';
    if (this.lastDeviceState.get(r.device.id) !== state) {
      this.lastDeviceState.set(r.device.id, state);
      this.healthSoon ??= setTimeout(() => {
        this.healthSoon = undefined;
        this.publishHealth();
      }, 100);
    }
    this.counters.polls++;
    if (!r.ok) this.counters.failedPolls++;
    if (!r.readings.length) return;
    this.counters.badReadings += r.readings.filter((x) => x.quality === 'bad').length;
    const batch: ReadingBatch = { service: 'poller', seq: ++this.seq, readings: r.readings };
    if (this.opts.sink) {
      this.opts.sink(batch);
      this.counters.readingsPublished += r.readings.length;
    } else {
      const n = r.readings.length;
      this.publisher?.publish(JSON.stringify(batch), () => (this.counters.readingsPublished += n));
    }
  }

  private publishHealth(): void {
    const client = this.client;
    // health is a latest-value: while the broker is away there is nothing worth queueing
    if (!client?.connected) return;
    client.publish(Topics.health('poller'), encodeHealth(this.health()), { qos: 1, retain: true });
  }
}
