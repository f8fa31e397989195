/**
 * The DAQ path on real processes: DAQ messages on the real Mosquitto -> intake (Nest MQTT
 * transport) -> cicenns/sc/readings/intake -> historian -> the real InfluxDB.
 */
import type { InfluxDB } from 'influx';
import type { MqttClient } from 'mqtt';
import { readServerState, waitFor } from './support/servers';
import { ServiceProcess } from './support/processes';
import { writeTestConfig } from './support/test-config';
import { count, influxClient } from './support/influx';
import { testClient } from './support/mqtt';

jest.setTimeout(120_000);

const servers = readServerState();
const db = `intake_e2e_${process.pid}`;
const { file } = writeTestConfig({
  hvPort: 1,
  tempPort: 2,
  mqttUrl: servers.mqttUrl,
  influxUrl: servers.influxUrl,
  database: db,
  clientIdPrefix: `ih${process.pid}`,
});
const env = { CICENNS_CONFIG: file };
const intake = new ServiceProcess('intake', env);
const historian = new ServiceProcess('historian', env);
let pub: MqttClient;
let influx: InfluxDB;
let watcher: MqttClient;
const notices: { reason: string; detail: string }[] = [];

const publish = (topic: string, payload: string | Buffer) =>
  new Promise<void>((resolve, reject) =>
    pub.publish(topic, payload, { qos: 1 }, (e) => (e ? reject(e) : resolve())),
  );

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function healthOf(service: string): Promise<Record<string, any>> {
  const c = await testClient(servers.mqttUrl);
  try {
    return await new Promise((resolve) => {
      c.on('message', (_t, p) => resolve(JSON.parse(p.toString())));
      c.subscribe(`cicenns/sc/health/${service}`, { qos: 1 });
    });
  } finally {
    await c.endAsync();
  }
}

beforeAll(async () => {
  intake.start();
  historian.start();
  await intake.waitForOutput(/intake: subscribed/);
  await historian.waitForOutput(/historian: .* -> /);
  pub = await testClient(servers.mqttUrl);
  watcher = await testClient(servers.mqttUrl);
  watcher.on('message', (_t, p) => notices.push(JSON.parse(p.toString())));
  await watcher.subscribeAsync('cicenns/sc/intake/rejects', { qos: 0 });
  influx = influxClient(servers.influxUrl, db);
});

afterAll(async () => {
  await pub?.endAsync();
  await watcher?.endAsync();
  await intake.stop();
  await historian.stop();
});

describe('intake and historian', () => {
  it('stores every good message of a stream interleaved with each kind of bad one, and counts each bad one by reason', async () => {
    const now = Date.now();
    const bad: [string, string | Buffer, string][] = [
      ['cicenns/daq/pmt/CsI99-A/dcr', JSON.stringify({ ts: now, rate_hz: 1 }), 'unknown_pmt'],
      ['cicenns/daq/pmt/CsI01-A/dcr', JSON.stringify({ ts: now }), 'schema'], // missing field
      ['cicenns/daq/pmt/CsI01-A/dcr', '{"ts": 1, "rate_hz": NaN}', 'not_json'],
      ['cicenns/daq/pmt/CsI01-A/gain', JSON.stringify({ ts: now, gain: 'big' }), 'schema'], // string for number
      [
        'cicenns/daq/pmt/CsI01-A/dcr',
        JSON.stringify({ ts: now + 86400_000, rate_hz: 1 }),
        'future_timestamp',
      ],
      ['cicenns/daq/pmt/CsI01-A/dcr', Buffer.alloc(10 * 1024 * 1024, 0x7b), 'too_large'],
      ['cicenns/daq/pmt/CsI01-A/dcr', 'not json at all', 'not_json'],
    ];
    let good = 0;
    for (let i = 0; i < 200; i++) {
      // the Nest envelope trap: top-level data/pattern keys must not change anything
      await publish(
        `cicenns/daq/pmt/CsI0${(i % 9) + 1}-A/dcr`,
        JSON.stringify({ ts: now - 200_000 + i * 1000, rate_hz: 1000 + i, data: 'x', pattern: 'y' }),
      );
      good++;
      if (i % 25 === 0) {
        // 8 bad ones: each kind once, the first kind twice
        const [topic, payload] = bad[(i / 25) % bad.length];
        await publish(topic, payload);
      }
    }
    await publish(
      'cicenns/daq/dcr',
      JSON.stringify({ ts: now, window_s: 10, rates_hz: { 'PSV01-A': 300, 'PSV01-B': 'x', XYZ: 5 } }),
    );
    await publish(
      'cicenns/beam/status',
      JSON.stringify({ ts: new Date(now).toISOString(), on: true, power_kw: 140, rep_rate_hz: 25 }),
    );

    await waitFor(
      'all good DCR readings in InfluxDB',
      async () => (await count(influx, 'dcr', 'rate_hz')) === good + 1,
      30_000,
    );
    const stored = await influx.query<{ rate_hz: number; pmt: string }>(
      `SELECT rate_hz, pmt FROM dcr WHERE pmt = 'CsI01-A' ORDER BY time`,
    );
    expect(stored.map((r) => r.rate_hz)).toEqual(
      Array.from({ length: 200 }, (_, i) => 1000 + i).filter((_, i) => i % 9 === 0),
    );
    const beam = await influx.query<{ on: boolean; power_kw: number }>('SELECT * FROM beam');
    expect(beam[0]).toMatchObject({ on: true, power_kw: 140 });

    await waitFor(
      'intake health with the rejects',
      async () => {
        const h = await healthOf('intake');
        return h.counters?.rejected === 8 && h.counters?.rejectedEntries === 2;
      },
      10_000,
    );
    const h = await healthOf('intake');
    // messages, each counted once (the sweep is accepted: it has a good entry)
    expect(h.rejects).toEqual({ unknown_pmt: 2, schema: 2, not_json: 2, future_timestamp: 1, too_large: 1 });
    // the sweep's unknown PMT and non-number entry, counted apart
    expect(h.rejectedEntries).toEqual({ unknown_pmt: 1, schema: 1 });
    // the data/pattern keys of the good messages are not the contract's: accepted with a warning
    expect(h.warnings).toEqual({ unknown_field: 200 });
    // details are not in the (public, bounded) health, but in the notices behind the API's login
    expect(h.lastRejects).toBeUndefined();
    expect(notices.map((n) => `${n.reason}: ${n.detail}`).join('\n')).toMatch(
      /too_large: 10485760 bytes, limit 65536/,
    );
    expect(h.counters.accepted).toBe(good + 2);
  });

  it('a readings batch with bad readings in it: the historian stores the good ones and counts each bad one by reason', async () => {
    const ts = Date.now() - 60_000;
    const readings: unknown[] = Array.from({ length: 1000 }, (_, i) => ({
      m: 'temperature',
      id: `bad-batch-${i}`,
      ts: ts + i,
      quality: 'good',
      fields: { value_c: 20 + i / 1000 },
      source: 'e2e',
    }));
    readings[3] = { ...(readings[3] as object), ts: 'yesterday' };
    readings[500] = { ...(readings[500] as object), fields: { value_c: { deep: 1 } } };
    readings[999] = 'not a reading';
    await publish('cicenns/sc/readings/e2e-bad', JSON.stringify({ service: 'e2e-bad', seq: 1, readings }));
    await waitFor(
      'the 997 good readings of the batch in InfluxDB',
      async () =>
        (
          await influx.query<{ count: number }>(
            `SELECT count(value_c) FROM temperature WHERE sensor =~ /^bad-batch-/`,
          )
        )[0]?.count === 997,
      30_000,
    );
    const stored = await influx.query<{ sensor: string }>(
      `SELECT value_c, sensor FROM temperature WHERE sensor = 'bad-batch-3' OR sensor = 'bad-batch-4'`,
    );
    expect(stored.map((r) => r.sensor)).toEqual(['bad-batch-4']);
    await waitFor(
      'historian health with the refused readings',
      async () => (await healthOf('historian')).counters?.badReadings === 3,
      10_000,
    );
    const h = await healthOf('historian');
    expect(Object.values(h.detail.badReadingReasons as Record<string, number>).reduce((a, b) => a + b)).toBe(
      3,
    );
    expect(h.detail.lastBadReading).toMatchObject({ topic: 'cicenns/sc/readings/e2e-bad', index: 999 });
    expect(historian.output).toMatch(
      /refused 3 of 1000 readings on cicenns\/sc\/readings\/e2e-bad, the first at index 3/,
    );
  });
});
