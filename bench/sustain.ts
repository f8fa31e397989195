/**
 * Sustained runs per detector size (issue 13): for each N, a generated detector of N PMTs
 * (writeGeneratedConfig) served by the simulator (HV over Modbus for every crate at 1 Hz, DCR of
 * every PMT once a second as one SPEC 2.3 sweep, gains every 10 min, temperatures at 0.5 Hz), and
 * the whole system on it as processes from dist/: poller, intake, historian into a real InfluxDB,
 * alarms, API, with a fresh Mosquitto and InfluxDB (test/support/servers) per N. After a warm-up,
 * a window of --minutes is measured:
 * - CPU (cores, from /proc/<pid>/stat) and peak RSS (VmHWM) of each process, the brokers' too;
 *   the simulator apart, not in the total; the box's own busy time and load average beside it
 *   (the box is shared: what others used shows as "others");
 * - lag from a reading's ts to queryable in InfluxDB: the newest point of one PMT's DCR and HV
 *   and one sensor's temperature, queried every PROBE_MS; a new timestamp's lag is when it was
 *   first seen (resolution PROBE_MS);
 * - lag from a reading's ts to evaluated by the alarm service: its health's cumulative bucket
 *   counts at the window's start and end, subtracted (LagHistogram);
 * - backlog at the start and the end: the historian's spool (health backlogLines), the broker's
 *   stored messages ($SYS/broker/store/messages/count), the alarm service's readings behind.
 *
 *   npm run bench:sustain -- --pmts 1000,5000 --minutes 10 [--warmup 60] [--md FILE] [--json FILE]
 *   SUSTAIN_KEEP=1 keeps each run's directory (configuration, logs, data); SERVICE_NODE_OPTIONS
 *   replaces the shipped NODE_OPTIONS (deploy/env/cicenns.env), SERVICE_NODE_FLAGS the unit's
 *   CICENNS_NODE_FLAGS (deploy/systemd); the services get the unit's MALLOC_* settings (SERVICE_MALLOC_DEFAULTS=1: glibc's).
 *   SUSTAIN_SERVICES=historian,simulator,poller runs only those services (the rest show as missing
 *   figures); SUSTAIN_SIMULATOR_ROOT=DIR runs the simulator from another checkout's dist/ (a
 *   baseline of the simulator alone, everything else this build). SUSTAIN_INFLUX_CQ=0 runs InfluxDB
 *   with its continuous-query service off (the aggregate tier is not filled): what they cost.
 *   SUSTAIN_AGGREGATES=historian has the historian compute the aggregate tier
 *   (influx.tiers.aggregate.computedBy: historian; InfluxDB then runs no continuous query of ours).
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect, type MqttClient } from 'mqtt';
import { parse, stringify } from 'yaml';
import { denseCounts, percentilesOf } from '@cicenns/common';
import {
  healthReceiveCapBytes,
  MAX_CONNECTIONS,
  parseHealth,
  Topics,
  type ServiceHealth,
} from '@cicenns/contracts';
import {
  generateDetector,
  loadSystemConfig,
  writeGeneratedConfig,
  type GeneratedDetector,
} from '@cicenns/model';
import { startInflux, startMosquitto, stopPid, waitFor, portOpen } from '../test/support/servers';
import {
  deployedMallocEnvironment,
  deployedNodeFlags,
  deployedNodeOptions,
  freePort,
  READY_LINE,
  ServiceProcess,
  sleep,
  type ServiceName,
} from '../test/support/processes';
import { TEST_VIEWER_TOKEN } from '../test/support/test-config';
import { boxTicks, CLOCK_TICKS_PER_S, cpuTicks, loadAverage, statusMb } from './proc-stats';

const PROBE_MS = 200;
const TAIL_S = 120;
const SAMPLE_MS = 5000;
/** started in this order: the historian's session first (intake and poller wait for it) */
const SERVICES: ServiceName[] = ['historian', 'intake', 'alarms', 'api', 'simulator', 'poller'];
const OURS = ['poller', 'intake', 'historian', 'alarms', 'api'] as const;
/** SUSTAIN_SERVICES=historian,simulator,poller: only those (the poller waits for the historian) */
const ONLY = process.env.SUSTAIN_SERVICES?.split(',');
const SERVERS = ['mosquitto', 'influxd'] as const;

interface Options {
  pmts: number[];
  minutes: number;
  warmupS: number;
  md?: string;
  json?: string;
}

interface Sample {
  t: number;
  ticks: Record<string, number>;
  rss: Record<string, number>;
  box: { busy: number; total: number };
  load1: number;
  bench: number;
}

interface Moment {
  sample: Sample;
  health: Record<string, ServiceHealth | undefined>;
  brokerStored?: number;
  brokerBytes?: number;
}

interface Result {
  pmts: number;
  detector: Pick<GeneratedDetector, 'hvCrates' | 'hvGateways' | 'sensors' | 'transmitters' | 'tempLines'>;
  minutes: number;
  startedAt: string;
  readyS: number;
  cores: Record<string, number>;
  peakRssMb: Record<string, number>;
  endRssMb: Record<string, number>;
  totalCores: number;
  boxBusyCores: number;
  othersCores: number;
  benchCores: number;
  load: { start: number; end: number; mean: number };
  influxLagMs: Record<string, { p50?: number; p99?: number; n: number }>;
  /** the same over the window's last TAIL_S: a backlog from the start-up caught up shows here */
  influxTailLagMs: Record<string, { p50?: number; p99?: number; n: number }>;
  alarmLagMs: { p50?: number; p99?: number; n: number };
  backlog: {
    spool: [number | undefined, number | undefined];
    brokerStored: [number | undefined, number | undefined];
    brokerMb: [number | undefined, number | undefined];
    alarmsBehind: [number | undefined, number | undefined];
  };
  rates: {
    historianWritesPerS?: number;
    pollerOverrunsPerS?: number;
    intakeReadingsPerS?: number;
    pollerReadingsPerS?: number;
    historianWrittenPerS?: number;
    alarmsReadingsPerS?: number;
  };
  sustained: boolean;
  verdict: string;
  exited: string[];
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      pmts: { type: 'string', default: '1000,5000' },
      minutes: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '60' },
      md: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const pmts = values.pmts.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  const minutes = Number(values.minutes);
  const warmupS = Number(values.warmup);
  if (pmts.some((n) => !Number.isInteger(n) || n < 4 || n % 2 !== 0))
    throw new Error(`--pmts: even whole numbers of at least 4, comma-separated (got "${values.pmts}")`);
  if (!(minutes > 0)) throw new Error(`--minutes must be positive (got "${values.minutes}")`);
  if (!(warmupS >= 0)) throw new Error(`--warmup must be 0 or more seconds (got "${values.warmup}")`);
  return { pmts, minutes, warmupS, md: values.md, json: values.json };
}

/** `n` consecutive TCP ports nobody listens on, from a free one upwards. */
async function freeRun(n: number): Promise<number> {
  const canBind = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (;;) {
    const base = await freePort();
    if (base + n > 65_000) continue;
    let ok = true;
    for (let p = base; p < base + n && ok; p++) ok = await canBind(p);
    if (ok) return base;
  }
}

/**
 * The generated configuration pointed at this run's servers: a DCR sweep of N entries is about
 * 20 bytes each, above the intake's default 64 KB payload limit from ~3,000 PMTs, so the limit
 * (and the broker packet size it is checked against) grow with N.
 */
async function writeConfig(dir: string, n: number, mqttUrl: string, influxUrl: string) {
  const layout = generateDetector({ pmts: n }); // only for how many ports it needs
  const portBase = await freeRun(layout.hvGateways + layout.tempLines);
  const g = writeGeneratedConfig({ pmts: n, portBase }, dir);
  const file = join(dir, 'cicenns.yaml');
  const cfg = parse(readFileSync(file, 'utf8'));
  cfg.mqtt.url = mqttUrl;
  cfg.mqtt.clientIdPrefix = `sustain${n}`;
  cfg.influx.url = influxUrl;
  cfg.influx.database = 'cicenns';
  if (process.env.SUSTAIN_AGGREGATES)
    cfg.influx.tiers = {
      ...cfg.influx.tiers,
      aggregate: { ...cfg.influx.tiers?.aggregate, computedBy: process.env.SUSTAIN_AGGREGATES },
    };
  cfg.api.port = await freePort();
  const sweepBytes = 64 * 1024 + n * 40;
  cfg.intake.maxPayloadBytes = Math.max(cfg.intake.maxPayloadBytes, sweepBytes);
  cfg.intake.brokerMaxPacketBytes = Math.max(cfg.intake.brokerMaxPacketBytes, 2 * sweepBytes);
  cfg.files = { ...cfg.files, users: 'users.yaml' };
  mkdirSync(join(dir, 'var'), { recursive: true });
  writeFileSync(file, stringify(cfg, { lineWidth: 0 }));
  const sha256 = createHash('sha256').update(TEST_VIEWER_TOKEN).digest('hex');
  writeFileSync(
    join(dir, 'users.yaml'),
    stringify({ users: [{ name: 'bench', role: 'viewer', tokens: [{ name: 'bench', sha256 }] }] }),
  );
  return { file, g };
}

/** Health reports and the broker's $SYS store figures, as they arrive. */
class Watcher {
  readonly health: Record<string, ServiceHealth | undefined> = {};
  brokerStored?: number;
  brokerBytes?: number;
  private constructor(readonly client: MqttClient) {}

  static async open(url: string): Promise<Watcher> {
    const client = connect(url, {
      clientId: `sustain-watch-${process.pid}`,
      clean: true,
      reconnectPeriod: 500,
    });
    await new Promise<void>((r, j) => {
      client.once('connect', () => r());
      client.once('error', j);
    });
    const w = new Watcher(client);
    client.on('message', (topic, payload) => {
      const text = payload.toString();
      if (topic === '$SYS/broker/store/messages/count') w.brokerStored = Number(text);
      else if (topic === '$SYS/broker/store/messages/bytes') w.brokerBytes = Number(text);
      else if (topic.startsWith(Topics.health(''))) {
        // the poller's lists every crate: beyond the default cap from 10,000 PMTs
        const h = text.length > 0 ? parseHealth(text, healthReceiveCapBytes(MAX_CONNECTIONS)) : undefined;
        if (h) w.health[h.service] = h;
      }
    });
    await client.subscribeAsync([Topics.health('+'), '$SYS/broker/store/messages/+'], { qos: 0 });
    return w;
  }

  /** Wait for a health report of every one of `services` younger than `sinceMs`. */
  async fresh(
    services: readonly string[],
    sinceMs: number,
  ): Promise<Record<string, ServiceHealth | undefined>> {
    await waitFor(
      'fresh health reports',
      async () => services.every((s) => (this.health[s]?.ts ?? 0) >= sinceMs),
      15_000,
    ).catch(
      () => undefined, // a service that stopped reporting shows as missing figures, not a crash of the bench
    );
    return { ...this.health };
  }
}

/** Newest point of each probed series, polled; the first sight of each timestamp is its lag. */
class InfluxProbe {
  readonly lags: Record<string, number[]> = {};
  /** when each lag was seen, parallel to lags: the window's last minutes apart from its start */
  readonly seenAt: Record<string, number[]> = {};
  private newest: Record<string, number> = {};
  private timer?: NodeJS.Timeout;
  private busy = false;
  recording = false;

  constructor(
    private readonly url: string,
    private readonly series: Record<string, string>,
  ) {
    for (const k of Object.keys(series)) {
      this.lags[k] = [];
      this.seenAt[k] = [];
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), PROBE_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.busy) return; // a slow InfluxDB: no pile-up of probes (the lag shows it)
    this.busy = true;
    try {
      const names = Object.keys(this.series);
      const q = names.map((k) => this.series[k]).join(';');
      const res = await fetch(`${this.url}/query?db=cicenns&epoch=ms&q=${encodeURIComponent(q)}`);
      const seenAt = Date.now();
      if (!res.ok) return;
      const body = (await res.json()) as { results: { series?: { values: number[][] }[] }[] };
      body.results.forEach((r, i) => {
        const ts = r.series?.[0]?.values?.[0]?.[0];
        const k = names[i];
        if (typeof ts !== 'number' || ts <= (this.newest[k] ?? 0)) return;
        if (this.newest[k] !== undefined && this.recording) {
          this.lags[k].push(seenAt - ts);
          this.seenAt[k].push(seenAt);
        }
        this.newest[k] = ts;
      });
    } catch {
      /* not up yet, or a slow query: the next poll tries again */
    } finally {
      this.busy = false;
    }
  }
}

function sampleAll(pids: Record<string, number>): Sample {
  const ticks: Record<string, number> = {};
  const rss: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) {
    ticks[k] = cpuTicks(pid);
    rss[k] = statusMb(pid, 'VmRSS');
  }
  const u = process.cpuUsage();
  return {
    t: Date.now(),
    ticks,
    rss,
    box: boxTicks(),
    load1: loadAverage()[0],
    bench: (u.user + u.system) / 1e6,
  };
}

const pct = (xs: number[], q: number) => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

async function runOne(n: number, o: Options): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), `cicenns-sustain-${n}-`));
  const startedAt = new Date().toISOString();
  const pids: Record<string, number> = {};
  const procs: ServiceProcess[] = [];
  let watcher: Watcher | undefined;
  let probe: InfluxProbe | undefined;
  try {
    const mqttPort = await freePort();
    const influxPort = await freePort();
    pids.mosquitto = startMosquitto(join(dir, 'mosquitto'), mqttPort);
    // the 1-min aggregates run (SUSTAIN_INFLUX_CQ=0: InfluxDB's continuous-query service off, to
    // tell their cost), and the series index is TSI, as deployed (deploy/README.md)
    pids.influxd = await startInflux(join(dir, 'influxdb'), influxPort, {
      continuousQueries: process.env.SUSTAIN_INFLUX_CQ !== '0',
      index: 'tsi1',
    });
    const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    const influxUrl = `http://127.0.0.1:${influxPort}`;
    await waitFor('influxd /ping', async () => (await fetch(`${influxUrl}/ping`)).status === 204, 60_000);
    await waitFor('mosquitto port', () => portOpen(mqttPort), 20_000);
    const { file, g } = await writeConfig(dir, n, mqttUrl, influxUrl);
    const cfg = loadSystemConfig(file, {});
    watcher = await Watcher.open(mqttUrl);

    const env: NodeJS.ProcessEnv = {
      ...deployedMallocEnvironment(),
      CICENNS_CONFIG: file,
      NODE_OPTIONS: deployedNodeOptions(),
      NODE_ENV: 'production',
      SIM_HTTP_PORT: String(await freePort()),
      SIM_DCR_FORM: 'sweep',
      SIM_DCR_PERIOD_MS: '1000',
      SIM_GAIN_PERIOD_MS: '600000',
      SIM_SEED: '13',
    };
    const t0 = Date.now();
    for (const name of SERVICES.filter((s) => !ONLY || ONLY.includes(s))) {
      const root = name === 'simulator' ? process.env.SUSTAIN_SIMULATOR_ROOT : undefined;
      const p = new ServiceProcess(name, env, deployedNodeFlags(), dir, root).start();
      procs.push(p);
      // the intake and poller wait for the historian's session; the rest is independent
      if (name === 'historian' || name === 'simulator') await p.waitForOutput(READY_LINE[name]!, 300_000);
    }
    for (const p of procs) await p.waitForOutput(READY_LINE[p.name]!, 600_000);
    const readyS = (Date.now() - t0) / 1000;
    for (const p of procs) pids[p.name] = p.child!.pid!;
    process.stderr.write(`N=${n}: all ready in ${readyS.toFixed(1)} s; warm-up ${o.warmupS} s\n`);

    const pmt = cfg.detector.pmts[cfg.detector.pmts.length - 1].id; // last in the sweep and on the last crate
    const sensor = cfg.detector.sensors[cfg.detector.sensors.length - 1].id;
    const rp = cfg.app.influx.tiers.raw.name;
    const newest = (m: string, tag: string, id: string) =>
      `SELECT * FROM "${rp}"."${m}" WHERE "${tag}"='${id}' AND time > now() - 10m ORDER BY time DESC LIMIT 1`;
    probe = new InfluxProbe(influxUrl, {
      dcr: newest('dcr', 'pmt', pmt),
      hv: newest('hv', 'pmt', pmt),
      temperature: newest('temperature', 'sensor', sensor),
    });
    probe.start();
    await sleep(o.warmupS * 1000);

    const moment = async (): Promise<Moment> => {
      const sample = sampleAll(pids);
      const health = await watcher!.fresh(OURS, sample.t - 100);
      return { sample, health, brokerStored: watcher!.brokerStored, brokerBytes: watcher!.brokerBytes };
    };
    const start = await moment();
    probe.recording = true;
    const loads: number[] = [start.sample.load1];
    const peakRss: Record<string, number> = {};
    const until = start.sample.t + o.minutes * 60_000;
    while (Date.now() < until) {
      await sleep(Math.min(SAMPLE_MS, Math.max(0, until - Date.now())));
      const s = sampleAll(pids);
      loads.push(s.load1);
      for (const [k, v] of Object.entries(s.rss)) if (!(v <= (peakRss[k] ?? 0))) peakRss[k] = v;
      const gone = procs.filter((p) => p.child?.exitCode !== null || p.child?.signalCode !== null);
      if (gone.length) process.stderr.write(`N=${n}: exited: ${gone.map((p) => p.name).join(', ')}\n`);
    }
    probe.recording = false;
    const end = await moment();
    for (const [k, pid] of Object.entries(pids)) peakRss[k] = statusMb(pid, 'VmHWM') || peakRss[k];
    return summarize(n, g, o, startedAt, readyS, start, end, loads, peakRss, probe, procs);
  } finally {
    probe?.stop();
    await watcher?.client.endAsync().catch(() => undefined);
    for (const p of [...procs].reverse()) await p.stop();
    for (const s of SERVERS) if (pids[s]) stopPid(pids[s]);
    await sleep(1000);
    for (const s of SERVERS) if (pids[s]) stopPid(pids[s], 'SIGKILL');
    if (process.env.SUSTAIN_KEEP) process.stderr.write(`N=${n}: kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function summarize(
  n: number,
  g: GeneratedDetector,
  o: Options,
  startedAt: string,
  readyS: number,
  start: Moment,
  end: Moment,
  loads: number[],
  peakRss: Record<string, number>,
  probe: InfluxProbe,
  procs: ServiceProcess[],
): Result {
  const wallS = (end.sample.t - start.sample.t) / 1000;
  const cores: Record<string, number> = {};
  for (const k of Object.keys(start.sample.ticks))
    cores[k] = (end.sample.ticks[k] - start.sample.ticks[k]) / CLOCK_TICKS_PER_S / wallS;
  const totalCores = [...OURS, ...SERVERS].reduce((a, k) => a + (cores[k] || 0), 0);
  const boxBusyCores = (end.sample.box.busy - start.sample.box.busy) / CLOCK_TICKS_PER_S / wallS;
  const benchCores = (end.sample.bench - start.sample.bench) / wallS;
  const othersCores = boxBusyCores - totalCores - (cores.simulator || 0) - benchCores;

  const counter = (m: Moment, svc: string, c: string) => m.health[svc]?.counters?.[c];
  const rate = (svc: string, c: string) => {
    const a = counter(start, svc, c);
    const b = counter(end, svc, c);
    return a === undefined || b === undefined ? undefined : (b - a) / wallS;
  };
  const buckets = (m: Moment) =>
    denseCounts(
      ((m.health.alarms?.detail as { evaluationLagBuckets?: Record<string, number> } | undefined)
        ?.evaluationLagBuckets ?? {}) as Record<string, number>,
    );
  const b0 = buckets(start);
  const window = buckets(end).map((c, i) => c - b0[i]);
  const [ap50, ap99] = percentilesOf(window, [0.5, 0.99]);
  const lagFigures = (xs: number[]) => ({ p50: pct(xs, 0.5), p99: pct(xs, 0.99), n: xs.length });
  const influxLagMs = Object.fromEntries(Object.entries(probe.lags).map(([k, xs]) => [k, lagFigures(xs)]));
  const tailFrom = end.sample.t - TAIL_S * 1000;
  const influxTailLagMs = Object.fromEntries(
    Object.entries(probe.lags).map(([k, xs]) => [
      k,
      lagFigures(xs.filter((_, i) => probe.seenAt[k][i] >= tailFrom)),
    ]),
  );
  // readings the intake and poller published that the alarm service has not evaluated yet
  const behind = (m: Moment) => {
    const pub =
      (counter(m, 'intake', 'readingsPublished') ?? NaN) + (counter(m, 'poller', 'readingsPublished') ?? NaN);
    const seen = counter(m, 'alarms', 'readings');
    return seen === undefined || Number.isNaN(pub) ? undefined : pub - seen;
  };
  const spool: [number | undefined, number | undefined] = [
    counter(start, 'historian', 'backlogLines'),
    counter(end, 'historian', 'backlogLines'),
  ];
  const brokerStored: [number | undefined, number | undefined] = [start.brokerStored, end.brokerStored];
  const alarmsBehind: [number | undefined, number | undefined] = [behind(start), behind(end)];
  const exited = procs
    .filter((p) => p.child?.exitCode !== null || p.child?.signalCode !== null)
    .map((p) => p.name);

  // Not sustained: a backlog that grew over the window by more than 5 s of the detector's readings
  // (2N a second: DCR and HV) plus one historian batch (health reports are up to 2 s apart, the
  // spool holds up to a batch), a lag beyond 10 s, or a process that died.
  const allowance = 10 * n + 5000;
  const grew = (b: [number | undefined, number | undefined]) =>
    b[0] !== undefined && b[1] !== undefined && b[1] - b[0] > allowance;
  const reasons: string[] = [];
  if (exited.length) reasons.push(`exited: ${exited.join(', ')}`);
  for (const [name, b] of [
    ['spool', spool],
    ['broker store', brokerStored],
    ['alarm service behind', alarmsBehind],
  ] as const)
    if (grew(b)) reasons.push(`${name} grew ${(((b[1]! - b[0]!) / wallS) * 60).toFixed(0)} per minute`);
  if (ap99 === undefined) reasons.push('no alarm evaluation figures');
  else if (ap99 > 10_000) reasons.push(`alarm evaluation p99 ${ap99.toFixed(0)} ms`);
  // judged on the window's end: a start-up backlog drained during the window is not a failure
  for (const [k, l] of Object.entries(influxTailLagMs)) {
    if (l.n === 0) reasons.push(`no new ${k} point seen in InfluxDB in the last ${TAIL_S} s`);
    else if ((l.p99 ?? 0) > 10_000) reasons.push(`InfluxDB ${k} lag p99 ${l.p99} ms in the last ${TAIL_S} s`);
  }
  return {
    pmts: n,
    detector: {
      hvCrates: g.hvCrates,
      hvGateways: g.hvGateways,
      sensors: g.sensors,
      transmitters: g.transmitters,
      tempLines: g.tempLines,
    },
    minutes: wallS / 60,
    startedAt,
    readyS,
    cores,
    peakRssMb: peakRss,
    endRssMb: end.sample.rss,
    totalCores,
    boxBusyCores,
    othersCores,
    benchCores,
    load: {
      start: start.sample.load1,
      end: end.sample.load1,
      mean: loads.reduce((a, b) => a + b, 0) / loads.length,
    },
    influxLagMs,
    influxTailLagMs,
    alarmLagMs: { p50: ap50, p99: ap99, n: window.reduce((a, b) => a + b, 0) },
    backlog: {
      spool,
      brokerStored,
      brokerMb: [start.brokerBytes, end.brokerBytes].map((b) => (b === undefined ? b : b / 2 ** 20)) as [
        number | undefined,
        number | undefined,
      ],
      alarmsBehind,
    },
    rates: {
      intakeReadingsPerS: rate('intake', 'readingsPublished'),
      pollerReadingsPerS: rate('poller', 'readingsPublished'),
      historianWrittenPerS: rate('historian', 'written'),
      // written / writes: the historian's mean batch (one write at a time: a slow store shows here)
      historianWritesPerS: rate('historian', 'writes'),
      // polls that started late because the previous one had not finished
      pollerOverrunsPerS: rate('poller', 'overruns'),
      alarmsReadingsPerS: rate('alarms', 'readings'),
    },
    sustained: reasons.length === 0,
    verdict: reasons.length === 0 ? 'sustained' : `**not sustained**: ${reasons.join('; ')}`,
    exited,
  };
}

const f = (x: number | undefined, d = 0) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const fi = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en');
const pair = (p: [number | undefined, number | undefined], d = 0) =>
  `${d ? f(p[0], d) : fi(p[0])} → ${d ? f(p[1], d) : fi(p[1])}`;
const COLUMNS = [...OURS, ...SERVERS] as string[];

function markdown(results: Result[], o: Options): string {
  const head = (cols: string[]) => `| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`;
  const lines: string[] = [];
  lines.push(
    `Sustained runs, ${results[0]?.startedAt ?? ''}, node ${process.version}, ${o.minutes} min each after ${o.warmupS} s warm-up, ` +
      `services with NODE_OPTIONS='${deployedNodeOptions()}' and node flags '${deployedNodeFlags().join(' ')}'. CPU in cores (the box has 2).`,
    '',
    head([
      'PMTs',
      ...COLUMNS,
      'total',
      'simulator (apart)',
      'box busy',
      'others on the box',
      'load avg 1 min (start/mean/end)',
    ]),
  );
  for (const r of results)
    lines.push(
      `| ${r.pmts.toLocaleString('en')} | ${COLUMNS.map((k) => f(r.cores[k], 3)).join(' | ')} | **${f(r.totalCores, 3)}** | ` +
        `${f(r.cores.simulator, 3)} | ${f(r.boxBusyCores, 2)} | ${f(r.othersCores, 2)} | ${f(r.load.start, 1)} / ${f(r.load.mean, 1)} / ${f(r.load.end, 1)} |`,
    );
  lines.push('', 'Peak RSS (VmHWM, MB; start-up included):', '', head(['PMTs', ...COLUMNS, 'simulator']));
  for (const r of results)
    lines.push(
      `| ${r.pmts.toLocaleString('en')} | ${[...COLUMNS, 'simulator'].map((k) => f(r.peakRssMb[k])).join(' | ')} |`,
    );
  lines.push(
    '',
    `Lag from a reading's ts (ms; InfluxDB: first seen by a probe every ${PROBE_MS} ms, so up to ${PROBE_MS} ms high), backlog at the window's start → end, rates:`,
    '',
    head([
      'PMTs',
      'ready',
      `InfluxDB DCR p50/p99 (last ${TAIL_S} s)`,
      'HV p50/p99',
      'temperature p50/p99',
      'alarms evaluated p50/p99',
      'spool lines',
      'broker stored msgs',
      'broker MB',
      'alarms behind (readings)',
      'readings/s: intake + poller / historian written (writes) / alarms evaluated',
      'poller overruns/s',
      'verdict',
    ]),
  );
  for (const r of results) {
    const l = (k: string) =>
      `${fi(r.influxLagMs[k]?.p50)} / ${fi(r.influxLagMs[k]?.p99)} ` +
      `(${fi(r.influxTailLagMs[k]?.p50)} / ${fi(r.influxTailLagMs[k]?.p99)})`;
    lines.push(
      `| ${r.pmts.toLocaleString('en')} | ${f(r.readyS)} s | ${l('dcr')} | ${l('hv')} | ${l('temperature')} | ` +
        `${fi(r.alarmLagMs.p50)} / ${fi(r.alarmLagMs.p99)} | ${pair(r.backlog.spool)} | ${pair(r.backlog.brokerStored)} | ` +
        `${pair(r.backlog.brokerMb, 1)} | ${pair(r.backlog.alarmsBehind)} | ` +
        `${fi(r.rates.intakeReadingsPerS)} + ${fi(r.rates.pollerReadingsPerS)} / ${fi(r.rates.historianWrittenPerS)} ` +
        `(${f(r.rates.historianWritesPerS, 1)} writes/s) / ` +
        `${fi(r.rates.alarmsReadingsPerS)} | ${f(r.rates.pollerOverrunsPerS, 1)} | ${r.verdict} |`,
    );
  }
  lines.push(
    '',
    'Cost per 1,000 PMTs: CPU in % of one core; RSS in MB per 1,000 PMTs added since the previous size (the fixed part cancels):',
    '',
    head(['PMTs', ...COLUMNS, 'simulator']),
  );
  results.forEach((r, i) => {
    const prev = results[i - 1];
    const per = (k: string) => {
      const cpu = `${f(((r.cores[k] * 100) / r.pmts) * 1000, 2)} %`;
      if (!prev) return cpu;
      return `${cpu}, ${f(((r.endRssMb[k] - prev.endRssMb[k]) / (r.pmts - prev.pmts)) * 1000, 1)} MB`;
    };
    lines.push(`| ${r.pmts.toLocaleString('en')} | ${[...COLUMNS, 'simulator'].map(per).join(' | ')} |`);
  });
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const o = options();
  const results: Result[] = [];
  for (const n of o.pmts) {
    process.stderr.write(`N=${n}: starting (${new Date().toISOString()}, load ${loadAverage().join(' ')})\n`);
    let r: Result;
    try {
      r = await runOne(n, o);
    } catch (e) {
      // a size that cannot even start is a result too; the sizes measured so far are kept
      process.stderr.write(`N=${n}: failed: ${(e as Error).message.slice(0, 2000)}\n`);
      break;
    }
    results.push(r);
    process.stderr.write(`N=${n}: ${r.verdict}\n`);
    if (o.json) writeFileSync(o.json, JSON.stringify(results, null, 2));
  }
  if (results.length === 0) throw new Error('no size was measured');
  const md = markdown(results, o);
  process.stdout.write(`\n${md}`);
  if (o.md) appendFileSync(o.md, `\n${md}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
