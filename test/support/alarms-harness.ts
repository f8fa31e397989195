/**
 * The alarm service on real processes, shared by test/alarms.e2e.ts and bench/alarm-latency.ts:
 * simulator, poller, intake, historian and alarms from dist/, Mosquitto and InfluxDB from the
 * e2e globalSetup, Debian's Alertmanager started here. Short simulator periods and a copy of
 * config/alarms.yaml with short delays keep a scenario within seconds.
 */
import { ClientMqtt } from '@nestjs/microservices';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom, timeout } from 'rxjs';
import { parse, stringify } from 'yaml';
import { TestAlertmanager } from './alertmanager';
import { ROOT, ServiceProcess, freePort, type ServiceName } from './processes';
import { writeTestConfig } from './test-config';
import { writeCommissionedCalibration } from './fixtures/commissioned';

export interface AlarmViewLite {
  alarmId: string;
  rule: string;
  state: string;
  conditionActive: boolean;
  severity: string;
  subject: { id: string; kind: string; parent?: string; device?: string };
  ack?: { by: string; comment?: string };
  shelf?: { by: string; reason: string; until: number };
  suppressedBy?: string;
}

export interface JournalEventLite {
  seq: number;
  ts: number;
  alarmId: string;
  action: string;
  from: string;
  to: string;
  severity: string;
  by?: string;
  comment?: string;
  origin?: string;
  beam: { on: boolean | null; power_kw: number | null };
}

export interface HarnessOptions {
  mqttUrl: string;
  influxUrl?: string;
  database?: string;
  /** every rule's delay is capped at this (ms) */
  maxDelayMs?: number;
  pollMs?: number;
  tag: string;
  /**
   * PMTs left with their datasheet records; every other tube is commissioned with the same
   * figures (the calibration alarms judge only commissioned tubes)
   */
  datasheetOnly?: readonly string[];
  /** appended to the overrides of the alarm rules, e.g. a short warm-up for a few PMTs */
  overrides?: Record<string, unknown>[];
}

/** A copy of config/alarms.yaml with every delay capped, so raising takes a fraction of a second. */
export function writeFastAlarmRules(
  dir: string,
  maxDelayMs: number,
  overrides: Record<string, unknown>[] = [],
): string {
  const rules = parse(readFileSync(join(ROOT, 'config', 'alarms.yaml'), 'utf8'));
  rules.overrides = [...(rules.overrides ?? []), ...overrides];
  for (const r of Object.values(rules.rules) as { delayMs: number }[])
    r.delayMs = Math.min(r.delayMs, maxDelayMs);
  for (const o of rules.overrides ?? [])
    if (o.delayMs !== undefined) o.delayMs = Math.min(o.delayMs, maxDelayMs);
  const file = join(dir, 'alarms.yaml');
  writeFileSync(file, stringify(rules));
  return file;
}

export class AlarmsHarness {
  readonly am = new TestAlertmanager();
  procs = new Map<string, ServiceProcess>();
  simUrl = '';
  cfgDir = '';
  storePath = '';
  private client?: ClientMqtt;

  constructor(readonly o: HarnessOptions) {}

  async start(
    names: readonly ServiceName[] = ['simulator', 'intake', 'historian', 'poller', 'alarms'],
  ): Promise<this> {
    await this.am.start();
    const [hvPort, tempPort, simHttp] = [await freePort(), await freePort(), await freePort()];
    let alarmsFile = '';
    const { file, dir } = writeTestConfig({
      hvPort,
      tempPort,
      mqttUrl: this.o.mqttUrl,
      influxUrl: this.o.influxUrl,
      database: this.o.database,
      pollMs: this.o.pollMs ?? 250,
      clientIdPrefix: `${this.o.tag}${process.pid}`,
      mutate: (cfg) => {
        cfg.files.alarms = 'alarms.yaml';
        cfg.alarms = {
          storePath: '', // set below, once the dir is known
          alertmanagerUrl: this.am.url,
          consoleUrl: 'http://console.test',
          resendIntervalMs: 2000,
          evaluationIntervalMs: 200,
        };
      },
    });
    this.cfgDir = dir;
    alarmsFile = writeFastAlarmRules(dir, this.o.maxDelayMs ?? 300, this.o.overrides);
    this.storePath = join(dir, 'alarms.db');
    const cfg = parse(readFileSync(file, 'utf8'));
    cfg.alarms.storePath = this.storePath;
    cfg.files.alarms = alarmsFile;
    cfg.files.calibration = writeCommissionedCalibration(dir, this.o.datasheetOnly);
    writeFileSync(file, stringify(cfg));
    const env = {
      CICENNS_CONFIG: file,
      SIM_HTTP_PORT: String(simHttp),
      SIM_DCR_PERIOD_MS: '250',
      SIM_GAIN_PERIOD_MS: '500',
      SIM_COINC_PERIOD_MS: '250',
      SIM_BEAM_PERIOD_MS: '250',
    };
    this.simUrl = `http://127.0.0.1:${simHttp}`;
    for (const n of names) this.procs.set(n, new ServiceProcess(n, env).start());
    await this.proc('simulator').waitForOutput(/simulator: .*http/);
    await this.proc('alarms').waitForOutput(/alarms: \d+ alarms/);
    this.client = new ClientMqtt({
      url: this.o.mqttUrl,
      clientId: `${this.o.tag}-cmd-${process.pid}`,
      protocolVersion: 4,
    });
    await this.client.connect();
    return this;
  }

  proc(name: string): ServiceProcess {
    const p = this.procs.get(name);
    if (!p) throw new Error(`no process ${name}`);
    return p;
  }

  async stop(): Promise<void> {
    await this.client?.close();
    for (const p of [...this.procs.values()].reverse()) await p.stop();
    await this.am.stop();
  }

  /** A command or query over MQTT (Nest request/response), as the console and CLI will send it. */
  async request<T>(topic: string, data: unknown, timeoutMs = 5000): Promise<T> {
    if (!this.client) throw new Error('not started');
    return firstValueFrom(this.client.send<T>(topic, data).pipe(timeout(timeoutMs)));
  }

  async fault(spec: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${this.simUrl}/api/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    if (!res.ok) throw new Error(`fault ${JSON.stringify(spec)}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  async clearFault(id: string): Promise<void> {
    const res = await fetch(`${this.simUrl}/api/sim/faults/${id}`, { method: 'DELETE' });
    if (!res.ok) throw new Error(`clear fault ${id}: HTTP ${res.status}`);
  }

  /** Process output tails, for a failure message. */
  logs(chars = 3000): string {
    return [...this.procs.values()].map((p) => `--- ${p.name}\n${p.output.slice(-chars)}`).join('\n');
  }
}
