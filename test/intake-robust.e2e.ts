/**
 * The intake service's robustness on real processes, real Mosquitto and InfluxDB (issue 9):
 * poison messages, bounded health, the historian's session before the first reading, and the
 * broker's own drops (a dedicated Mosquitto at max_queued_messages 10).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { portOpen, readServerState, waitFor } from './support/servers';
import { freePort, ServiceProcess } from './support/processes';
import { writeTestConfig } from './support/test-config';
import { count, influxClient } from './support/influx';
import { testClient } from './support/mqtt';

jest.setTimeout(120_000);

const servers = readServerState();
const DCR = 'cicenns/daq/pmt/CsI01-A/dcr';
// the poison messages of the issue: each threw inside the intake (RangeError at toISOString)
const POISON: [string, string][] = [
  [DCR, '{"ts":1e308,"rate_hz":5}'],
  ['cicenns/daq/pmt/CsI01-A/gain', '{"ts":1e20,"gain":3.6e6}'],
  ['cicenns/beam/status', '{"ts":-1e16,"on":true,"power_kw":1,"rep_rate_hz":25}'],
];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Keeps the latest retained health of each service and every message on the given topics. */
class Watcher {
  latest = new Map<string, { json: Json; bytes: number }>();
  messages: { topic: string; json: Json }[] = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      if (payload.length === 0) return;
      let json: Json;
      try {
        json = JSON.parse(payload.toString());
      } catch {
        return;
      }
      if (topic.startsWith('cicenns/sc/health/'))
        this.latest.set(topic.slice(18), { json, bytes: payload.length });
      else this.messages.push({ topic, json });
    });
  }
  static async on(url: string, topics: string[]): Promise<Watcher> {
    const w = new Watcher(await testClient(url));
    await w.client.subscribeAsync(topics, { qos: 1 });
    return w;
  }
  health(service: string): Json | undefined {
    return this.latest.get(service)?.json;
  }
}

function publisher(url: string) {
  let c: MqttClient;
  return {
    async open() {
      c = await testClient(url);
    },
    send: (topic: string, payload: string) => c.publishAsync(topic, payload, { qos: 1 }),
    close: () => c?.endAsync(),
  };
}

function config(prefix: string, o: { db?: string; requireHistorian?: boolean; mqttUrl?: string } = {}) {
  return writeTestConfig({
    hvPort: 1,
    tempPort: 2,
    mqttUrl: o.mqttUrl ?? servers.mqttUrl,
    influxUrl: servers.influxUrl,
    database: o.db ?? 'unused',
    clientIdPrefix: prefix,
    requireHistorian: o.requireHistorian,
  });
}

describe('a poison message (an exception while handling it)', () => {
  const db = `robust_poison_${process.pid}`;
  const prefix = `rp${process.pid}`;
  const env = { CICENNS_CONFIG: config(prefix, { db }).file };
  const intake = new ServiceProcess('intake', env);
  const historian = new ServiceProcess('historian', env);
  const pub = publisher(servers.mqttUrl);
  let w: Watcher;

  beforeAll(async () => {
    w = await Watcher.on(servers.mqttUrl, ['cicenns/sc/health/intake', 'cicenns/sc/intake/rejects']);
    intake.start();
    historian.start();
    await intake.waitForOutput(/intake: subscribed/);
    await historian.waitForOutput(/historian: .* -> /);
    await pub.open();
  });
  afterAll(async () => {
    await pub.close();
    await w?.client.endAsync();
    await intake.stop();
    await historian.stop();
  });

  it('does not end the intake; it is acknowledged, counted, announced, and the next good message is stored', async () => {
    const influx = influxClient(servers.influxUrl, db);
    for (const [topic, payload] of POISON) await pub.send(topic, payload);
    await pub.send(DCR, JSON.stringify({ ts: Date.now(), rate_hz: 2900 }));
    await waitFor(
      'the good message in InfluxDB',
      async () => (await count(influx, 'dcr', 'rate_hz')) === 1,
      30_000,
    ).catch((e: Error) => {
      const tail = (p: ServiceProcess) => `--- ${p.name}\n${p.output.slice(-3000)}`;
      throw new Error(
        `${e.message}\n${JSON.stringify(w.health('intake'))}\n${tail(intake)}\n${tail(historian)}`,
      );
    });
    expect(intake.child?.exitCode).toBeNull();
    await waitFor('the health counting all four', async () => w.health('intake')?.counters?.received === 4);
    const h = w.latest.get('intake')!;
    // refused by the validator (its fix) or caught by the class-level guard: counted either way
    expect(h.json.counters.rejected).toBe(3);
    expect(
      Object.keys(h.json.rejects).every((r) =>
        ['internal_error', 'bad_timestamp', 'future_timestamp', 'too_old', 'schema'].includes(r),
      ),
    ).toBe(true);
    // health is small and has no reject details; they are notices, bounded
    expect(h.json.lastRejects).toBeUndefined();
    expect(h.bytes).toBeLessThan(4096);
    expect(h.json.detail.limits).toEqual({ maxPayloadBytes: 65536, brokerMaxPacketBytes: 1048576 });
    await waitFor(
      'three notices',
      async () => w.messages.filter((m) => m.topic === 'cicenns/sc/intake/rejects').length === 3,
    );
    expect(w.messages.map((m) => m.json.topic).sort()).toEqual(POISON.map((p) => p[0]).sort());

    // SIGTERM and restart: the poison messages were acknowledged, so nothing comes again
    await intake.stop();
    intake.start();
    await intake.waitForOutput(/intake: subscribed/);
    await pub.send(DCR, JSON.stringify({ ts: Date.now(), rate_hz: 2901 }));
    await waitFor(
      'the second good message stored',
      async () => (await count(influx, 'dcr', 'rate_hz')) === 2,
      30_000,
    );
    await waitFor('health after the restart', async () => w.health('intake')?.counters?.accepted === 1);
    expect(w.health('intake')!.counters).toMatchObject({ received: 1, rejected: 0 });
    expect(intake.child?.exitCode).toBeNull();
  });
});

describe("the historian's session before the first reading (intake.requireHistorian)", () => {
  const db = `robust_session_${process.pid}`;
  const prefix = `rs${process.pid}${Date.now() % 10000}`; // a historian client id never seen by the broker
  const env = { CICENNS_CONFIG: config(prefix, { db, requireHistorian: true }).file };
  const intake = new ServiceProcess('intake', env);
  const historian = new ServiceProcess('historian', env);
  const pub = publisher(servers.mqttUrl);
  let w: Watcher;

  afterAll(async () => {
    await pub.close();
    await w?.client.endAsync();
    await intake.stop();
    await historian.stop();
  });

  it('the intake takes no DAQ message before the historian exists; afterwards every one is stored', async () => {
    // the intake's persistent session as an earlier run left it (subscribed, offline)
    const earlier = connect(servers.mqttUrl, {
      clientId: `${prefix}-intake`,
      clean: false,
      protocolVersion: 4,
    });
    await new Promise((r) => earlier.once('connect', r));
    await earlier.subscribeAsync(['cicenns/daq/pmt/+/dcr'], { qos: 1 });
    await earlier.endAsync();

    w = await Watcher.on(servers.mqttUrl, ['cicenns/sc/health/intake']);
    intake.start();
    await waitFor('the intake saying it waits', async () =>
      /waiting for the historian's persistent session "rs.*-historian"/.test(
        w.health('intake')?.connections?.daq?.detail ?? '',
      ),
    );
    expect(w.health('intake')!.state).toBe('degraded');
    await pub.open();
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 50; i++) await pub.send(DCR, JSON.stringify({ ts: t0 + i * 1000, rate_hz: i }));
    // the intake has not consumed them (its health counts what it received)
    await waitFor(
      'a health report after the publishes',
      async () => w.health('intake')!.ts > Date.now() - 1000,
    );
    expect(w.health('intake')!.counters.received).toBe(0);

    historian.start();
    await intake.waitForOutput(/intake: subscribed/);
    const influx = influxClient(servers.influxUrl, db);
    await waitFor('all 50 in InfluxDB', async () => (await count(influx, 'dcr', 'rate_hz')) === 50, 30_000);
    await waitFor('intake running', async () => w.health('intake')?.state === 'running');
  });
});

describe("the historian's session before the first reading (poller.requireHistorian)", () => {
  const db = `robust_poller_${process.pid}`;
  const prefix = `rq${process.pid}${Date.now() % 10000}`; // a historian client id never seen by the broker
  const env = { CICENNS_CONFIG: config(prefix, { db, requireHistorian: true }).file };
  const poller = new ServiceProcess('poller', env);
  const historian = new ServiceProcess('historian', env);
  let w: Watcher;

  afterAll(async () => {
    await w?.client.endAsync();
    await poller.stop();
    await historian.stop();
  });

  it('the poller publishes nothing before the historian exists; afterwards its readings are stored', async () => {
    w = await Watcher.on(servers.mqttUrl, ['cicenns/sc/health/poller', 'cicenns/sc/readings/poller']);
    poller.start();
    const waiting = () =>
      /not polling: waiting for the historian's persistent session "rq.*-historian"/.test(
        w.health('poller')?.connections?.historian?.detail ?? '',
      );
    await waitFor('the poller saying it waits', async () => waiting());
    // two more reports (2 s apart) while it waits: still no reading published
    const since = w.health('poller')!.ts;
    await waitFor('two later health reports', async () => w.health('poller')!.ts > since + 3000, 15_000);
    expect(waiting()).toBe(true);
    expect(w.messages.filter((m) => m.topic === 'cicenns/sc/readings/poller')).toEqual([]);

    historian.start();
    await waitFor('poller readings', async () =>
      w.messages.some((m) => m.topic === 'cicenns/sc/readings/poller'),
    );
    // the crates are unreachable here (ports 1 and 2): the readings are "bad", and stored as such
    const influx = influxClient(servers.influxUrl, db);
    await waitFor(
      'poller readings in InfluxDB',
      async () => (await count(influx, 'hv', 'quality')) > 0,
      30_000,
    );
    expect(waiting()).toBe(false);
  });
});

describe('messages the broker itself drops (dedicated Mosquitto, max_queued_messages 10)', () => {
  let broker: ChildProcess;
  let url: string;
  const procs: ServiceProcess[] = [];
  let w: Watcher;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cicenns-drops-'));
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'max_queued_messages 10',
        'sys_interval 1',
        'user root',
        '',
      ].join('\n'),
    );
    broker = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    await waitFor('the dedicated mosquitto', () => portOpen(port));
  });
  afterAll(async () => {
    await w?.client.endAsync();
    for (const p of procs) await p.stop();
    broker?.kill();
  });

  it("shows the drops in the intake's health and raises broker-drops", async () => {
    const cfgEnv = { CICENNS_CONFIG: config(`bd${process.pid}`, { mqttUrl: url }).file };
    const intake = new ServiceProcess('intake', cfgEnv).start();
    const alarms = new ServiceProcess('alarms', cfgEnv).start();
    procs.push(intake, alarms);
    w = await Watcher.on(url, ['cicenns/sc/health/intake', 'cicenns/sc/alarms/state/broker-drops:broker']);
    await intake.waitForOutput(/intake: subscribed/);
    await alarms.waitForOutput(/alarms: \d+ alarms/);
    await waitFor(
      "the broker's count in the intake's health",
      async () => w.health('intake')?.counters?.brokerDropped !== undefined,
      20_000,
    );
    const before = w.health('intake')!.counters.brokerDropped as number;

    // a persistent subscriber that went away: the broker queues 10 for it and drops the rest
    const slow = connect(url, { clientId: 'slow-subscriber', clean: false, protocolVersion: 4 });
    await new Promise((r) => slow.once('connect', r));
    await slow.subscribeAsync('cicenns/daq/#', { qos: 1 });
    await slow.endAsync();
    const pub = publisher(url);
    await pub.open();
    for (let i = 0; i < 100; i++) await pub.send(DCR, JSON.stringify({ ts: Date.now(), rate_hz: i }));
    await pub.close();

    await waitFor(
      'the drops in health',
      async () => (w.health('intake')?.counters?.brokerDropped ?? 0) >= before + 90,
      20_000,
    );
    expect(w.health('intake')!.counters.brokerDroppedSinceStart).toBeGreaterThanOrEqual(90);
    await waitFor('the broker-drops alarm', async () =>
      w.messages.some((m) => m.topic.endsWith('broker-drops:broker') && m.json.state === 'active-unack'),
    );
    const alarm = w.messages.find(
      (m) => m.topic.endsWith('broker-drops:broker') && m.json.state === 'active-unack',
    )!;
    expect(alarm.json.message).toMatch(/the MQTT broker dropped \d+ messages/);
  });
});
