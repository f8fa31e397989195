/**
 * Configuration a real detector needs, on real processes (simulator, poller, api, historian,
 * alarms from dist/, the e2e Mosquitto and InfluxDB):
 *  (a) a detector whose veto panels are VETO01.. (PMTs VETO01-A ..) and whose crystal CsI03 has
 *      no temperature sensor loads, is polled, and is served by /api/pmts, extras included;
 *  (b) a unit id per channel that would pass 255 stops the poller at start-up with the file,
 *      the path and the reason;
 *  (c) relative paths in cicenns.yaml are relative to the file, whatever the service's cwd.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT, ServiceProcess, freePort, freePorts } from './support/processes';
import { writeRenamedDetector } from './support/renamed-detector';
import { readServerState, waitFor } from './support/servers';
import { TEST_VIEWER_TOKEN, writeTestConfig } from './support/test-config';

jest.setTimeout(90_000);

const servers = readServerState();
const auth = { headers: { authorization: `Bearer ${TEST_VIEWER_TOKEN}` } };

interface ValueLite {
  value: number | null;
  unit: string;
  quality: string;
  ts: number | null;
}
interface PmtLite {
  id: string;
  group: string;
  parent: string;
  sensor: string | null;
  vmon: ValueLite;
  temperature: ValueLite | null;
  extra: Record<string, ValueLite>;
}

describe('configuration for a detector named differently', () => {
  const procs: ServiceProcess[] = [];
  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
  });

  it('VETO01-A: loads, is polled, and shows up in /api/pmts; CsI03 without a sensor says so', async () => {
    const [hvPort, tempPort, apiPort, simHttp] = await freePorts(4);
    const { file, dir } = writeTestConfig({
      hvPort,
      tempPort,
      apiPort,
      mqttUrl: servers.mqttUrl,
      pollMs: 300,
      clientIdPrefix: `cp${process.pid}`,
      mutate: (c) => {
        c.files.detector = 'detector.yaml';
        c.files.calibration = 'calibration.yaml';
      },
    });
    writeRenamedDetector(dir, { withoutSensor: ['CsI03'] });
    const env = { CICENNS_CONFIG: file, SIM_HTTP_PORT: String(simHttp) };
    const sim = new ServiceProcess('simulator', env).start();
    procs.push(sim);
    await sim.waitForOutput(/simulator: .*http/);
    procs.push(new ServiceProcess('poller', env).start());
    const api = new ServiceProcess('api', env).start();
    procs.push(api);
    await api.waitForOutput(/api: listening/);
    const url = `http://127.0.0.1:${apiPort}`;

    const pmts = async () => (await (await fetch(`${url}/api/pmts`, auth)).json()) as PmtLite[];
    await waitFor(
      'VETO01-A polled (good VMon)',
      async () => (await pmts()).find((p) => p.id === 'VETO01-A')?.vmon.quality === 'good',
      20_000,
    );
    const all = await pmts();
    expect(all.some((p) => p.id.startsWith('PSV'))).toBe(false);
    const veto = all.find((p) => p.id === 'VETO01-A')!;
    expect(veto).toMatchObject({ group: 'veto', parent: 'VETO01', vmon: { unit: 'V', quality: 'good' } });
    expect(veto.vmon.value).toBeGreaterThan(100);
    // the profile's extra register (generic-hv polls trip_time): value, unit, ts, quality
    expect(veto.extra.trip_time).toMatchObject({ unit: 's', quality: 'good' });
    expect(typeof veto.extra.trip_time.value).toBe('number');
    const one = (await (await fetch(`${url}/api/pmts/VETO32-B`, auth)).json()) as PmtLite;
    expect(one.id).toBe('VETO32-B');
    const csi03 = all.find((p) => p.id === 'CsI03-A')!;
    expect(csi03.sensor).toBeNull();
    expect(csi03.temperature).toBeNull();
    expect(all.find((p) => p.id === 'CsI04-A')!.sensor).toBe('T-CsI04');
    // the HV preview takes the configured names as targets
    const detector = (await (await fetch(`${url}/api/detector`, auth)).json()) as {
      panels: { id: string }[];
    };
    expect(detector.panels[0].id).toBe('VETO01');
  });
});

describe('configuration that cannot work stops start-up', () => {
  it('unitId + channel above 255: the poller exits with file, path and reason', async () => {
    const { file } = writeTestConfig({
      hvPort: 1,
      tempPort: 1,
      mqttUrl: servers.mqttUrl,
      mutate: (c) => {
        c.links.push({ id: 'vx', type: 'tcp', host: '127.0.0.1', port: 1 });
        c.devices.push({ id: 'hv-x', link: 'vx', profile: 'vendor-x-hv', unitId: 250, channels: 16 });
      },
    });
    const poller = new ServiceProcess('poller', { CICENNS_CONFIG: file }).start();
    const code = await new Promise<number | null>((r) => poller.child!.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(poller.output).toContain(`${file}: devices[5].unitId:`);
    expect(poller.output).toMatch(/250 \+ 15 = 265 is beyond 255/);
    expect(poller.output).not.toMatch(/out of range/);
  });
});

describe('relative paths are relative to cicenns.yaml, not to the working directory', () => {
  const procs: ServiceProcess[] = [];
  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
  });

  it('historian spool, alarm store, audit db and the other files land next to the config', async () => {
    const confDir = mkdtempSync(join(tmpdir(), 'cicenns-conf-'));
    const cwd = mkdtempSync(join(tmpdir(), 'cicenns-cwd-'));
    const apiPort = await freePort();
    const { file: base } = writeTestConfig({
      hvPort: 1,
      tempPort: 1,
      apiPort,
      mqttUrl: servers.mqttUrl,
      influxUrl: servers.influxUrl,
      database: `cfgpaths_${process.pid}`,
      clientIdPrefix: `rp${process.pid}`,
    });
    // a config directory with everything given relative to it
    cpSync(join(ROOT, 'config'), confDir, { recursive: true });
    cpSync(join(base, '..', 'users.yaml'), join(confDir, 'users.yaml'));
    const c = parse(readFileSync(base, 'utf8'));
    c.influx.spoolPath = 'state/spool.db';
    c.alarms = { storePath: 'state/alarms.db' };
    c.auth = { auditPath: 'state/audit.db' };
    c.files = {
      users: 'users.yaml',
      detector: 'detector.yaml',
      calibration: 'calibration.yaml',
      profilesDir: 'profiles',
      alarms: 'alarms.yaml',
    };
    const file = join(confDir, 'cicenns.yaml');
    writeFileSync(file, stringify(c));
    const env = { CICENNS_CONFIG: file };
    for (const name of ['historian', 'alarms', 'api'] as const) {
      const p = new ServiceProcess(name, env, [], cwd).start();
      procs.push(p);
    }
    await procs[2].waitForOutput(/api: listening/);
    await procs[0].waitForOutput(/spool /);
    await procs[1].waitForOutput(/store /);
    for (const f of ['spool.db', 'alarms.db', 'audit.db']) {
      await waitFor(`${f} next to the config`, async () => existsSync(join(confDir, 'state', f)), 10_000);
    }
    expect(procs[0].output).toContain(join(confDir, 'state', 'spool.db'));
    expect(procs[1].output).toContain(join(confDir, 'alarms.yaml'));
    // nothing was created in the working directory
    expect(readdirSync(cwd)).toEqual([]);
    // the api found the users file next to the config: the viewer token works
    const res = await fetch(`http://127.0.0.1:${apiPort}/api/pmts/CsI01-A`, auth);
    expect(res.status).toBe(200);
  });
});
