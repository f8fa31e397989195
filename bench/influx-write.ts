/**
 * The historian's write path into InfluxDB at scale (issue 13): a 5,000-PMT generated detector's
 * HV readings (every field a crate answers: vset, iset, vmon, imon, status, power, ramp_up,
 * ramp_down, trip_time), one reading per PMT per second of timestamps, published as the poller
 * does (one batch per crate, QoS 1) as fast as the broker takes them, through the real historian
 * (dist/, its own process) into a fresh real InfluxDB per run. Measured per run, from the first
 * publish until InfluxDB answers count(vmon) = all: InfluxDB's and the historian's CPU seconds
 * (/proc/<pid>/stat) per 100,000 readings, points/s stored, and InfluxDB's peak RSS.
 *
 * Variants, back to back in each round (the box is shared and drifts; each round gives ratios
 * against its own baseline, the result is the median round):
 *   baseline   one write in flight, every field every reading, inmem index (before this work)
 *   k2, k4     writeConcurrency 2 / 4, every field
 *   onchange   writeConcurrency 2, set values stored on change (keyframe 10 min)
 *   tsi1       as onchange, on InfluxDB with index-version = tsi1
 * InfluxDB runs no continuous queries here (they run once a minute: a run may or may not meet
 * one); the readings' timestamps lie in the past hour, as a backlog's would.
 *
 *   npm run bench:influx-write [-- --readings 100000 --rounds 3 --pmts 5000]
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'mqtt';
import { parse, stringify } from 'yaml';
import { Topics, type Reading } from '@cicenns/contracts';
import { loadSystemConfig, writeGeneratedConfig } from '@cicenns/model';
import { startMosquitto, startOwnInflux, stopPid, waitFor, portOpen } from '../test/support/servers';
import { freePort, READY_LINE, ServiceProcess, sleep } from '../test/support/processes';
import { CLOCK_TICKS_PER_S, cpuTicks, loadAverage, statusMb } from './proc-stats';

interface Variant {
  name: string;
  writeConcurrency: number;
  setValuesKeyframeMs: number;
  index: 'inmem' | 'tsi1';
}

const VARIANTS: Variant[] = [
  { name: 'baseline', writeConcurrency: 1, setValuesKeyframeMs: 0, index: 'inmem' },
  { name: 'k2', writeConcurrency: 2, setValuesKeyframeMs: 0, index: 'inmem' },
  { name: 'k4', writeConcurrency: 4, setValuesKeyframeMs: 0, index: 'inmem' },
  { name: 'onchange', writeConcurrency: 2, setValuesKeyframeMs: 600_000, index: 'inmem' },
  { name: 'tsi1', writeConcurrency: 2, setValuesKeyframeMs: 600_000, index: 'tsi1' },
];

interface Run {
  variant: string;
  seconds: number;
  pointsPerS: number;
  influxCpuPer100k: number;
  historianCpuPer100k: number;
  influxPeakMb: number;
}

const { values: args } = parseArgs({
  options: {
    readings: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    pmts: { type: 'string', default: '5000' },
    only: { type: 'string' },
  },
});
const READINGS = Number(args.readings);
const ROUNDS = Number(args.rounds);
const PMTS = Number(args.pmts);

/** The readings of `sweeps` seconds, one batch per crate, as the poller publishes them. */
function payloads(cfgFile: string, sweeps: number, t0: number): string[] {
  const { detector } = loadSystemConfig(cfgFile, {});
  const byCrate = new Map<string, typeof detector.pmts>();
  for (const p of detector.pmts) byCrate.set(p.hv.device, [...(byCrate.get(p.hv.device) ?? []), p]);
  const out: string[] = [];
  let seq = 0;
  for (let s = 0; s < sweeps; s++)
    for (const [device, pmts] of byCrate) {
      const ts = t0 + s * 1000;
      const readings: Reading[] = pmts.map((p, i) => ({
        m: 'hv',
        id: p.id,
        ts,
        quality: 'good',
        source: device,
        ...(s > 0 ? { prevTs: ts - 1000 } : {}), // as the poller says it
        fields: {
          vset: 1200 + (i % 7),
          iset: 100,
          vmon: 1200 + (i % 7) + Math.sin(ts / 1000 + i) * 0.3,
          imon: 2.5 + Math.cos(ts / 1000 + i) * 0.05,
          status: 1,
          power: 1,
          ramp_up: 50,
          ramp_down: 50,
          trip_time: 1,
        },
      }));
      out.push(JSON.stringify({ service: 'poller', seq: seq++, readings }));
    }
  return out;
}

async function count(url: string): Promise<number> {
  const q = 'SELECT count("vmon") FROM "cicenns"."cicenns_raw"."hv"';
  const res = await fetch(`${url}/query?${new URLSearchParams({ db: 'cicenns', q })}`);
  const body = (await res.json()) as { results?: { series?: { values?: unknown[][] }[] }[] };
  return Number(body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
}

async function runOnce(
  v: Variant,
  base: string,
  mqttUrl: string,
  messages: string[],
  expected: number,
): Promise<Run> {
  const dir = mkdtempSync(join(base, `${v.name}-`)); // InfluxDB's data and the historian's spool
  const influx = await startOwnInflux(dir, { index: v.index }, 60_000);
  const { url: influxUrl, pid: influxPid } = influx;
  let historian: ServiceProcess | undefined;
  try {
    const file = join(base, 'cicenns.yaml');
    const cfg = parse(readFileSync(file, 'utf8'));
    cfg.mqtt.url = mqttUrl;
    cfg.mqtt.clientIdPrefix = `iw-${v.name}-${Date.now()}`;
    cfg.influx = {
      ...cfg.influx,
      url: influxUrl,
      database: 'cicenns',
      spoolPath: join(dir, 'spool.db'),
      writeConcurrency: v.writeConcurrency,
      setValuesKeyframeMs: v.setValuesKeyframeMs,
    };
    const runFile = join(base, `cicenns-${v.name}.yaml`);
    writeFileSync(runFile, stringify(cfg, { lineWidth: 0 }));
    historian = new ServiceProcess(
      'historian',
      { CICENNS_CONFIG: runFile, NODE_ENV: 'production' },
      [],
      base,
    ).start();
    await historian.waitForOutput(READY_LINE.historian!, 120_000);
    const hPid = historian.child!.pid!;
    const pub = connect(mqttUrl, { clientId: `iw-pub-${process.pid}`, clean: true });
    await new Promise<void>((r) => pub.once('connect', () => r()));
    const cpu0 = { influx: cpuTicks(influxPid), historian: cpuTicks(hPid) };
    const t0 = Date.now();
    await Promise.all(messages.map((m) => pub.publishAsync(Topics.readings('poller'), m, { qos: 1 })));
    await pub.endAsync();
    await waitFor(
      `${expected} readings in InfluxDB (${v.name})`,
      async () => (await count(influxUrl)) >= expected,
      600_000,
    );
    const seconds = (Date.now() - t0) / 1000;
    const per100k = (ticks: number) => ticks / CLOCK_TICKS_PER_S / (expected / 100_000);
    const run: Run = {
      variant: v.name,
      seconds,
      pointsPerS: expected / seconds,
      influxCpuPer100k: per100k(cpuTicks(influxPid) - cpu0.influx),
      historianCpuPer100k: per100k(cpuTicks(hPid) - cpu0.historian),
      influxPeakMb: statusMb(influxPid, 'VmHWM'),
    };
    return run;
  } finally {
    await historian?.stop();
    await influx.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'influx-write-'));
  const mqttPort = await freePort();
  const mosquittoPid = startMosquitto(join(base, 'mosquitto'), mqttPort);
  try {
    await waitFor('mosquitto port', () => portOpen(mqttPort), 20_000);
    writeGeneratedConfig({ pmts: PMTS, portBase: 30_000 }, base);
    mkdirSync(join(base, 'var'), { recursive: true });
    const sweeps = Math.ceil(READINGS / PMTS);
    const expected = sweeps * PMTS;
    const messages = payloads(join(base, 'cicenns.yaml'), sweeps, Date.now() - 3_600_000);
    const variants = args.only ? VARIANTS.filter((v) => args.only!.split(',').includes(v.name)) : VARIANTS;
    const load0 = loadAverage();
    process.stderr.write(
      `${PMTS} PMTs, ${expected} HV readings (${sweeps} s of sweeps) in ${messages.length} batches, ${ROUNDS} rounds; load ${load0.join(' ')}\n`,
    );
    const rounds: Run[][] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round: Run[] = [];
      for (const v of variants) {
        const run = await runOnce(v, base, `mqtt://127.0.0.1:${mqttPort}`, messages, expected);
        process.stderr.write(`round ${r + 1} ${JSON.stringify(run)}\n`);
        round.push(run);
      }
      rounds.push(round);
    }
    const load1 = loadAverage();
    const lines = [
      `${PMTS} PMTs, ${expected} HV readings per run, ${ROUNDS} rounds, median; ratios against the same round's baseline; load average ${load0.join(' ')} at the start, ${load1.join(' ')} at the end`,
      '',
      '| variant | points/s | ratio | InfluxDB CPU s / 100k | ratio | historian CPU s / 100k | ratio | InfluxDB peak RSS MB |',
      '|---|---|---|---|---|---|---|---|',
    ];
    for (const v of variants) {
      const runs = rounds.map((round) => ({ run: round.find((x) => x.variant === v.name)!, base: round[0] }));
      const m = (f: (x: Run) => number) => median(runs.map(({ run }) => f(run)));
      const ratio = (f: (x: Run) => number) => median(runs.map(({ run, base: b }) => f(run) / f(b)));
      lines.push(
        `| ${v.name} | ${m((x) => x.pointsPerS).toFixed(0)} | ${ratio((x) => x.pointsPerS).toFixed(2)} | ` +
          `${m((x) => x.influxCpuPer100k).toFixed(2)} | ${ratio((x) => x.influxCpuPer100k).toFixed(2)} | ` +
          `${m((x) => x.historianCpuPer100k).toFixed(2)} | ${ratio((x) => x.historianCpuPer100k).toFixed(2)} | ` +
          `${m((x) => x.influxPeakMb).toFixed(0)} |`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    stopPid(mosquittoPid);
    await sleep(300);
    stopPid(mosquittoPid, 'SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
