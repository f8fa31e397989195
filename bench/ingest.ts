/**
 * Ingest benchmark (issue 2): N DCR readings published at QoS 1 to a real Mosquitto, time until
 * all are queryable in a real InfluxDB through intake + historian (separate processes), against
 * two ceilings measured in the same run: a bare MQTT subscriber that only counts (the broker's
 * limit) and a plain batched line-protocol writer into the same InfluxDB (the store's limit).
 * Also the peak RSS of each service. The machine's speed drifts between runs (a shared VM), so
 * the three are measured back to back in ROUNDS rounds and each round gives its own ratio; the
 * result is the median round. Usage: npm run bench:ingest [-- N [ROUNDS]]
 *
 * BENCH_NODE_FLAG_SETS='name=flags;name2=flags' compares node flag sets instead (what a V8 option
 * costs under load; KEY=VALUE tokens are environment variables of both services): each round runs the pipeline once per set, back to back, without the
 * ceilings, and the result is each set's rate and CPU seconds (intake, historian), median of the
 * rounds, and their ratio to the first set's.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'mqtt';
import { startAll, stopAll, waitFor } from '../test/support/servers';
import { ROOT } from '../test/support/processes';
import { startDaqPath } from '../test/support/daq-path';

const N = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 5);

/** Reading i carries timestamp T0 + i (ms): an hour ago, inside the intake's accepted age. */
const T0 = Date.now() - 3600_000;

function publish(
  url: string,
  mode: 'daq' | 'plain',
  n: number,
): Promise<{ started: number; acked: number; cpuSeconds: number }> {
  return new Promise((resolve, reject) => {
    const script = join(ROOT, 'dist', 'bench', 'publisher.js');
    const p = spawn(process.execPath, [script, url, mode, String(n), String(T0)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`publisher exited ${code}`)),
    );
  });
}

type InfluxResponse = { results?: { series?: { values?: unknown[][] }[] }[] };

async function influxQuery(url: string, db: string, q: string): Promise<InfluxResponse> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, q })}`);
  return (await res.json()) as InfluxResponse;
}

async function countPoints(url: string, db: string, measurement: string, since?: number): Promise<number> {
  const where = since === undefined ? '' : ` WHERE time >= ${since}ms`;
  const body = await influxQuery(url, db, `SELECT count(rate_hz) FROM ${measurement}${where}`);
  return Number(body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
}

/** Ceiling 1: a subscriber that only counts, QoS 1, persistent session like our services. */
async function brokerCeiling(
  url: string,
  mosquittoPid: number,
): Promise<{ rate: number; received: number; cpu: Record<string, number> }> {
  // the same client id in every round: a session per round would stay subscribed (clean: false)
  // and the broker would queue each later round's messages for it
  const sub = connect(url, { clientId: 'bench-ceiling-sub', clean: false, protocolVersion: 4 });
  await new Promise<void>((r) =>
    sub.on('connect', () => sub.subscribe('bench/plain/#', { qos: 1 }, () => r())),
  );
  let received = 0;
  let last = 0;
  sub.on('message', () => {
    received++;
    last = Date.now();
  });
  const cpu = cpuSnapshot({ mosquitto: mosquittoPid, subscriber: process.pid });
  const { started, cpuSeconds: publisherCpu } = await publish(url, 'plain', N);
  await waitFor('ceiling subscriber', async () => received >= N, 300_000).catch(() => undefined);
  const used = { publisher: publisherCpu, ...cpu() };
  await new Promise((r) => setTimeout(r, 500));
  await sub.endAsync();
  return { rate: N / ((last - started) / 1000), received, cpu: used };
}

/** Ceiling 2: plain batched line-protocol writes of N points into the same InfluxDB. */
async function storeCeiling(
  url: string,
  influxdPid: number,
  round: number,
): Promise<{ rate: number; stored: number; cpu: Record<string, number> }> {
  const db = `bench_store_${round}`;
  await fetch(`${url}/query?${new URLSearchParams({ q: `CREATE DATABASE ${db}` })}`, { method: 'POST' });
  const t0 = Date.now() - 3600_000;
  const cpu = cpuSnapshot({ writer: process.pid, influxd: influxdPid });
  const started = Date.now();
  const batch = 5000;
  for (let i = 0; i < N; i += batch) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(N, i + batch); j++) {
      lines.push(
        `dcr,pmt=P${j % 94},group=crystal,parent=C${j % 47} rate_hz=${1000 + (j % 1000)},window_s=10,quality="good" ${t0 + j}`,
      );
    }
    const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body: lines.join('\n') });
    if (res.status !== 204) throw new Error(`store ceiling write: ${res.status} ${await res.text()}`);
  }
  let stored = 0;
  await waitFor(
    'store ceiling queryable',
    async () => (stored = await countPoints(url, db, 'dcr')) >= N,
    120_000,
  );
  return { rate: N / ((Date.now() - started) / 1000), stored, cpu: cpu() };
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

function cpuSnapshot(pids: Record<string, number | undefined>): () => Record<string, number> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  return () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid) - before[k]]));
}

function peakRssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
}

async function pipeline(
  mqttUrl: string,
  influxUrl: string,
  serverPids: Record<string, number>,
  round: number | string,
  nodeFlags: string[] = [],
  env: Record<string, string> = {},
) {
  const db = `bench_pipeline_${round}`;
  // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of each service there (node --cpu-prof)
  const prof = process.env.BENCH_CPU_PROF;
  const { intake, historian } = await startDaqPath({
    mqttUrl,
    influxUrl,
    database: db,
    clientIdPrefix: 'bench', // one persistent session per service across rounds (see above)
    nodeArgs: [...nodeFlags, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])],
    env,
  });
  // BENCH_STAGES=1: also time when the intake has forwarded every reading onto the internal bus.
  // Off by default: the tap parses every batch and the broker sends each twice, which loads the
  // two cores that the pipeline is measured on.
  const tap = process.env.BENCH_STAGES ? await forwardTap(mqttUrl) : undefined;
  await new Promise((r) => setTimeout(r, 1000));
  const cpu = cpuSnapshot({
    mosquitto: serverPids.mosquitto,
    intake: intake.child?.pid,
    historian: historian.child?.pid,
    influxd: serverPids.influxd,
    bench: process.pid,
  });
  const { started, acked, cpuSeconds: publisherCpu } = await publish(mqttUrl, 'daq', N);
  // Polling count() over the whole measurement would make InfluxDB scan up to N points ten times
  // a second during the run; wait for the last reading with a query that touches only the tail,
  // then count everything once (again until all N are there, if some came late).
  const until = Date.now() + 600_000;
  while ((await countPoints(influxUrl, db, 'dcr', T0 + N - 1).catch(() => 0)) < 1 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20)); // a cheap query: poll often, for a sharp end time
  }
  let stored = 0;
  await waitFor(
    'pipeline: all readings queryable',
    async () => (stored = await countPoints(influxUrl, db, 'dcr')) >= N,
    60_000,
  ).catch(() => undefined);
  const done = Date.now();
  const cpuUsed = { publisher: publisherCpu, ...cpu() };
  await tap?.client.endAsync();
  const rss = { intake: peakRssMb(intake.child?.pid), historian: peakRssMb(historian.child?.pid) };
  await intake.stop();
  await historian.stop();
  return {
    rate: N / ((done - started) / 1000),
    stored,
    publishSeconds: (acked - started) / 1000,
    intakeSeconds: tap ? (tap.forwardedAt - started) / 1000 : NaN,
    seconds: (done - started) / 1000,
    rss,
    cpu: cpuUsed,
  };
}

/** Counts the readings the intake forwards (parses every batch: only with BENCH_STAGES). */
async function forwardTap(mqttUrl: string) {
  const client = connect(mqttUrl, { clientId: 'bench-tap', clean: true, protocolVersion: 4 });
  const tap = { client, forwarded: 0, forwardedAt: 0 };
  client.on('message', (_t, payload) => {
    tap.forwarded += (JSON.parse(payload.toString()) as { readings: unknown[] }).readings.length;
    if (tap.forwarded >= N && !tap.forwardedAt) tap.forwardedAt = Date.now();
  });
  await new Promise<void>((r) =>
    client.on('connect', () => client.subscribe('cicenns/sc/readings/intake', { qos: 1 }, () => r())),
  );
  return tap;
}

const fmtCpu = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ');

type Round = {
  broker: Awaited<ReturnType<typeof brokerCeiling>>;
  store: Awaited<ReturnType<typeof storeCeiling>>;
  p: Awaited<ReturnType<typeof pipeline>>;
  ratio: number;
  lost: number;
};

/** BENCH_NODE_FLAG_SETS: each set's pipeline back to back in every round (see the header). */
async function compareFlagSets(servers: Awaited<ReturnType<typeof startAll>>, spec: string): Promise<void> {
  const sets = spec
    .split(';')
    .filter((p) => p.includes('='))
    .map((p) => {
      const eq = p.indexOf('=');
      const tokens = p
        .slice(eq + 1)
        .split(/\s+/)
        .filter((f) => f !== '');
      // KEY=VALUE tokens are environment variables (e.g. MALLOC_TRIM_THRESHOLD_=65536)
      const isEnv = (t: string) => /^[A-Z_][A-Z0-9_]*=/.test(t);
      const env = Object.fromEntries(
        tokens.filter(isEnv).map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]),
      );
      return { name: p.slice(0, eq).trim(), flags: tokens.filter((t) => !isEnv(t)), env, tokens };
    });
  const runs: { set: string; rate: number; intake: number; historian: number; lost: number }[] = [];
  for (let round = 1; round <= ROUNDS; round++)
    for (const [i, set] of sets.entries()) {
      const p = await pipeline(
        servers.mqttUrl,
        servers.influxUrl,
        servers.pids,
        `${round}_${i}`,
        set.flags,
        set.env,
      );
      const { intake, historian } = p.cpu as Record<string, number>;
      runs.push({ set: set.name, rate: p.rate, intake, historian, lost: N - p.stored });
      process.stderr.write(
        `  round ${round}, ${set.name} (${set.tokens.join(' ')}): ${p.rate.toFixed(0)} points/s, CPU s intake ` +
          `${intake.toFixed(2)}, historian ${historian.toFixed(2)}, lost ${N - p.stored}, ` +
          `load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
      );
    }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const of = (set: string, k: 'rate' | 'intake' | 'historian') =>
    runs.filter((r) => r.set === set).map((r) => r[k]);
  const first = sets[0].name;
  const lines = [
    `Node flag sets, N = ${N} readings, ${ROUNDS} rounds, median (each round in brackets):`,
    '',
    '| set | flags | points/s | CPU s intake | CPU s historian | CPU intake + historian / first | lost |',
    '|---|---|---|---|---|---|---|',
  ];
  const cpu = (set: string) => med(of(set, 'intake')) + med(of(set, 'historian'));
  for (const set of sets) {
    const list = (k: 'rate' | 'intake' | 'historian', d: number) =>
      `${med(of(set.name, k)).toFixed(d)} (${of(set.name, k)
        .map((x) => x.toFixed(d))
        .join(', ')})`;
    const lost = runs.filter((r) => r.set === set.name).reduce((n, r) => n + r.lost, 0);
    lines.push(
      `| ${set.name} | ${set.tokens.join(' ')} | ${list('rate', 0)} | ${list('intake', 2)} | ${list('historian', 2)} | ` +
        `${(cpu(set.name) / cpu(first)).toFixed(2)} | ${lost} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (runs.some((r) => r.lost !== 0)) process.exitCode = 1;
}

async function main(): Promise<void> {
  const servers = await startAll();
  try {
    if (process.env.BENCH_NODE_FLAG_SETS)
      return await compareFlagSets(servers, process.env.BENCH_NODE_FLAG_SETS);
    process.stderr.write(`ingest benchmark: N = ${N}, ${ROUNDS} rounds\n`);
    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const broker = await brokerCeiling(servers.mqttUrl, servers.pids.mosquitto);
      const store = await storeCeiling(servers.influxUrl, servers.pids.influxd, round);
      const p = await pipeline(servers.mqttUrl, servers.influxUrl, servers.pids, round);
      const ratio = p.rate / Math.min(broker.rate, store.rate);
      rounds.push({ broker, store, p, ratio, lost: N - p.stored });
      process.stderr.write(
        `  round ${round}: broker ${broker.rate.toFixed(0)} msg/s, store ${store.rate.toFixed(0)} points/s, ` +
          `pipeline ${p.rate.toFixed(0)} points/s, ratio ${ratio.toFixed(2)}, lost ${N - p.stored}\n`,
      );
    }
    const byRatio = [...rounds].sort((a, b) => a.ratio - b.ratio);
    const { broker, store, p, ratio } = byRatio[Math.floor(byRatio.length / 2)];
    const lost = rounds.reduce((n, r) => n + r.lost, 0);
    const lines = [
      `Median of ${ROUNDS} rounds (by ratio), N = ${N} readings at QoS 1 per run:`,
      ``,
      `| what | result |`,
      `|---|---|`,
      `| broker ceiling: bare subscriber that counts | ${broker.rate.toFixed(0)} msg/s (${broker.received} of ${N} received) |`,
      `| store ceiling: plain batched line-protocol writer | ${store.rate.toFixed(0)} points/s |`,
      `| pipeline: publish -> intake -> historian -> queryable | ${p.rate.toFixed(0)} points/s (${p.seconds.toFixed(1)} s) |`,
      `| stages: all published and acked / all forwarded by intake / all queryable | ${p.publishSeconds.toFixed(1)} s / ${Number.isNaN(p.intakeSeconds) ? '(BENCH_STAGES=1)' : `${p.intakeSeconds.toFixed(1)} s`} / ${p.seconds.toFixed(1)} s |`,
      `| ratio to the lower ceiling (target >= 0.8) | **${ratio.toFixed(2)}** (rounds: ${rounds.map((r) => r.ratio.toFixed(2)).join(', ')}) |`,
      `| readings lost, all rounds (target 0) | **${lost}** (${rounds.map((r) => r.p.stored).join(', ')} stored) |`,
      `| CPU seconds, ceiling run | ${fmtCpu(broker.cpu)} |`,
      `| CPU seconds, store ceiling run | ${fmtCpu(store.cpu)} |`,
      `| CPU seconds, pipeline run | ${fmtCpu(p.cpu)} |`,
      `| peak RSS intake / historian | ${p.rss.intake.toFixed(0)} MB / ${p.rss.historian.toFixed(0)} MB |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (lost !== 0) process.exitCode = 1;
  } finally {
    await stopAll(servers);
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
