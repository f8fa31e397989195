/**
 * InfluxDB's CPU per point against the size of the writes it gets (issue 13): the same steady
 * stream of points, live timestamps, written in batches of different sizes. The historian writes
 * a full batch (influx.batchSize) or what there is once its oldest line has waited
 * influx.flushIntervalMs; at a few thousand readings a second a 100 ms interval makes writes of
 * 1,000-2,000 lines, not 5,000. This says what that costs InfluxDB.
 *
 *   npm run bench:influx-batch-size [-- --pmts 5000 --seconds 60 --sizes 500,1500,5000 --rounds 2]
 *
 * One InfluxDB 1.6 (tsi1, as deployed), a fresh database per run. The stream is what --pmts PMTs
 * give once a second: an HV point (vmon, imon, status, quality as the historian stores them with
 * set values on change) and a DCR point (rate_hz, quality) per PMT, with the historian's tags,
 * written at that rate in batches of each size, at most two writes in flight (the historian's
 * writeConcurrency), for --seconds. Measured: influxd's CPU seconds (/proc) from the first write
 * to 5 s after the last (its cache snapshot included when one falls in the run) per 100,000
 * points, and the writes' latency. Sizes alternate in each round; ratios are to the largest size.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startOwnInflux } from '../test/support/servers';
import { sleep } from '../test/support/processes';
import { CLOCK_TICKS_PER_S, cpuTicks, loadAverage } from './proc-stats';
import { median, pct } from './percentiles';

/** The lines of one second's sweep at `ts`: an HV and a DCR point per PMT, as the historian writes them. */
/** The tags of the i-th generated PMT's points, as the historian writes them. */
export function pmtTags(i: number): string {
  const crystal = `CsI${String(Math.floor(i / 2) + 1).padStart(5, '0')}`;
  return `group=crystal,parent=${crystal},pmt=${crystal}-${i % 2 ? 'B' : 'A'}`;
}

export function sweepLines(pmts: number, ts: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < pmts; i++) {
    const tags = pmtTags(i);
    const wobble = ((ts / 1000 + i) % 97) / 97;
    lines.push(
      `hv,${tags} vmon=${(1500 + wobble).toFixed(3)},imon=${(1.5 + wobble / 10).toFixed(4)},status=3i,quality="good" ${ts}`,
    );
    lines.push(`dcr,${tags} rate_hz=${(500 + 20 * wobble).toFixed(2)},quality="good" ${ts}`);
  }
  return lines;
}

async function write(url: string, db: string, body: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body });
  if (res.status !== 204) throw new Error(`write: ${res.status} ${await res.text()}`);
  return performance.now() - t0;
}

async function run(
  url: string,
  pid: number,
  db: string,
  pmts: number,
  seconds: number,
  batch: number,
): Promise<{ cpuSPer100k: number; writeMsP50: number; writeMsP99: number; points: number }> {
  await fetch(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE ${db}`)}`, { method: 'POST' });
  const pending: string[] = [];
  const latencies: number[] = [];
  let inFlight = 0;
  let points = 0;
  const cpu0 = cpuTicks(pid);
  const start = Math.ceil(Date.now() / 1000) * 1000;
  /** one write of the oldest `batch` lines (or fewer: the last), then the next full one */
  const send = () => {
    const body = pending.splice(0, batch).join('\n');
    inFlight++;
    void write(url, db, body).then((ms) => {
      latencies.push(ms);
      inFlight--;
      pump();
    });
  };
  const pump = () => {
    while (inFlight < 2 && pending.length >= batch) send();
  };
  // each second's sweep is produced in slices of `batch` lines spread over the second, as the
  // historian's writes would follow the readings arriving
  const perSecond = 2 * pmts;
  const slices = Math.max(1, Math.round(perSecond / batch));
  for (let s = 0; s < seconds; s++) {
    const lines = sweepLines(pmts, start + s * 1000);
    for (let k = 0; k < slices; k++) {
      const until = start + s * 1000 + ((k + 1) * 1000) / slices;
      const slice = lines.slice(
        Math.floor((k * lines.length) / slices),
        Math.floor(((k + 1) * lines.length) / slices),
      );
      pending.push(...slice);
      points += slice.length;
      pump();
      await sleep(Math.max(0, until - Date.now()));
    }
  }
  // the rest, shorter than a batch
  while (pending.length > 0 || inFlight > 0) {
    if (pending.length > 0 && inFlight < 2) send();
    await sleep(10);
  }
  await sleep(5000);
  const cpuS = (cpuTicks(pid) - cpu0) / CLOCK_TICKS_PER_S;
  return {
    cpuSPer100k: (cpuS * 100_000) / points,
    writeMsP50: pct(latencies, 50),
    writeMsP99: pct(latencies, 99),
    points,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pmts: { type: 'string', default: '5000' },
      seconds: { type: 'string', default: '60' },
      sizes: { type: 'string', default: '500,1500,5000' },
      rounds: { type: 'string', default: '2' },
    },
  });
  const pmts = Number(values.pmts);
  const seconds = Number(values.seconds);
  const sizes = values.sizes!.split(',').map(Number);
  const { url, pid, stop } = await startOwnInflux(mkdtempSync(join(tmpdir(), 'influx-batch-')), {
    index: 'tsi1',
  });
  const got: Record<number, number[]> = {};
  try {
    console.log(
      `${pmts} PMTs: ${2 * pmts} points/s for ${seconds} s per run, sizes ${sizes.join(', ')}, load ${loadAverage().join(' ')}`,
    );
    for (let round = 1; round <= Number(values.rounds); round++) {
      const order = round % 2 ? sizes : [...sizes].reverse();
      for (const size of order) {
        const r = await run(url, pid, `b${size}_r${round}`, pmts, seconds, size);
        (got[size] ??= []).push(r.cpuSPer100k);
        console.log(
          `  round ${round} batch ${String(size).padStart(6)}: InfluxDB ${r.cpuSPer100k.toFixed(2)} CPU s per 100k points, ` +
            `write p50 ${r.writeMsP50.toFixed(0)} ms p99 ${r.writeMsP99.toFixed(0)} ms (${r.points} points, load ${loadAverage()[0]})`,
        );
      }
    }
  } finally {
    await stop();
  }
  const largest = Math.max(...sizes);
  console.log('\nbatch lines  InfluxDB CPU s per 100k points (median)  / largest batch');
  for (const size of sizes)
    console.log(
      `${String(size).padStart(11)}  ${median(got[size]).toFixed(2).padStart(8)}  ${(median(got[size]) / median(got[largest])).toFixed(2).padStart(6)}`,
    );
}

if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
