/**
 * The stack brought up the Debian way on this machine, as plain processes: Debian's Mosquitto with
 * the shipped deploy/mosquitto/cicenns.conf and acl (only the port and paths rewritten, a
 * password per ACL user made with mosquitto_passwd), Debian's InfluxDB 1.6 running continuous
 * queries with the retention tiers the historian creates (influx.tiers), Debian's Alertmanager
 * with deploy/alertmanager/alertmanager.yml (its receiver URLs pointed at a webhook here), and our
 * services from dist/ with the environment their unit gives them: the unit's Environment= lines
 * (NODE_ENV=production, CICENNS_CONFIG) and the shipped env files (cicenns.env, <service>.env;
 * passwords and health ports replaced by this test's). The simulator stands in for the detector
 * and the DAQ (broker user daq).
 *
 * Shortened for the test: the aggregate tier's interval is 10 s (RESAMPLE EVERY 1s), not the
 * shipped 1 m, so the continuous query writes within seconds; the poller polls every 500 ms.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { connectAs } from './support/mqtt';
import { parse } from 'yaml';
import { ALERTMANAGER_BIN, type AmAlertStatus } from './support/alertmanager';
import {
  envFileVariables,
  freePort,
  ROOT,
  ServiceProcess,
  unitEnvironment,
  type ServiceName,
} from './support/processes';
import { portOpen, startInflux, stopPid, waitFor } from './support/servers';
import { writeTestConfig } from './support/test-config';

jest.setTimeout(240_000);

const DEPLOY = join(ROOT, 'deploy');
const DB = `stack_${process.pid}`;
/** in the order deploy/README.md starts them: consumers first, producers last */
const SERVICES: ServiceName[] = [
  'historian',
  'alarms',
  'api',
  ...(existsSync(join(ROOT, 'dist', 'apps', 'commissioning', 'src', 'main.js'))
    ? (['commissioning'] as const)
    : []),
  'intake',
  'poller',
];
type Row = Record<string, number | string | null>;

describe('deploy: the stack the Debian way (shipped Mosquitto, InfluxDB tiers, Alertmanager, units)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cicenns-stack-'));
  const passwords: Record<string, string> = {};
  const health: Record<string, string> = {};
  const procs = new Map<string, ServiceProcess>();
  const clients: MqttClient[] = [];
  const webhookPosts: { path: string; receiver: string; alerts: { labels: Record<string, string> }[] }[] = [];
  let mosquitto: ChildProcess;
  let alertmanager: ChildProcess;
  let webhook: Server;
  let influxPid = 0;
  let mqttPort = 0;
  let influxUrl = '';
  let amUrl = '';
  let apiUrl = '';
  let simUrl = '';

  const influxql = async (q: string): Promise<Row[]> => {
    const res = await fetch(`${influxUrl}/query?${new URLSearchParams({ db: DB, q, epoch: 'ms' })}`);
    const body = (await res.json()) as {
      results: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[];
    };
    if (body.results[0].error) throw new Error(body.results[0].error);
    return (body.results[0].series ?? []).flatMap((s) =>
      s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) as Row),
    );
  };

  const as = async (user: string | undefined, password?: string): Promise<MqttClient> => {
    const c = await connectAs(`mqtt://127.0.0.1:${mqttPort}`, user, password);
    clients.push(c);
    return c;
  };

  const logs = () => [...procs.values()].map((p) => `--- ${p.name}\n${p.output.slice(-2000)}`).join('\n');

  beforeAll(async () => {
    // --- Mosquitto: the shipped conf and ACL; one password per user the ACL names
    mqttPort = await freePort();
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, '');
    const acl = readFileSync(join(DEPLOY, 'mosquitto', 'acl'), 'utf8');
    for (const [, user] of acl.matchAll(/^user (\S+)$/gm)) {
      passwords[user] = `${user}-${Math.random().toString(36).slice(2)}`;
      execFileSync('/usr/bin/mosquitto_passwd', ['-b', passwd, user, passwords[user]]);
    }
    mkdirSync(join(dir, 'mosquitto'));
    const conf = readFileSync(join(DEPLOY, 'mosquitto', 'cicenns.conf'), 'utf8')
      .replace(/^listener .*$/m, `listener ${mqttPort} 127.0.0.1`)
      .replace(/^password_file .*$/m, `password_file ${passwd}`)
      .replace(/^acl_file .*$/m, `acl_file ${join(DEPLOY, 'mosquitto', 'acl')}`)
      .replace(/^persistence_location .*$/m, `persistence_location ${dir}/mosquitto/`);
    // as root (this machine), Mosquitto would switch to user mosquitto and lose the temp dir
    writeFileSync(join(dir, 'mosquitto.conf'), `${conf}\nuser root\n`);
    mosquitto = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });

    // --- InfluxDB 1.6 with continuous queries on (Debian's default), its own data dir
    const influxPort = await freePort();
    influxUrl = `http://127.0.0.1:${influxPort}`;
    influxPid = await startInflux(join(dir, 'influxdb'), influxPort, { continuousQueries: true });

    // --- a webhook for Alertmanager's receivers, and the shipped alertmanager.yml pointed at it
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => (body = (body + b.toString()).slice(0, 1_000_000)));
      req.on('end', () => {
        try {
          webhookPosts.push({ path: req.url ?? '', ...JSON.parse(body) });
        } catch {
          /* not JSON: not from Alertmanager */
        }
        res.end();
      });
    });
    const hookPort = await freePort();
    await new Promise<void>((r) => webhook.listen(hookPort, '127.0.0.1', () => r()));
    const amConf = readFileSync(join(DEPLOY, 'alertmanager', 'alertmanager.yml'), 'utf8').replace(
      /^(\s+- url: )http:\/\/127\.0\.0\.1:\d+(\/\S*)/gm,
      `$1http://127.0.0.1:${hookPort}$2`,
    );
    writeFileSync(join(dir, 'alertmanager.yml'), amConf);
    const amPort = await freePort();
    amUrl = `http://127.0.0.1:${amPort}`;
    mkdirSync(join(dir, 'alertmanager'));
    alertmanager = spawn(
      ALERTMANAGER_BIN,
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'alertmanager')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );

    await waitFor('mosquitto with the shipped config', () => portOpen(mqttPort));
    await waitFor('influxd /ping', async () => (await fetch(`${influxUrl}/ping`)).status === 204);
    await waitFor('alertmanager /-/ready', async () => (await fetch(`${amUrl}/-/ready`)).ok);

    // --- the configuration: the shipped one on this test's ports (writeTestConfig), the
    // shipped tiers with a short aggregate interval, intake and poller waiting for the historian
    const [hvPort, tempPort, simHttp, apiPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const stateDir = join(dir, 'state'); // /var/lib/cicenns of a real host
    mkdirSync(stateDir);
    const shipped = parse(readFileSync(join(ROOT, 'config', 'cicenns.yaml'), 'utf8'));
    const { file } = writeTestConfig({
      hvPort,
      tempPort,
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      influxUrl,
      database: DB,
      apiPort,
      pollMs: 500,
      clientIdPrefix: `stack${process.pid}`,
      requireHistorian: true,
      mutate: (cfg) => {
        cfg.influx.tiers = {
          ...shipped.influx.tiers,
          aggregate: {
            ...shipped.influx.tiers.aggregate,
            name: 'cicenns_10s',
            interval: '10s',
            resampleEvery: '1s',
          },
        };
        cfg.alarms = { ...cfg.alarms, alertmanagerUrl: amUrl, consoleUrl: 'http://console.test' };
        cfg.commissioning = { ...cfg.commissioning, storePath: join(stateDir, 'commissioning.db') };
        cfg.files.procedures = join(ROOT, 'config', 'commissioning.yaml');
      },
    });
    apiUrl = `http://127.0.0.1:${apiPort}`;
    simUrl = `http://127.0.0.1:${simHttp}`;

    // --- the services with the environment of cicenns@<service>
    const unitEnv = { ...unitEnvironment(), CICENNS_CONFIG: file };
    const common = envFileVariables(join(DEPLOY, 'env', 'cicenns.env'));
    const start = async (
      name: ServiceName,
      own: Record<string, string>,
      extra: Record<string, string> = {},
    ) => {
      health[name] = `http://127.0.0.1:${await freePort()}`;
      const env: Record<string, string> = {
        ...unitEnv,
        ...common,
        ...own,
        ...extra,
        CICENNS_HEALTH_LISTEN: health[name].slice('http://'.length),
      };
      if (env.MQTT_USERNAME) env.MQTT_PASSWORD = passwords[env.MQTT_USERNAME];
      // ExecStart: node $CICENNS_NODE_FLAGS .../main.js
      const nodeFlags = (env.CICENNS_NODE_FLAGS ?? '').split(/\s+/).filter((f) => f !== '');
      procs.set(name, new ServiceProcess(name, env, nodeFlags, stateDir).start());
    };
    for (const name of SERVICES) {
      const own = envFileVariables(join(DEPLOY, 'env', `${name}.env`));
      expect(own.MQTT_USERNAME).toBe(name);
      expect(passwords[own.MQTT_USERNAME]).toBeDefined(); // the ACL names every service's user
      await start(name, own);
    }
    // the detector and its DAQ: broker user daq
    await start(
      'simulator',
      { MQTT_USERNAME: 'daq' },
      { SIM_HTTP_PORT: String(simHttp), SIM_DCR_PERIOD_MS: '1000', SIM_GAIN_PERIOD_MS: '1000' },
    );
  });

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    for (const p of [...procs.values()].reverse()) await p.stop();
    alertmanager?.kill();
    mosquitto?.kill();
    if (influxPid) stopPid(influxPid);
    await new Promise<void>((r) => (webhook ? webhook.close(() => r()) : r()));
  });

  it('every service answers /readyz 200 once started, and /livez with its uptime', async () => {
    for (const name of [...SERVICES, 'simulator']) {
      await waitFor(
        `${name} /readyz 200`,
        async () => (await fetch(`${health[name]}/readyz`)).status === 200,
        60_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${logs()}`);
      });
      const live = await fetch(`${health[name]}/livez`);
      expect(live.status).toBe(200);
      expect(await live.json()).toMatchObject({
        status: 'alive',
        service: name,
        uptimeS: expect.any(Number),
      });
    }
    // the production API: no demo accounts, a login is needed; its own health route stays
    // (deploy/README.md: an upgrade waits for the historian's backlog to be 0 here)
    expect((await fetch(`${apiUrl}/api/pmts`)).status).toBe(401);
    const h = await fetch(`${apiUrl}/api/health`);
    expect(h.status).toBe(200);
    type Health = { services: Record<string, { counters?: Record<string, number> }> };
    await waitFor('the historian in /api/health', async () => {
      const r = (await (await fetch(`${apiUrl}/api/health`)).json()) as Health;
      return typeof r.services.historian?.counters?.backlogLines === 'number';
    });
  });

  it('readings flow into the raw tier (poller HV, DAQ DCR through the intake) and into the aggregate tier', async () => {
    await waitFor(
      'HV and DCR readings in cicenns_raw',
      async () => {
        const hv = await influxql(`SELECT count(vmon) FROM "${DB}"."cicenns_raw"."hv"`);
        const dcr = await influxql(`SELECT count(*) FROM "${DB}"."cicenns_raw"."dcr"`);
        return Number(hv[0]?.count ?? 0) > 0 && dcr.length > 0;
      },
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${logs()}`);
    });
    const policies = await influxql(`SHOW RETENTION POLICIES ON "${DB}"`);
    expect(policies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'cicenns_raw', duration: '720h0m0s', default: true }),
        expect.objectContaining({ name: 'cicenns_10s', duration: '87600h0m0s', default: false }),
      ]),
    );
    // the continuous query runs every second over the last whole 10 s intervals
    await waitFor(
      'HV aggregates in cicenns_10s',
      async () => {
        const rows = await influxql(
          `SELECT count_vmon, mean_vmon FROM "${DB}"."cicenns_10s"."hv" WHERE pmt = 'CsI01-A'`,
        );
        return rows.some((r) => Number(r.count_vmon) > 0 && typeof r.mean_vmon === 'number');
      },
      60_000,
    );
    // the services' health as measurement service: the shipped ACL lets the historian read all of it
    await waitFor(
      "the poller's and the intake's health in measurement service",
      async () => {
        const rows = await influxql(`SELECT "service", "state" FROM "${DB}"."cicenns_raw"."service"`);
        const services = new Set(rows.map((r) => r.service));
        return ['poller', 'intake', 'historian'].every((s) => services.has(s));
      },
      60_000,
    );
  });

  it('an alarm reaches Alertmanager (API v2) and its on-call receiver: an HV trip injected into the simulator', async () => {
    const res = await fetch(`${simUrl}/api/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'hv-trip', pmt: 'CsI02-A' }),
    });
    expect(res.status).toBeLessThan(300);
    const filter = ['alertname="hv-trip"', 'pmt="CsI02-A"'].map((f) => `filter=${encodeURIComponent(f)}`);
    let alerts: AmAlertStatus[] = [];
    await waitFor(
      'hv-trip:CsI02-A in Alertmanager',
      async () => {
        alerts = (await (
          await fetch(`${amUrl}/api/v2/alerts?${filter.join('&')}`)
        ).json()) as AmAlertStatus[];
        return alerts.length > 0;
      },
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${logs()}`);
    });
    expect(alerts[0].labels).toMatchObject({ alertname: 'hv-trip', severity: 'alarm', pmt: 'CsI02-A' });
    expect(alerts[0].status.state).toBe('active');
    // severity=alarm routes to on-call (group_wait 10 s in the shipped file)
    await waitFor(
      'the on-call webhook',
      async () =>
        webhookPosts.some(
          (p) => p.receiver === 'on-call' && p.alerts.some((a) => a.labels.pmt === 'CsI02-A'),
        ),
      40_000,
    );
    expect(webhookPosts.find((p) => p.receiver === 'on-call')?.path).toBe('/page/cicenns-oncall');
  });

  it('the ACL: no client without a password; user intake cannot send an HV command, the api can', async () => {
    await expect(as(undefined)).rejects.toThrow(/Not authorized|Connection refused/i);
    await expect(as('intake', 'wrong')).rejects.toThrow(/Not authorized|Connection refused|Bad username/i);

    const monitor = await as('monitor', passwords.monitor);
    const seen: string[] = [];
    monitor.on('message', (t, p) => seen.push(`${t} ${p.toString().slice(0, 60)}`));
    await monitor.subscribeAsync(['cicenns/sc/hv/cmd/write', 'cicenns/sc/readings/intake'], { qos: 1 });
    // a well-formed Nest request, as the API sends it: set CsI05-B's VSet
    const command = {
      pattern: 'cicenns/sc/hv/cmd/write',
      id: 'stack-test-1',
      data: {
        pmt: 'CsI05-B',
        register: 'vset',
        value: 1000,
        user: 'intruder',
        operationId: 'stack-test-1',
        expiresAt: Date.now() + 60_000,
      },
    };
    const intake = await as('intake', passwords.intake);
    await intake.publishAsync('cicenns/sc/hv/cmd/write', JSON.stringify(command), { qos: 1 });
    // then a marker where user intake may publish: had the command been let through, it would
    // reach the monitor first (one publisher, one subscriber: in order)
    await intake.publishAsync(
      'cicenns/sc/readings/intake',
      JSON.stringify({ service: 'intake', seq: 0, readings: [] }),
      { qos: 1 },
    );
    await waitFor(
      'the marker',
      async () => seen.some((s) => s.startsWith('cicenns/sc/readings/intake ')),
      10_000,
    );
    expect(seen.filter((s) => s.startsWith('cicenns/sc/hv/cmd/write'))).toEqual([]);
    // and the poller wrote nothing: CsI05-B's VSet stays what it was
    await new Promise((r) => setTimeout(r, 1500));
    // (VSet is stored on change and every 10 min, docs/DATA.md: its last stored value)
    const vset = await influxql(
      `SELECT last(vset) FROM "${DB}"."cicenns_raw"."hv" WHERE pmt = 'CsI05-B' AND time > now() - 11m`,
    );
    expect(vset[0]?.last).toEqual(expect.any(Number));
    expect(vset[0]?.last).not.toBe(1000);

    // the same command from user api passes the broker
    const api = await as('api', passwords.api);
    await api.publishAsync(
      'cicenns/sc/hv/cmd/write',
      JSON.stringify({ ...command, id: 'x', data: { ...command.data, value: 1001 } }),
      {
        qos: 1,
      },
    );
    await waitFor(
      'the api command at the monitor',
      async () => seen.some((s) => s.startsWith('cicenns/sc/hv/cmd/write ')),
      10_000,
    );
  });

  it('a bad CICENNS_HEALTH_LISTEN stops a service with exit 2 (no restart loop under the unit) naming the variable', async () => {
    const bad = new ServiceProcess('alarms', { ...unitEnvironment(), CICENNS_HEALTH_LISTEN: '9104' }).start();
    const code = await new Promise<number | null>((r) => bad.child!.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(bad.output).toMatch(
      /alarms: ERROR configuration error: environment: CICENNS_HEALTH_LISTEN: must be host:port, got "9104"/,
    );
  });
});
