/**
 * The whole loop on real processes and real servers: simulator (Modbus TCP, RTU over TCP,
 * DAQ over MQTT) -> poller + intake -> Mosquitto -> historian -> InfluxDB, and the API.
 * After a few poll periods InfluxDB holds correct values for all 94 PMTs, every sensor, DCR
 * and gain, compared with what the simulator served.
 */
import type { InfluxDB } from 'influx';
import { readServerState, waitFor } from './support/servers';
import { ServiceProcess, freePorts, sleep } from './support/processes';
import { TEST_VIEWER_TOKEN, writeTestConfig } from './support/test-config';
import { influxClient } from './support/influx';
import { clearRetained } from './support/mqtt';

jest.setTimeout(180_000);

const auth = { headers: { authorization: `Bearer ${TEST_VIEWER_TOKEN}` } };

const servers = readServerState();
const db = `loop_${process.pid}`;
type Truth = {
  hv: Record<string, { vset: number; vmon: number; imon: number; status: number; power: number }>;
  temperatures: Record<string, number | null>;
  dcrExpected: Record<string, number>;
  gainExpected: Record<string, number>;
  coincidenceExpected: Record<string, number>;
};

describe('the whole loop on the simulated detector', () => {
  const procs: ServiceProcess[] = [];
  let influx: InfluxDB;
  let simUrl: string;
  let apiUrl: string;

  beforeAll(async () => {
    const [hvPort, tempPort, simHttp, apiPort] = await freePorts(4);
    const { file } = writeTestConfig({
      hvPort,
      tempPort,
      apiPort,
      mqttUrl: servers.mqttUrl,
      influxUrl: servers.influxUrl,
      database: db,
      pollMs: 500,
      clientIdPrefix: `loop${process.pid}`,
    });
    const env = {
      CICENNS_CONFIG: file,
      SIM_HTTP_PORT: String(simHttp),
      SIM_DCR_PERIOD_MS: '500',
      SIM_GAIN_PERIOD_MS: '1000',
      SIM_COINC_PERIOD_MS: '500',
      SIM_BEAM_PERIOD_MS: '500',
    };
    simUrl = `http://127.0.0.1:${simHttp}`;
    apiUrl = `http://127.0.0.1:${apiPort}`;
    // health reports that other test files left on the shared broker are not this system's
    await clearRetained(servers.mqttUrl, 'cicenns/sc/health/+');
    for (const name of ['simulator', 'intake', 'historian', 'poller', 'api'] as const)
      procs.push(new ServiceProcess(name, env).start());
    await procs[0].waitForOutput(/simulator: .*http/);
    await procs[4].waitForOutput(/api: listening/);
    influx = influxClient(servers.influxUrl, db);
  });

  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
  });

  const last = async (q: string) => {
    const rows = await influx.query<Record<string, any>>(q); // eslint-disable-line @typescript-eslint/no-explicit-any
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return new Map<string, any>(rows.map((r) => [r.pmt ?? r.sensor ?? r.crystal, r]));
  };

  it('stores vmon, imon, status of all 94 PMTs, every temperature, DCR, gain, coincidences and beam', async () => {
    await waitFor(
      'every PMT with hv, dcr and gain in InfluxDB',
      async () => {
        const [hv, dcr, gain] = await Promise.all([
          last('SELECT last(vmon) FROM hv GROUP BY pmt'),
          last('SELECT last(rate_hz) FROM dcr GROUP BY pmt'),
          last('SELECT last(gain) FROM gain GROUP BY pmt'),
        ]);
        return hv.size === 94 && dcr.size === 94 && gain.size === 94;
      },
      30_000,
    ).catch((e) => {
      throw new Error(
        `${e.message}\n${procs.map((p) => `--- ${p.name}\n${p.output.slice(-2000)}`).join('\n')}`,
      );
    });
    await sleep(1500); // a few more poll periods
    const truth = (await (await fetch(`${simUrl}/api/sim/truth`)).json()) as Truth;

    const hv = await last(
      'SELECT last(vmon) AS vmon, last(imon) AS imon, last(status) AS status, last(vset) AS vset FROM hv GROUP BY pmt',
    );
    expect(hv.size).toBe(94);
    for (const [pmt, t] of Object.entries(truth.hv)) {
      const s = hv.get(pmt);
      expect({ pmt, vset: s.vset, status: s.status }).toEqual({ pmt, vset: t.vset, status: t.status });
      expect(Math.abs(s.vmon - t.vmon)).toBeLessThan(1); // V; noise ~0.05 V between two samples
      expect(Math.abs(s.imon - t.imon)).toBeLessThan(1); // uA
    }

    const temps = await last('SELECT last(value_c) AS v FROM temperature GROUP BY sensor');
    expect(temps.size).toBe(19);
    for (const [sensor, t] of Object.entries(truth.temperatures)) {
      if (!temps.has(sensor)) continue; // spare channels have no sensor
      expect(Math.abs(temps.get(sensor).v - (t as number))).toBeLessThan(0.2);
    }

    const dcr = await last('SELECT last(rate_hz) AS r, last(window_s) AS w FROM dcr GROUP BY pmt');
    const gain = await last('SELECT last(gain) AS g FROM gain GROUP BY pmt');
    for (const pmt of Object.keys(truth.hv)) {
      // Poisson counting noise: 5 sigma of rate*window counts
      const tol = 5 / Math.sqrt(truth.dcrExpected[pmt] * dcr.get(pmt).w);
      expect(Math.abs(dcr.get(pmt).r / truth.dcrExpected[pmt] - 1)).toBeLessThan(tol);
      expect(Math.abs(gain.get(pmt).g / truth.gainExpected[pmt] - 1)).toBeLessThan(0.05); // 1 % noise
    }

    const coinc = await last('SELECT last(rate_hz) AS r FROM coincidence GROUP BY crystal');
    expect(coinc.size).toBe(15);
    const beam = await influx.query<{ on: boolean; power_kw: number }>(
      'SELECT last(power_kw) AS power_kw FROM beam',
    );
    expect(beam[0].power_kw).toBe(140);

    // the API shows the same detector with quality flags
    const pmts = (await (await fetch(`${apiUrl}/api/pmts`, auth)).json()) as {
      id: string;
      vmon: { value: number; quality: string };
      dcr: { quality: string };
    }[];
    expect(pmts).toHaveLength(94);
    expect(pmts.every((p) => p.vmon.quality === 'good' && p.dcr.quality === 'good')).toBe(true);
    const health = (await (await fetch(`${apiUrl}/api/health`)).json()) as {
      status: string;
      services: Record<string, { state: string }>;
    };
    expect(health.services.poller.state).toBe('running');
    expect(health.services.intake.state).toBe('running');
    expect(health.services.historian.state).toBe('running');
    expect(health.status).toBe('ok');
  });

  it('a crate that stops answering: its readings are stored as bad with the reason, then good again', async () => {
    const fault = await fetch(`${simUrl}/api/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'crate-silent', device: 'hv-veto' }),
    });
    expect(fault.status).toBe(201);
    const { id } = (await fault.json()) as { id: string };
    const since = Date.now();
    await waitFor(
      'bad veto readings',
      async () => {
        const rows = await influx.query<{ error: string }>(
          `SELECT error FROM hv WHERE pmt = 'PSV05-A' AND quality = 'bad' AND time > ${since}ms`,
        );
        return rows.length > 0;
      },
      20_000,
    );
    const bad = await influx.query<{ error: string }>(
      `SELECT last(error) AS error FROM hv WHERE pmt = 'PSV05-A' AND quality = 'bad'`,
    );
    expect(bad[0].error).toMatch(/timeout|timed out/i);
    // the other crate on the same link keeps answering
    await sleep(3000);
    const good = await influx.query<{ time: Date }>(
      `SELECT vmon FROM hv WHERE pmt = 'CsI05-A' AND quality = 'good' AND time > ${Date.now() - 4000}ms`,
    );
    // 0.5 s poll period; a silent unit on the same link must not starve it
    expect(good.length).toBeGreaterThanOrEqual(3);
    const pmt = (await (await fetch(`${apiUrl}/api/pmts/PSV05-A`, auth)).json()) as {
      vmon: { quality: string; error: string };
    };
    expect(pmt.vmon.quality).toBe('bad');

    await fetch(`${simUrl}/api/sim/faults/${id}`, { method: 'DELETE' });
    const back = Date.now();
    await waitFor(
      'good veto readings again',
      async () => {
        const rows = await influx.query(
          `SELECT vmon FROM hv WHERE pmt = 'PSV05-A' AND quality = 'good' AND time > ${back}ms`,
        );
        return rows.length > 0;
      },
      30_000,
    );
  });
});
