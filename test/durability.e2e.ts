/**
 * Nothing is lost: a reading accepted is a reading stored, across an InfluxDB outage and
 * services killed (SIGKILL) and restarted. Real processes: Mosquitto, a dedicated influxd,
 * intake and historian.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { portOpen, readServerState, startInflux, startMosquitto, stopPid, waitFor } from './support/servers';
import { ROOT, ServiceProcess, freePort, sleep } from './support/processes';
import { startDaqPath } from './support/daq-path';
import { count, influxClient } from './support/influx';
import { testClient } from './support/mqtt';

jest.setTimeout(180_000);

const servers = readServerState();

describe('durability', () => {
  let influxPid: number | undefined;
  let pub: MqttClient;
  const procs: ServiceProcess[] = [];
  /** intake + historian on their own database and client ids; killed in afterAll */
  const daqPath = async (database: string, o: { mqttUrl?: string; influxUrl?: string } = {}) => {
    const path = await startDaqPath({
      mqttUrl: o.mqttUrl ?? servers.mqttUrl,
      influxUrl: o.influxUrl ?? servers.influxUrl,
      database,
      clientIdPrefix: `${database}-${process.pid}`,
    });
    procs.push(path.intake, path.historian);
    return path;
  };

  afterAll(async () => {
    await pub?.endAsync();
    for (const p of procs) await p.stop('SIGKILL');
    if (influxPid) stopPid(influxPid, 'SIGKILL');
  });

  it('stores every accepted reading across an InfluxDB outage, a killed historian and a killed intake', async () => {
    const influxPort = await freePort();
    const influxDir = mkdtempSync(join(tmpdir(), 'cicenns-influx-'));
    const influxUrl = `http://127.0.0.1:${influxPort}`;
    const startDb = async () => {
      influxPid = await startInflux(influxDir, influxPort);
      await waitFor('influxd', async () => (await fetch(`${influxUrl}/ping`)).status === 204);
    };
    await startDb();
    const db = 'durability';
    const { intake, historian } = await daqPath(db, { influxUrl });
    pub = await testClient(servers.mqttUrl);

    const t0 = Date.now() - 3600_000;
    let sent = 0;
    const send = async (n: number) => {
      for (let i = 0; i < n; i++, sent++) {
        const pmt = `PSV${String((sent % 32) + 1).padStart(2, '0')}-A`;
        await pub.publishAsync(
          `cicenns/daq/pmt/${pmt}/dcr`,
          JSON.stringify({ ts: t0 + sent, rate_hz: sent }),
          { qos: 1 },
        );
      }
    };
    const influx = influxClient(influxUrl, db);

    await send(2000);
    await waitFor('first 2000 stored', async () => (await count(influx, 'dcr', 'rate_hz')) === 2000, 30_000);

    // 1. the database goes away: readings are spooled on disk by the historian
    stopPid(influxPid!, 'SIGKILL');
    await send(2000);
    await sleep(500);
    // 2. the historian is killed with a spool full of unwritten readings
    await historian.stop('SIGKILL');
    // 3. readings keep coming while the historian is down: the broker holds them (persistent session)
    await send(2000);
    // 4. the intake is killed and restarted; what was published meanwhile waits in the broker
    await sleep(1000);
    await intake.stop('SIGKILL');
    await send(1000);
    intake.start();
    await intake.waitForOutput(/intake: subscribed/);

    await startDb();
    historian.start();
    await historian.waitForOutput(/historian: .* -> /);
    await waitFor('all 7000 stored', async () => (await count(influx, 'dcr', 'rate_hz')) >= 7000, 60_000);
    await sleep(1000);
    expect(await count(influx, 'dcr', 'rate_hz')).toBe(7000);
    const rows = await influx.query<{ s: number }>('SELECT sum(rate_hz) AS s FROM dcr');
    expect(rows[0].s).toBe((7000 * 6999) / 2); // each reading exactly once
    expect(historian.output).toMatch(/readings in the spool from before/);
  });

  it('loses nothing when the intake is killed while it is forwarding at full rate', async () => {
    const db = 'durability_busy';
    const { intake } = await daqPath(db);
    const influx = influxClient(servers.influxUrl, db);

    // the benchmark's publisher: N messages at QoS 1 as fast as the broker takes them,
    // reading i has timestamp t0 + i (so N distinct points if each is stored at least once)
    const n = 40_000;
    const t0 = Date.now() - 3600_000;
    const publisher = spawn(
      process.execPath,
      [join(ROOT, 'dist', 'bench', 'publisher.js'), servers.mqttUrl, 'daq', String(n), String(t0)],
      { stdio: 'ignore' },
    );
    const published = new Promise<number | null>((r) => publisher.on('exit', r));
    // kill the intake mid-stream, with readings on their way through it
    for (let until = Date.now() + 30_000; Date.now() < until; await sleep(10)) {
      if ((await count(influx, 'dcr', 'rate_hz')) > 0) break;
    }
    await intake.stop('SIGKILL');
    expect(publisher.exitCode).toBeNull(); // still publishing when the intake died
    intake.start();
    await intake.waitForOutput(/intake: subscribed/);
    expect(await published).toBe(0);
    await waitFor('all stored', async () => (await count(influx, 'dcr', 'rate_hz')) >= n, 60_000).catch(
      () => undefined,
    );
    expect(await count(influx, 'dcr', 'rate_hz')).toBe(n);
  });

  it('loses nothing across a broker restart (SIGTERM: Mosquitto saves its sessions and queues)', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'cicenns-broker-'));
    const mqttUrl = `mqtt://127.0.0.1:${port}`;
    let brokerPid = startMosquitto(dir, port);
    const brokerUp = () => waitFor('mosquitto', () => portOpen(port));
    await brokerUp();
    const db = 'durability_broker';
    const { intake, historian } = await daqPath(db, { mqttUrl });
    const influx = influxClient(servers.influxUrl, db);
    // a DAQ that keeps its session too, and publishes on through the restart (mqtt.js queues
    // while the broker is away and resends what was not acknowledged)
    const daq = connect(mqttUrl, { clientId: `brk-daq-${process.pid}`, clean: false, reconnectPeriod: 200 });
    try {
      const n = 6000;
      const t0 = Date.now() - 3600_000;
      let acked = 0;
      const publishing = (async () => {
        for (let i = 0; i < n; i++) {
          const pmt = `CsI${String((i % 15) + 1).padStart(2, '0')}-B`;
          await daq.publishAsync(`cicenns/daq/pmt/${pmt}/dcr`, JSON.stringify({ ts: t0 + i, rate_hz: i }), {
            qos: 1,
          });
          acked++;
        }
      })();
      let reconnects = 0;
      daq.on('reconnect', () => reconnects++);
      await waitFor('a third published', async () => acked >= n / 3, 30_000);
      stopPid(brokerPid, 'SIGTERM');
      const ackedBeforeRestart = acked;
      await waitFor('mosquitto gone', async () => !(await portOpen(port)), 10_000);
      await sleep(500);
      brokerPid = startMosquitto(dir, port);
      await brokerUp();
      await publishing;
      expect(ackedBeforeRestart).toBeLessThan(n); // the restart came mid-stream
      expect(reconnects).toBeGreaterThan(0);
      await waitFor('all stored', async () => (await count(influx, 'dcr', 'rate_hz')) >= n, 60_000).catch(
        () => undefined,
      );
      expect(await count(influx, 'dcr', 'rate_hz')).toBe(n);
      const rows = await influx.query<{ s: number }>('SELECT sum(rate_hz) AS s FROM dcr');
      expect(rows[0].s).toBe((n * (n - 1)) / 2); // each reading exactly once
    } finally {
      await daq.endAsync(true);
      await intake.stop();
      await historian.stop();
      stopPid(brokerPid, 'SIGKILL');
    }
  });

  it('misses nothing published while the historian restarts gracefully (SIGTERM)', async () => {
    const db = 'durability_restart';
    const { historian } = await daqPath(db);
    const influx = influxClient(servers.influxUrl, db);
    const daq = await testClient(servers.mqttUrl);
    try {
      const t0 = Date.now() - 3600_000;
      const send = async (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const topic = `cicenns/daq/pmt/CsI${String((i % 15) + 1).padStart(2, '0')}-A/dcr`;
          await daq.publishAsync(topic, JSON.stringify({ ts: t0 + i, rate_hz: i }), { qos: 1 });
        }
      };
      await send(0, 500);
      await waitFor('first 500 stored', async () => (await count(influx, 'dcr', 'rate_hz')) === 500, 30_000);
      await historian.stop('SIGTERM'); // e.g. systemctl restart for an upgrade
      await send(500, 1500);
      historian.start();
      await historian.waitForOutput(/historian: .* -> /);
      await waitFor(
        'all 1500 stored',
        async () => (await count(influx, 'dcr', 'rate_hz')) >= 1500,
        30_000,
      ).catch(() => undefined);
      expect(await count(influx, 'dcr', 'rate_hz')).toBe(1500);
    } finally {
      await daq.endAsync();
    }
  });
});
