/**
 * The API alone on a generated detector (gen:detector's writeGeneratedConfig), for the paging,
 * group and console tests at scale and bench/console-scale.ts: no simulator or poller (too slow
 * for HV at 45,000 tubes), HV readings published straight onto the bus as the poller would
 * (one batch per crate on cicenns/sc/readings/<service>).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { Topics, type Reading } from '@cicenns/contracts';
import { hashPassword } from '@cicenns/common';
import { writeGeneratedConfig, type Pmt } from '@cicenns/model';
import { ServiceProcess, freePorts } from './processes';
import { waitFor } from './servers';

export const GEN_PASSWORD = 'correct horse battery staple';

/** Log in as the generated configuration's viewer: its bearer token. */
export async function viewerToken(url: string): Promise<string> {
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'viewer', password: GEN_PASSWORD }),
  });
  return ((await login.json()) as { token: string }).token;
}

/** Until the API holds an HV reading of every PMT (none left in state no-data). */
export async function waitForEveryPmt(url: string, token: string, timeoutMs: number): Promise<void> {
  await waitFor(
    'the first sweep in the API',
    async () => {
      const r = await fetch(`${url}/api/pmts?state=no-data&limit=1`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return r.headers.get('x-total-count') === '0';
    },
    timeoutMs,
  );
}

export interface GeneratedApi {
  api: ServiceProcess;
  url: string;
  stop(): Promise<void>;
}

/** Writes the configuration of `pmts` tubes into `dir`, users viewer/shifter/expert, starts the API. */
export async function startGeneratedApi(o: {
  pmts: number;
  dir: string;
  mqttUrl: string;
  tag: string;
  /** e.g. --cpu-prof */
  nodeArgs?: string[];
  /** run the API of another built checkout (a benchmark's baseline) */
  root?: string;
}) {
  writeGeneratedConfig({ pmts: o.pmts }, o.dir);
  const file = join(o.dir, 'cicenns.yaml');
  const yaml = readFileSync(file, 'utf8')
    .replace(/^ {2}clientIdPrefix: .*$/m, `  clientIdPrefix: ${o.tag}${process.pid}`)
    .replace(/^ {2}profilesDir: profiles$/m, '  profilesDir: profiles\n  users: users.yaml');
  writeFileSync(file, yaml);
  const users = [];
  for (const role of ['viewer', 'shifter', 'expert'])
    users.push({ name: role, role, password: await hashPassword(GEN_PASSWORD) });
  writeFileSync(join(o.dir, 'users.yaml'), stringify({ users }));
  const [port] = await freePorts(1);
  const api = new ServiceProcess(
    'api',
    {
      CICENNS_CONFIG: file,
      MQTT_URL: o.mqttUrl,
      INFLUX_URL: '',
      PORT: String(port),
    },
    o.nodeArgs,
    undefined,
    o.root,
  ).start();
  await api.waitForOutput(/api: listening/, 120_000);
  return { api, url: `http://127.0.0.1:${port}`, file, stop: () => api.stop() };
}

/** status bits of generic-hv: on, tripped */
export const HV_ON = 1;
export const HV_TRIPPED = 64;

/** Publishes HV readings as the poller does: one batch per crate, in inventory order. */
export class HvFeeder {
  private seq = 0;
  readonly client: MqttClient;

  constructor(
    mqttUrl: string,
    private readonly service: string,
  ) {
    this.client = connect(mqttUrl, { clientId: `${service}-${process.pid}`, clean: true });
  }

  ready(): Promise<void> {
    return new Promise((r) => (this.client.connected ? r() : this.client.once('connect', () => r())));
  }

  /**
   * One sweep of `pmts`; `status` per PMT (default on); resolves once all are sent. Each crate's
   * batch is stamped as it is built, as the poller stamps a crate's answer.
   */
  async sweep(pmts: readonly Pmt[], status: (p: Pmt) => number = () => HV_ON): Promise<void> {
    const byCrate = new Map<string, Pmt[]>();
    for (const p of pmts) {
      const list = byCrate.get(p.hv.device) ?? [];
      list.push(p);
      byCrate.set(p.hv.device, list);
    }
    const sent: Promise<void>[] = [];
    for (const crate of byCrate.values()) {
      const ts = Date.now();
      const readings: Reading[] = crate.map((p) => ({
        m: 'hv',
        id: p.id,
        ts,
        quality: 'good',
        fields: { vset: 1200, vmon: 1200 + (ts % 1000) / 1000, imon: 2.5, status: status(p) },
        source: p.hv.device,
      }));
      const payload = JSON.stringify({ service: this.service, seq: this.seq++, readings });
      sent.push(
        new Promise<void>((resolve, reject) =>
          this.client.publish(Topics.readings(this.service), payload, { qos: 0 }, (err) =>
            err ? reject(err) : resolve(),
          ),
        ),
      );
    }
    await Promise.all(sent);
  }

  close(): Promise<void> {
    return new Promise((r) => this.client.end(false, {}, () => r()));
  }
}
