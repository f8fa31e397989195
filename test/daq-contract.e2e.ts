/**
 * The DAQ contract on real processes (issue 9): every bad message of the issue, published to the
 * real Mosquitto among good ones, through the real intake and historian into the real InfluxDB.
 * The intake stays up, the good readings are stored, each bad message is counted once with its
 * reason (the intake's retained health), topics outside the old subscription are counted, the
 * commissioning topics are not.
 */
import type { InfluxDB } from 'influx';
import type { MqttClient } from 'mqtt';
import { readServerState, waitFor } from './support/servers';
import type { ServiceProcess } from './support/processes';
import { startDaqPath } from './support/daq-path';
import { count, influxClient } from './support/influx';
import { testClient } from './support/mqtt';

jest.setTimeout(120_000);

const servers = readServerState();
const db = `daq_contract_e2e_${process.pid}`;
let intake: ServiceProcess;
let historian: ServiceProcess;
let pub: MqttClient;
let influx: InfluxDB;

const publish = (topic: string, payload: string) =>
  new Promise<void>((resolve, reject) =>
    pub.publish(topic, payload, { qos: 1 }, (e) => (e ? reject(e) : resolve())),
  );

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Health = Record<string, any>;
/** The intake's retained health, once it satisfies `ready` (a fresh report comes every 2 s). */
async function intakeHealth(ready: (h: Health) => boolean): Promise<Health> {
  const c = await testClient(servers.mqttUrl);
  try {
    return await new Promise((resolve) => {
      c.on('message', (_t, p) => {
        const h = JSON.parse(p.toString()) as Health;
        if (ready(h)) resolve(h);
      });
      c.subscribe('cicenns/sc/health/intake', { qos: 1 });
    });
  } finally {
    await c.endAsync();
  }
}

beforeAll(async () => {
  ({ intake, historian } = await startDaqPath({
    mqttUrl: servers.mqttUrl,
    influxUrl: servers.influxUrl,
    database: db,
    clientIdPrefix: `dc${process.pid}`,
  }));
  pub = await testClient(servers.mqttUrl);
  influx = influxClient(servers.influxUrl, db);
});

afterAll(async () => {
  await pub?.endAsync();
  await intake?.stop();
  await historian?.stop();
});

describe('the DAQ contract on real processes', () => {
  it('counts every bad message of issue 9 with its reason and stores the good ones among them', async () => {
    const now = Date.now();
    const T = now - 1000;
    const DCR = 'cicenns/daq/pmt/CsI01-A/dcr';
    // [topic, payload, expected: reason of a rejected message, or 'ignored', or a warning]
    const bad: [string, string, string][] = [
      // poison timestamps that used to kill the intake
      [DCR, '{"ts":1e308,"rate_hz":5}', 'future_timestamp'],
      ['cicenns/daq/pmt/CsI01-A/gain', '{"ts":1e20,"gain":3.6e6}', 'future_timestamp'],
      ['cicenns/beam/status', '{"ts":-1e16,"on":true,"power_kw":1,"rep_rate_hz":25}', 'too_old'],
      // magnitudes no detector produces
      [DCR, `{"ts":${T},"rate_hz":1e308}`, 'out_of_range'],
      ['cicenns/daq/pmt/CsI01-A/gain', `{"ts":${T},"gain":1e308}`, 'out_of_range'],
      ['cicenns/daq/pmt/CsI01-A/gain', `{"ts":${T},"gain":5e-324}`, 'out_of_range'],
      ['cicenns/beam/status', `{"ts":${T},"on":true,"power_kw":1e308,"rep_rate_hz":25}`, 'out_of_range'],
      [DCR, `{"ts":${T},"rate_hz":5,"window_s":1e308}`, 'out_of_range'],
      [
        'cicenns/daq/crystal/CsI01/coincidence',
        `{"ts":${T},"rate_hz":0.1,"window_ns":1e308}`,
        'out_of_range',
      ],
      // dates
      [DCR, '{"ts":"2026-11-31T19:00:00Z","rate_hz":5}', 'bad_timestamp'],
      [DCR, '{"ts":"2026-12-01T19:42:45","rate_hz":5}', 'bad_timestamp'],
      // ambiguous or nested
      [DCR, `{"ts":${T},"rate_hz":-1,"rate_hz":4253}`, 'schema'],
      [DCR, `{"ts":${T},"rate_hz":5,"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, 'too_deep'],
      // lost without a trace before
      ['cicenns/daq/dcr', `{"ts":${T},"rates_hz":{}}`, 'empty'],
      ['cicenns/daq/dcr', `{"ts":${T},"rates_hz":{"__proto__":5}}`, 'unknown_pmt'],
      // outside the old subscription
      ['cicenns/daq/pmt/CsI01-A/DCR', `{"ts":${T},"rate_hz":5}`, 'unknown_topic'],
      ['cicenns/daq/pmt/CsI01-A/dcr/extra', `{"ts":${T},"rate_hz":5}`, 'unknown_topic'],
      ['cicenns/daq/beam/status', `{"ts":${T},"on":true,"power_kw":1,"rep_rate_hz":25}`, 'unknown_topic'],
      ['cicenns/beam/state', `{"ts":${T}}`, 'unknown_topic'],
      [`cicenns/daq/pmt/${'X'.repeat(30_000)}/dcr`, `{"ts":${T},"rate_hz":5}`, 'unknown_topic'],
      // the commissioning service's business, not a reject
      [
        'cicenns/daq/cmd/measure',
        '{"request_id":"r1","kind":"dcr","pmts":["CsI01-A"],"duration_s":10}',
        'ignored',
      ],
      ['cicenns/daq/cmd/measure/r1/status', `{"request_id":"r1","ts":${T},"state":"accepted"}`, 'ignored'],
      // accepted, with a counted warning
      [DCR, `{"ts":${T},"rate_hz":4253,"windows_s":-7}`, 'warning:unknown_field'],
      [
        'cicenns/beam/status',
        `{"ts":${T},"on":false,"power_kw":500,"rep_rate_hz":25}`,
        'warning:inconsistent',
      ],
    ];
    let good = 0;
    for (let i = 0; i < bad.length; i++) {
      await publish(
        `cicenns/daq/pmt/CsI0${(i % 9) + 1}-B/dcr`,
        JSON.stringify({ ts: T - i * 1000, rate_hz: 2000 + i }),
      );
      good++;
      await publish(bad[i][0], bad[i][1]);
    }
    await publish(`cicenns/daq/pmt/CsI09-B/dcr`, JSON.stringify({ ts: T + 1, rate_hz: 1999 }));
    good++;

    const expected = {
      rejects: {} as Record<string, number>,
      warnings: {} as Record<string, number>,
      ignored: 0,
    };
    for (const [, , what] of bad) {
      if (what === 'ignored') expected.ignored++;
      else if (what.startsWith('warning:'))
        expected.warnings[what.slice(8)] = (expected.warnings[what.slice(8)] ?? 0) + 1;
      else expected.rejects[what] = (expected.rejects[what] ?? 0) + 1;
    }
    const total = good + bad.length;
    const h = await intakeHealth((x) => x.counters?.received === total);

    expect(intake.child?.exitCode).toBeNull();
    expect(h.state).toBe('running');
    expect(h.rejects).toEqual(expected.rejects);
    expect(h.warnings).toEqual(expected.warnings);
    expect(h.rejectedEntries).toEqual({ unknown_pmt: 1 }); // the __proto__ entry
    const warned = 2; // the two accepted with a warning
    expect(h.counters).toMatchObject({
      received: total,
      accepted: good + warned,
      rejected: bad.length - expected.ignored - warned,
      ignored: expected.ignored,
      warnings: warned,
    });
    // each message counted once
    expect(h.counters.accepted + h.counters.rejected + h.counters.ignored).toBe(total);
    // health stays small: no 30 KB topic in it
    expect(JSON.stringify(h).length).toBeLessThan(16_000);
    expect(h.lastRejects).toBeUndefined(); // details are behind the login, not in public health

    // the good readings, and only they, reach InfluxDB (plus the two accepted with a warning)
    await waitFor(
      'the good DCR readings in InfluxDB',
      async () => (await count(influx, 'dcr', 'rate_hz')) === good + 1,
      30_000,
    );
    const rows = await influx.query<{ rate_hz: number; pmt: string }>(`SELECT rate_hz, pmt FROM dcr`);
    expect(Math.max(...rows.map((r) => r.rate_hz))).toBe(4253);
    expect(rows.filter((r) => r.pmt.endsWith('-B'))).toHaveLength(good);
    const beam = await influx.query<{ on: boolean; power_kw: number }>('SELECT * FROM beam');
    expect(beam.map((b) => [b.on, b.power_kw])).toEqual([[false, 500]]);
    expect(await count(influx, 'gain', 'gain')).toBe(0);
    expect(await count(influx, 'coincidence', 'rate_hz')).toBe(0);
  });
});
