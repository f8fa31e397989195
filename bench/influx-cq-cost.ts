/**
 * What the aggregate tier's continuous queries cost InfluxDB (issue 13). In the sustained run at
 * 5,000 PMTs InfluxDB took 1.1 cores for 10,500 points a second, where writing the same stream
 * alone costs about 0.2 (bench/influx-batch-size.ts): this measures the rest.
 *
 *   npm run bench:influx-cq-cost [-- --pmts 5000 --minutes 3 --rounds 2]
 *
 * One InfluxDB 1.6 (tsi1, as deployed), continuous queries off (the queries are run by hand
 * here, so each run is measured alone). --minutes minutes of the stream of --pmts PMTs (an HV and
 * a DCR point per PMT per second, the historian's lines: bench/influx-batch-size.ts), ending 5
 * minutes ago, written in batches of 5,000 lines; then, with nothing else running, each variant
 * of the aggregate query's SELECT ... INTO (the historian's own, retention-setup.ts) over whole
 * minutes of it, influxd's CPU seconds (/proc) per run. A continuous query runs once a minute
 * (RESAMPLE EVERY 1m), so its CPU seconds per run / 60 are the cores it takes; the write of one
 * minute of the stream is measured the same way, as the reference.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startOwnInflux } from '../test/support/servers';
import { influxQuery } from './influx-http';
import { sleep } from '../test/support/processes';
import { CLOCK_TICKS_PER_S, cpuTicks, loadAverage } from './proc-stats';
import { sweepLines } from './influx-batch-size';
import { median } from './percentiles';

const DB = 'cicenns';

const query = async (url: string, q: string): Promise<void> => void (await influxQuery(url, DB, q));

async function write(url: string, lines: string[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 5000) {
    const res = await fetch(`${url}/write?db=${DB}&rp=raw&precision=ms`, {
      method: 'POST',
      body: lines.slice(i, i + 5000).join('\n'),
    });
    if (res.status !== 204) throw new Error(`write: ${res.status} ${await res.text()}`);
  }
}

/** influxd's CPU seconds for `work`, after a quiet second. */
async function cpuOf(pid: number, work: () => Promise<void>): Promise<number> {
  await sleep(1000);
  const c0 = cpuTicks(pid);
  await work();
  return (cpuTicks(pid) - c0) / CLOCK_TICKS_PER_S;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pmts: { type: 'string', default: '5000' },
      minutes: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '2' },
    },
  });
  const pmts = Number(values.pmts);
  const minutes = Number(values.minutes);
  const { url, pid, stop } = await startOwnInflux(mkdtempSync(join(tmpdir(), 'influx-cq-')), {
    index: 'tsi1',
    continuousQueries: false,
  });
  try {
    await query(url, `CREATE DATABASE ${DB}`);
    await query(url, `CREATE RETENTION POLICY raw ON ${DB} DURATION INF REPLICATION 1 DEFAULT`);
    await query(url, `CREATE RETENTION POLICY agg ON ${DB} DURATION INF REPLICATION 1`);
    const end = Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000;
    const start = end - minutes * 60_000;
    console.log(
      `${pmts} PMTs: ${minutes} min of ${2 * pmts} points/s (${(minutes * 120 * pmts).toLocaleString()} points), load ${loadAverage().join(' ')}`,
    );
    const writeS: number[] = [];
    for (let m = 0; m < minutes; m++) {
      const lines: string[] = [];
      for (let s = 0; s < 60; s++) lines.push(...sweepLines(pmts, start + m * 60_000 + s * 1000));
      writeS.push(await cpuOf(pid, () => write(url, lines)));
    }
    console.log(`  writing one minute: ${writeS.map((s) => s.toFixed(1)).join(', ')} CPU s`);
    const sel = (aggs: string, from: number, to: number) =>
      `SELECT ${aggs} INTO ${DB}.agg.:MEASUREMENT FROM ${DB}.raw./.*/ WHERE time >= ${from}ms AND time < ${to}ms GROUP BY time(1m), *`;
    const last = end - 60_000;
    const variants: [string, string][] = [
      [
        'as deployed: 4 aggregates of every field, FOR 2m (2 minutes a run)',
        sel('mean(*), min(*), max(*), count(*)', last - 60_000, end),
      ],
      ['4 aggregates, FOR 1m (1 minute a run)', sel('mean(*), min(*), max(*), count(*)', last, end)],
      ['count(*) only, 1 minute', sel('count(*)', last, end)],
      ['mean(*) only, 1 minute', sel('mean(*)', last, end)],
      [
        'the held set values (last of 6 fields of hv), FOR 2m',
        `SELECT last(vset) AS last_vset, last(iset) AS last_iset, last(power) AS last_power, last(ramp_up) AS last_ramp_up, last(ramp_down) AS last_ramp_down, last(trip_time) AS last_trip_time INTO ${DB}.agg.hv FROM ${DB}.raw.hv WHERE time >= ${last - 60_000}ms AND time < ${end}ms GROUP BY time(1m), *`,
      ],
    ];
    const got = new Map<string, number[]>();
    for (let round = 1; round <= Number(values.rounds); round++)
      for (const [name, q] of variants) {
        const s = await cpuOf(pid, () => query(url, q));
        got.set(name, [...(got.get(name) ?? []), s]);
        console.log(`  round ${round}: ${name}: ${s.toFixed(1)} CPU s`);
      }
    const w = median(writeS);
    console.log(
      `\nonce a minute, in cores (CPU s / 60), and against writing that minute (${w.toFixed(1)} CPU s, ${(w / 60).toFixed(3)} cores):`,
    );
    for (const [name] of variants) {
      const s = median(got.get(name)!);
      console.log(
        `  ${name}: ${s.toFixed(1)} CPU s = ${(s / 60).toFixed(3)} cores, ${(s / w).toFixed(2)}x the write`,
      );
    }
  } finally {
    await stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
