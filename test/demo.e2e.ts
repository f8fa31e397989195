/**
 * `npm run demo` as a new user meets it: the embedded broker, default simulator periods (a gain
 * every 10 minutes), no InfluxDB. Its banner names the console first, every link in it answers,
 * and the first screen's values are good or "no data yet", never stale.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, freePort } from './support/processes';
import { waitFor } from './support/servers';
import { asNewDemo, writeTestConfig } from './support/test-config';

jest.setTimeout(90_000);

describe('the demo, first minute', () => {
  let demo: ServiceProcess;
  let base: string;
  let token: string;

  beforeAll(async () => {
    const [hvPort, tempPort, apiPort, mqttPort, simHttp] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'cicenns-demo-'));
    const { file } = writeTestConfig({
      hvPort,
      tempPort,
      apiPort,
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, // no MQTT_URL: the demo embeds this broker
      clientIdPrefix: `demo${process.pid}`,
      mutate: asNewDemo(dir), // no users file: the demo prints its generated accounts
    });
    // MQTT_URL and INFLUX_URL unset (undefined is left out of the child's environment)
    demo = new ServiceProcess('demo', {
      CICENNS_CONFIG: file,
      SIM_HTTP_PORT: String(simHttp),
      MQTT_URL: undefined,
      INFLUX_URL: undefined,
    }).start();
    await demo.waitForOutput(/demo accounts: .*admin\/\S+/, 60_000);
    base = `http://127.0.0.1:${apiPort}`;
    const viewerPw = /viewer\/(\S+?),/.exec(demo.output)![1];
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'viewer', password: viewerPw }),
    });
    token = ((await login.json()) as { token: string }).token;
  });

  afterAll(async () => {
    await demo?.stop();
  });

  it('names the shift console first, and every link it prints answers', async () => {
    const banner = demo.output.slice(demo.output.indexOf('CICENNS slow control is running'));
    const lines = banner.slice(0, banner.indexOf('demo accounts')).split('\n');
    const links = lines.flatMap((line) =>
      [...line.matchAll(/http:\/\/[^\s)]+/g)].map((m) => ({
        what: line.trim().split(/\s{2,}| http/)[0],
        url: m[0],
      })),
    );
    expect(links[0]).toEqual({ what: 'shift console', url: `${base}/` });
    expect(links.map((l) => l.url)).toEqual(
      expect.arrayContaining([
        `${base}/api/health`,
        `${base}/api/pmts`,
        `${base}/metrics`,
        `${base}/api/docs`,
      ]),
    );
    expect(links.length).toBeGreaterThanOrEqual(9);
    for (const { what, url } of links) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect({ what, url, status: res.status }).toEqual({ what, url, status: 200 });
    }
  });

  it('shows every value of every PMT as good or "no data yet", none stale', async () => {
    type Q = { quality: string };
    const kinds = ['vmon', 'imon', 'status', 'temperature', 'dcr', 'gain'] as const;
    const qualities = async () => {
      const res = await fetch(`${base}/api/pmts`, { headers: { authorization: `Bearer ${token}` } });
      const pmts = (await res.json()) as Record<(typeof kinds)[number], Q>[];
      return pmts.flatMap((p) => kinds.map((k) => `${k}:${p[k].quality}`));
    };
    // the first poll and the DAQ's first publication are on their way: wait for all 94 x 6
    await waitFor(
      'every value good',
      async () => (await qualities()).every((q) => q.endsWith(':good')),
      30_000,
    );
    expect((await qualities()).filter((q) => !q.endsWith(':good'))).toEqual([]);
  });

  it("draws trends without InfluxDB: the API's recent history answers, and the demo says how to get more", async () => {
    expect(demo.output).toMatch(/demo: no InfluxDB configured.*\n.*INFLUX_URL/);
    const trend = async (measurement: string, field: string, subject: string) => {
      const to = Date.now();
      const q = new URLSearchParams({
        measurement,
        field,
        subject,
        from: String(to - 15 * 60_000),
        to: String(to),
        points: '600',
      });
      const res = await fetch(`${base}/api/trends?${q}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { points: [number, number | null][] };
      return {
        status: res.status,
        values: res.status === 200 ? body.points.filter(([, v]) => v !== null).length : -1,
      };
    };
    // the test above waited for every PMT's first DCR and gain: each series has a value by now
    for (const [m, f, s] of [
      ['hv', 'vmon', 'CsI01-A'],
      ['hv', 'imon', 'CsI01-A'],
      ['dcr', 'rate_hz', 'CsI01-A'],
      ['gain', 'gain', 'CsI01-A'],
      ['temperature', 'value_c', 'T-hall'],
    ]) {
      await waitFor(`a point of ${m}/${f}`, async () => (await trend(m, f, s)).values > 0, 15_000);
      expect({ m, f, ...(await trend(m, f, s)) }).toEqual({ m, f, status: 200, values: expect.any(Number) });
    }
    const bad = await fetch(`${base}/api/trends?measurement=hv&field=vmon&subject=nope`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bad.status).toBe(400);
  });
});
