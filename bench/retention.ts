/**
 * Retention tiers benchmark (issue 12), on a real InfluxDB 1.6 of its own (continuous queries
 * on, caches snapshotted and shards fully compacted after 10 s/30 s without writes, so what is
 * measured on disk is compacted TSM, as a long-running server holds it):
 *
 * 1. Disk per point from a run of the system: simulator, poller, intake and historian at the
 *    shipped rates for RUN_MIN minutes, the historian's continuous query filling the 1-minute
 *    tier; bytes of each policy's shard directories / points in it (a point: one line).
 * 2. Trend query time, raw-only against tiered, same data: DAYS days of one PMT's HV readings
 *    every PERIOD_S seconds, encoded by the historian's LineEncoder and written by its
 *    InfluxWriter into raw; aggregates built with the continuous query's own SELECT INTO; a
 *    7-day and a 1-year trend (600 points, as the console asks) planned by the trends API's
 *    planTierReads with tiers (the default) and without (raw only), median of ROUNDS.
 *
 * Usage: npm run bench:retention [-- RUN_MIN [PERIOD_S [ROUNDS]]]  (defaults 5, 10, 7)
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '@cicenns/contracts';
import { loadSystemConfig, type AppConfigFile } from '@cicenns/model';
import { planTierReads } from '../apps/api/src/trends/trend-tiers';
import { planTrend, trendsQuerySchema } from '../apps/api/src/trends/trends-query';
import { InfluxWriter } from '../apps/historian/src/influx-writer';
import { LineEncoder } from '../apps/historian/src/line-protocol';
import { setUpRetention, tierQueries } from '../apps/historian/src/retention-setup';
import { ServiceProcess, freePort, freePorts, sleep } from '../test/support/processes';
import { startInflux, startMosquitto, stopPid, waitFor } from '../test/support/servers';
import { writeTestConfig } from '../test/support/test-config';

const RUN_MIN = Number(process.argv[2] ?? 5);
const PERIOD_S = Number(process.argv[3] ?? 10);
const ROUNDS = Number(process.argv[4] ?? 7);
const DAY = 86_400_000;

/** Bytes of the files under a directory (TSM, tombstones; the WAL is elsewhere). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

async function query(url: string, db: string, q: string): Promise<unknown[][]> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, q, epoch: 'ms' })}`);
  const body = (await res.json()) as {
    error?: string;
    results?: { error?: string; series?: { values?: unknown[][] }[] }[];
  };
  const err = body.error ?? body.results?.[0]?.error;
  if (err) throw new Error(`${err}: ${q.slice(0, 200)}`);
  return (body.results?.[0]?.series ?? []).flatMap((s) => s.values ?? []);
}

/** Points (lines) of a policy: every line has a quality field, every aggregate a count_quality. */
async function pointsIn(url: string, db: string, rp: string, field: string): Promise<number> {
  let n = 0;
  const measurements = (await query(url, db, `SHOW MEASUREMENTS ON "${db}"`)).map((r) => String(r[0]));
  for (const m of measurements) {
    const rows = await query(url, db, `SELECT count("${field}") FROM "${db}"."${rp}"."${m}"`).catch(() => []);
    n += Number(rows[0]?.[1] ?? 0);
  }
  return n;
}

async function waitCompacted(dir: string, db: string): Promise<void> {
  // snapshot after 10 s cold, full compaction after 30 s cold: wait for the WAL to empty, then more
  const wal = join(dir, 'wal', db);
  await waitFor('WAL snapshotted', async () => bytesUnder(wal) === 0, 120_000).catch(() => undefined);
  await sleep(40_000);
}

async function startInfluxd(dir: string): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const pid = await startInflux(dir, port, {
    continuousQueries: true,
    compactWhenCold: { snapshot: '10s', full: '30s' },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('influxd', async () => (await fetch(`${url}/ping`)).status === 204);
  return { url, pid };
}

async function systemRun(base: string, influxUrl: string) {
  const mqttPort = await freePort();
  const mosquitto = startMosquitto(join(base, 'mosquitto'), mqttPort);
  await sleep(500);
  const [hvPort, tempPort, simHttp] = await freePorts(3);
  const db = 'cicenns_run';
  const { file } = writeTestConfig({
    hvPort,
    tempPort,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    influxUrl,
    database: db,
    requireHistorian: true,
  });
  const env = { CICENNS_CONFIG: file, SIM_HTTP_PORT: String(simHttp) };
  const procs = ['historian', 'intake', 'simulator', 'poller'].map((n) =>
    new ServiceProcess(n as 'historian', env).start(),
  );
  const started = Date.now();
  console.error(`system run: ${RUN_MIN} min at the shipped rates`);
  await sleep(RUN_MIN * 60_000);
  for (const p of procs.reverse()) await p.stop();
  stopPid(mosquitto);
  const elapsedS = (Date.now() - started) / 1000;
  const tiers = loadSystemConfig(file, {}).app.influx.tiers;
  // the minute in progress when the run stopped: aggregated by one more CQ run
  await sleep(65_000);
  return { db, elapsedS, tiers };
}

async function measureDisk(url: string, dir: string, db: string, raw: string, agg: string) {
  await waitCompacted(dir, db);
  const rawPoints = await pointsIn(url, db, raw, 'quality');
  const aggPoints = await pointsIn(url, db, agg, 'count_quality');
  const rawBytes = bytesUnder(join(dir, 'data', db, raw));
  const aggBytes = bytesUnder(join(dir, 'data', db, agg));
  return {
    rawPoints,
    aggPoints,
    rawBytes,
    aggBytes,
    rawPerPoint: rawBytes / rawPoints,
    aggPerPoint: aggBytes / aggPoints,
  };
}

/** DAYS of one PMT's HV readings through the historian's encoder and writer. */
async function writeHistory(cfg: AppConfigFile['influx'], now: number, days: number): Promise<number> {
  const detector = loadSystemConfig(undefined, {}).detector;
  const lines = new LineEncoder(detector);
  const writer = new InfluxWriter(cfg);
  const from = now - days * DAY;
  const step = PERIOD_S * 1000;
  let n = 0;
  let batch: string[] = [];
  const inflight: Promise<void>[] = [];
  const flush = async () => {
    const body = batch.join('\n');
    batch = [];
    const out = await writer.write(body);
    if (!out.ok) throw new Error(out.message);
  };
  for (let ts = from; ts < now; ts += step) {
    const r: Reading = {
      m: 'hv',
      id: 'CsI01-A',
      ts: ts + Math.round(Math.random() * 20), // the poller's jitter
      quality: 'good',
      source: 'poller',
      fields: {
        vmon: 1400 + Math.round(Math.sin(ts / 3.6e6) * 100) / 100 + Math.round(Math.random() * 10) / 100,
        imon: 12.3 + Math.round(Math.random() * 10) / 100,
        vset: 1400,
        iset: 100,
        status: 3,
        power: true,
      },
    };
    batch.push(lines.encode(r));
    n++;
    if (batch.length >= 5000) {
      inflight.push(flush());
      if (inflight.length >= 2) await inflight.shift();
    }
  }
  if (batch.length) inflight.push(flush());
  await Promise.all(inflight);
  return n;
}

/** The continuous queries' SELECT INTO (tierQueries) over the history, a week at a time (bounded memory). */
async function buildAggregates(url: string, cfg: AppConfigFile['influx'], now: number, days: number) {
  const end = Math.floor(now / 60_000) * 60_000;
  for (let t = end - days * DAY; t < end; t += 7 * DAY) {
    const until = Math.min(t + 7 * DAY, end);
    for (const { select } of tierQueries(cfg))
      await query(
        url,
        cfg.database,
        `${select} WHERE time >= ${t}ms AND time < ${until}ms GROUP BY time(1m), *`,
      );
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeTrend(
  url: string,
  cfg: AppConfigFile['influx'],
  now: number,
  spanDays: number,
  tiered: boolean,
) {
  const detector = loadSystemConfig(undefined, {}).detector;
  const q = trendsQuerySchema.parse({
    measurement: 'hv',
    field: 'vmon',
    subject: 'CsI01-A',
    from: String(now - spanDays * DAY),
    to: String(now),
    points: '600',
  });
  const plan = planTrend(q, detector, now);
  if (typeof plan === 'string') throw new Error(plan);
  const influx = tiered
    ? cfg
    : // raw only: as before tiers (raw kept as long as the history, no span limit)
      { ...cfg, tiers: { ...cfg.tiers, raw: { ...cfg.tiers.raw, durationMs: 0 }, rawMaxSpanMs: Infinity } };
  const { reads } = planTierReads(plan, influx, now);
  const t0 = performance.now();
  const results = await Promise.all(reads.map((r) => query(url, cfg.database, r.influxql)));
  const ms = performance.now() - t0;
  return { ms, tiers: reads.map((r) => r.tier).join('+'), points: results.reduce((n, r) => n + r.length, 0) };
}

async function main() {
  const base = mkdtempSync(join(tmpdir(), 'bench-retention-'));
  const dir = join(base, 'influxdb');
  const { url, pid } = await startInfluxd(dir);
  try {
    // 1. a run of the system
    const run = await systemRun(base, url);
    const disk = await measureDisk(url, dir, run.db, run.tiers.raw.name, run.tiers.aggregate.name);
    const rawRate = disk.rawPoints / run.elapsedS;
    const series = (await query(url, run.db, `SHOW SERIES ON "${run.db}"`)).length;
    console.error(
      `system run: ${disk.rawPoints} raw points (${rawRate.toFixed(1)}/s), ${disk.aggPoints} aggregate points, ${series} series`,
    );

    // 2. synthetic history for the query times
    const now = Date.now();
    const cfg = loadSystemConfig(undefined, {}).app.influx;
    const hist: AppConfigFile['influx'] = {
      ...cfg,
      url,
      database: 'cicenns_history',
      // the history is a year old: raw kept forever here, so raw-only can be timed on the same data
      tiers: { ...cfg.tiers, raw: { ...cfg.tiers.raw, duration: 'INF', durationMs: 0 } },
    };
    const writer = new InfluxWriter(hist);
    await setUpRetention(
      hist,
      (q) => writer.query(q),
      () => undefined,
    );
    // no continuous queries: the aggregates are built once below, with their own SELECT INTO
    for (const { name } of tierQueries(hist))
      await writer.query(`DROP CONTINUOUS QUERY "${name}" ON "${hist.database}"`);
    let t = performance.now();
    const written = await writeHistory(hist, now, 366);
    const writeS = (performance.now() - t) / 1000;
    t = performance.now();
    await buildAggregates(url, hist, now, 366);
    const aggS = (performance.now() - t) / 1000;
    console.error(
      `history: ${written} readings written in ${writeS.toFixed(0)} s, aggregated in ${aggS.toFixed(0)} s`,
    );
    const histDisk = await measureDisk(
      url,
      dir,
      hist.database,
      hist.tiers.raw.name,
      hist.tiers.aggregate.name,
    );

    const times: Record<string, { ms: number[]; tiers: string; points: number }> = {};
    for (let r = 0; r < ROUNDS; r++)
      for (const span of [7, 365])
        for (const tiered of [false, true]) {
          const key = `${span}d ${tiered ? 'tiered' : 'raw-only'}`;
          const m = await timeTrend(url, hist, now, span, tiered);
          (times[key] ??= { ms: [], tiers: m.tiers, points: m.points }).ms.push(m.ms);
        }
    const summary = Object.fromEntries(
      Object.entries(times).map(([k, v]) => [
        k,
        { medianMs: +median(v.ms).toFixed(1), reads: v.tiers, buckets: v.points },
      ]),
    );
    const ratio = (span: string) =>
      +(summary[`${span} raw-only`].medianMs / summary[`${span} tiered`].medianMs).toFixed(1);
    console.log(
      JSON.stringify(
        {
          systemRun: {
            minutes: +(run.elapsedS / 60).toFixed(1),
            series,
            rawPointsPerS: +rawRate.toFixed(1),
            ...disk,
            rawPerPoint: +disk.rawPerPoint.toFixed(2),
            aggPerPoint: +disk.aggPerPoint.toFixed(2),
          },
          history: {
            periodS: PERIOD_S,
            readings: written,
            writeS: +writeS.toFixed(1),
            aggregateS: +aggS.toFixed(1),
            ...histDisk,
            rawPerPoint: +histDisk.rawPerPoint.toFixed(2),
            aggPerPoint: +histDisk.aggPerPoint.toFixed(2),
          },
          queries: summary,
          speedup: { '7d': ratio('7d'), '365d': ratio('365d') },
        },
        null,
        2,
      ),
    );
  } finally {
    stopPid(pid);
    await sleep(500);
    if (!process.env.KEEP_BENCH_DATA) rmSync(base, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
