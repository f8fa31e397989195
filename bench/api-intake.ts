/**
 * The API's cost per HV reading at scale (issue 13): a generated detector of PMTS tubes (45,000
 * by default), the API as its own process on a Mosquitto of its own, fed one HV sweep of every
 * PMT a second by bench/hv-feeder.js (one batch per 64-channel crate) for SECONDS, one event
 * stream open on one crate (as the console's opened crate). Measured per build:
 *  - the API's CPU seconds per 100,000 HV readings fed (from /proc), % of a core, RSS;
 *  - reading -> `pmt` event received on the stream (the reading's timestamp against the bench's
 *    clock, same machine): whether the API keeps up.
 * BASELINE=<a checkout with dist/ built> measures that build first, then this one, in the same
 * run (same broker, same feeder), and prints the ratio. BENCH_CPU_PROF=<dir> writes a V8 CPU
 * profile of each API there. BENCH_MEMORY=1 preloads bench/memory-probe into each API and, at
 * the end of its run, prints where its RSS is (bench/api-memory.ts); with MEMORY_PROBE_SNAPSHOT=1
 * a heap snapshot is written too (its path printed; summarize with bench/heap-snapshot-summary).
 * API_NODE_ARGS="--max-semi-space-size=..." gives node options to this build's API only (with
 * BASELINE=<this checkout>: the same code with and without them, in one run).
 * Usage: npm run bench:api-intake [-- PMTS SECONDS]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSystemConfig } from '@cicenns/model';
import { startGeneratedApi, viewerToken, waitForEveryPmt } from '../test/support/generated-api';
import { ROOT, freePort, sleep } from '../test/support/processes';
import { portOpen, startMosquitto, waitFor } from '../test/support/servers';
import { CLOCK_TICKS_PER_S, cpuTicks, loadAverage, statusMb } from './proc-stats';
import { pct } from './percentiles';
import { API_MEMORY_HEADER, apiMemory, apiMemoryRow, type ApiMemory } from './api-memory';

const PMTS = Number(process.argv[2] ?? 45_000);
const SECONDS = Number(process.argv[3] ?? 40);
/** after the first sweep is in: the caches filled, the JIT warm */
const WARMUP_S = 10;

interface Result {
  build: string;
  readings: number;
  cpuS: number;
  seconds: number;
  rssMb: number;
  /** the API's peak RSS since it started (VmHWM) */
  peakMb: number;
  /** RSS sampled once a second over the measured seconds: mean and max (V8's old space saws) */
  rssMeanMb: number;
  rssMaxMb: number;
  lags: number[];
  load: string;
  memory?: ApiMemory;
  /** RSS and peak RSS once listening, before the feeder started */
  startMb: { rss: number; peak: number };
}

/** `pmt` events of one stream: each view's vmon timestamp against the time it arrived. */
async function watchStream(url: string, token: string, lags: number[], stop: AbortSignal): Promise<void> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: stop });
  if (!res.ok || !res.body) throw new Error(`${url}: ${res.status}`);
  const decoder = new TextDecoder();
  let buf = '';
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const now = Date.now();
      buf += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        if (!frame.startsWith('event: pmt\n')) continue;
        const view = JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as { vmon: { ts: number | null } };
        if (view.vmon.ts) lags.push(now - view.vmon.ts);
      }
    }
  } catch (e) {
    if (!stop.aborted) throw e;
  }
}

async function measure(build: string, root: string, mqttUrl: string): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), `api-intake-${build}-`));
  const prof = process.env.BENCH_CPU_PROF;
  const probeDir = process.env.BENCH_MEMORY ? mkdtempSync(join(tmpdir(), `api-memory-${build}-`)) : undefined;
  if (probeDir) process.env.MEMORY_PROBE_DIR = probeDir; // the API inherits the bench's environment
  const extra = build === 'this' && process.env.API_NODE_ARGS ? process.env.API_NODE_ARGS.split(' ') : [];
  const gen = await startGeneratedApi({
    pmts: PMTS,
    dir,
    mqttUrl,
    tag: `apiintake${build}`,
    root,
    nodeArgs: [
      ...extra,
      ...(probeDir ? ['-r', join(__dirname, 'memory-probe.js')] : []),
      ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`, `--cpu-prof-name=api-${build}.cpuprofile`] : []),
    ],
  });
  // before any reading: what start-up (the configuration's load) leaves and its peak
  const startMb = {
    rss: statusMb(gen.api.child!.pid!, 'VmRSS'),
    peak: statusMb(gen.api.child!.pid!, 'VmHWM'),
  };
  const pmts = loadSystemConfig(join(dir, 'cicenns.yaml'), {}).detector.pmts;
  let sweeps = 0;
  const feeder = spawn(
    process.execPath,
    [join(__dirname, 'hv-feeder.js'), mqttUrl, join(dir, 'cicenns.yaml'), `apiintake-feed-${build}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  feeder.stdout!.on('data', (b: Buffer) => (sweeps += b.toString().split('\n').length - 1));
  const stop = new AbortController();
  try {
    const token = await viewerToken(gen.url);
    await waitForEveryPmt(gen.url, token, 120_000);
    const crates = [...new Set(pmts.map((p) => p.hv.device))];
    const crate = crates[Math.floor(crates.length / 2)];
    const lags: number[] = [];
    const stream = watchStream(`${gen.url}/api/events?crate=${crate}`, token, lags, stop.signal);
    await sleep(WARMUP_S * 1000);
    lags.length = 0;
    const pid = gen.api.child!.pid!;
    const [c0, s0, t0] = [cpuTicks(pid), sweeps, Date.now()];
    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(statusMb(pid, 'VmRSS')), 1000);
    await sleep(SECONDS * 1000);
    clearInterval(sampler);
    const [c1, s1, t1] = [cpuTicks(pid), sweeps, Date.now()];
    const rssMb = statusMb(pid, 'VmRSS');
    const peakMb = statusMb(pid, 'VmHWM');
    // while still fed: the heap as it is between collections, not after a quiet spell
    const memory = probeDir ? await apiMemory(pid, probeDir) : undefined;
    stop.abort();
    await stream;
    return {
      memory,
      startMb,
      build,
      readings: (s1 - s0) * pmts.length,
      cpuS: (c1 - c0) / CLOCK_TICKS_PER_S,
      seconds: (t1 - t0) / 1000,
      rssMb,
      peakMb,
      rssMeanMb: rssSamples.reduce((a, b) => a + b, 0) / rssSamples.length,
      rssMaxMb: Math.max(...rssSamples),
      lags,
      load: loadAverage()
        .map((l) => l.toFixed(1))
        .join(', '),
    };
  } finally {
    stop.abort();
    const exited = new Promise((r) => feeder.once('exit', r));
    feeder.kill('SIGTERM');
    await exited;
    await gen.stop();
    rmSync(dir, { recursive: true, force: true });
    // the probe's reports go; a heap snapshot stays for heap-snapshot-summary (its path printed)
    if (probeDir && !process.env.MEMORY_PROBE_SNAPSHOT) rmSync(probeDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'api-intake-mqtt-'));
  const port = await freePort();
  const pid = startMosquitto(dir, port);
  try {
    const url = `mqtt://127.0.0.1:${port}`;
    await waitFor('mosquitto', () => portOpen(port), 10_000);
    const results: Result[] = [];
    if (process.env.BASELINE) results.push(await measure('baseline', process.env.BASELINE, url));
    results.push(await measure('this', ROOT, url));
    const per100k = (r: Result) => (r.cpuS / r.readings) * 100_000;
    const rows = results.map(
      (r) =>
        `| ${r.build} | ${r.readings.toLocaleString('en')} in ${r.seconds.toFixed(0)} s | ${per100k(r).toFixed(3)} | ` +
        `${((r.cpuS / r.seconds) * 100).toFixed(0)} % | ${r.rssMb.toFixed(0)} / ${r.peakMb.toFixed(0)} MB | ${r.rssMeanMb.toFixed(0)} / ${r.rssMaxMb.toFixed(0)} MB | ${r.lags.length} | ` +
        `${pct(r.lags, 50)} / ${pct(r.lags, 99)} | ${r.load} |`,
    );
    const ratio =
      results.length === 2
        ? `\nCPU per reading, this build / baseline: ${(per100k(results[1]) / per100k(results[0])).toFixed(2)}\n`
        : '';
    process.stdout
      .write(`${PMTS.toLocaleString('en')} PMTs, ${SECONDS} s measured per build after ${WARMUP_S} s of warm-up, ${new Date().toISOString().slice(0, 16)} UTC

| build | HV readings fed | API CPU s per 100,000 | CPU (of a core) | RSS at the end / peak | RSS over the run, mean / max | pmt events | reading -> event p50 / p99 ms | load average at the end |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
${ratio}`);
    if (results.some((r) => r.memory))
      process.stdout.write(
        `\nWhere the API's memory is at the end of its run, MB${process.env.API_NODE_ARGS ? ` (this build with ${process.env.API_NODE_ARGS})` : ''}:\n\n${API_MEMORY_HEADER}\n` +
          results
            .filter((r) => r.memory)
            .map(
              (r) =>
                apiMemoryRow(r.build, r.memory!) +
                ` listening, before any reading: RSS ${r.startMb.rss.toFixed(0)}, peak ${r.startMb.peak.toFixed(0)} MB` +
                (r.memory!.snapshot ? `; snapshot: ${r.memory!.snapshot}` : ''),
            )
            .join('\n') +
          '\n',
      );
  } finally {
    process.kill(pid);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 }); // mosquitto may still be writing
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
