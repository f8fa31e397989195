/**
 * What the aggregate tier's continuous query costs InfluxDB while the stream is being written
 * (issue 13). Run alone on a quiet server a run of it costs about a quarter of a core at 5,000
 * PMTs (bench/influx-cq-cost.ts), in the sustained run about 0.86: this finds out whether the
 * writes beside it are what makes the difference, with nothing but InfluxDB and one writer.
 *
 *   npm run bench:influx-cq-live [-- --pmts 5000 --phase-minutes 2 --rounds 2 --alarm-series 20000]
 *
 * One InfluxDB 1.6 (tsi1, its continuous-query service on, as deployed), the stream of --pmts
 * PMTs with live timestamps (an HV and a DCR point per PMT per second, the historian's lines:
 * bench/influx-batch-size.ts, and the HV set values' keyframes) in writes of about 2,000 lines,
 * two in flight, as the historian writes at 5,000 PMTs; with --alarm-series N, N alarm ids with
 * one journal point each (the series a detector's alarm history leaves). Phases of
 * --phase-minutes, in --rounds rounds of --forms: writes only (none), with the one continuous
 * query of every field of every measurement the historian created before (before), with its
 * queries now (now: retention-setup.ts); InfluxDB runs them once a minute over the last two
 * minutes. For each phase influxd's CPU (cores, /proc) and what its Go heap allocated
 * (/debug/vars memstats): a form's live cost is its difference to writes only. With --pprof
 * FILE, influxd's CPU profile over the last round's phases with queries, FILE.<form> (Go's
 * pprof: `go tool pprof -top /usr/bin/influxd FILE.now`, golang-go from Debian, reads it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSystemConfig } from '@cicenns/model';
import {
  AGGREGATE_CQ,
  continuousQuery,
  HELD_CQ,
  hvFieldsOf,
  tierQueries,
} from '../apps/historian/src/retention-setup';
import { startOwnInflux } from '../test/support/servers';
import { influxQuery } from './influx-http';
import { sleep } from '../test/support/processes';
import { CLOCK_TICKS_PER_S, cpuTicks, loadAverage, statusMb } from './proc-stats';
import { pmtTags, sweepLines } from './influx-batch-size';
import { median } from './percentiles';

const DB = 'cicenns';
const LINES_PER_WRITE = 2000;
const IN_FLIGHT = 2;

/** The shipped configuration: its tiers (raw, 1-minute aggregates, FOR 2 m) and HV profiles. */
const shipped = loadSystemConfig(undefined, {});
const settings = { ...shipped.app.influx, database: DB };
const HV_FIELDS = hvFieldsOf(shipped.profiles.values());
const RAW = settings.tiers.raw.name;
const AGG = settings.tiers.aggregate.name;
const WRITE_PATH = `/write?db=${DB}&rp=${RAW}&precision=ms`;

const query = (url: string, q: string) => influxQuery(url, DB, q);

/** Bytes InfluxDB's Go heap has allocated so far (memstats.TotalAlloc of /debug/vars). */
async function goAllocated(url: string): Promise<number> {
  const vars = (await (await fetch(`${url}/debug/vars`)).json()) as { memstats: { TotalAlloc: number } };
  return vars.memstats.TotalAlloc;
}

/**
 * The HV set values as the historian stores them (set-values.ts): on change, and a keyframe per
 * channel every 10 minutes, the channels spread over them; so hv has its 10 fields as deployed.
 */
function keyframeLines(pmts: number, ts: number): string[] {
  const lines: string[] = [];
  const s = Math.floor(ts / 1000);
  for (let i = (600 - (s % 600)) % 600; i < pmts; i += 600)
    lines.push(`hv,${pmtTags(i)} vset=1500,iset=200,power=1i,ramp_up=50,ramp_down=50,trip_time=1 ${ts}`);
  return lines;
}

/** The live stream: one sweep a second, in writes of LINES_PER_WRITE, at most IN_FLIGHT at once. */
function startStream(
  url: string,
  pmts: number,
  alarmSeries: number,
): { stop: () => Promise<void>; late: () => number; failed: () => number } {
  let running = true;
  let late = 0;
  let failed = 0;
  const pending: string[] = [];
  let inFlight = 0;
  const pump = () => {
    while (inFlight < IN_FLIGHT && pending.length > 0) {
      const body = pending.splice(0, LINES_PER_WRITE).join('\n');
      inFlight++;
      void fetch(`${url}${WRITE_PATH}`, { method: 'POST', body })
        .then(async (res) => {
          if (res.status !== 204) throw new Error(`write: ${res.status} ${await res.text()}`);
        })
        .catch((e: unknown) => {
          if (failed++ === 0) console.error(`a write failed: ${String(e)}`);
        })
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  };
  const loop = (async () => {
    for (let t = Math.ceil(Date.now() / 1000) * 1000; running; t += 1000) {
      await sleep(Math.max(0, t - Date.now()));
      if (pending.length > 2 * pmts) late++; // more than a sweep still waiting: InfluxDB behind
      pending.push(...sweepLines(pmts, t), ...keyframeLines(pmts, t));
      if (alarmSeries > 0) pending.push(journalLine((t / 1000) % alarmSeries, t)); // an event a second
      pump();
    }
  })();
  return {
    late: () => late,
    failed: () => failed,
    stop: async () => {
      running = false;
      await loop;
      for (const until = Date.now() + 30_000; (inFlight > 0 || pending.length > 0) && Date.now() < until;)
        await sleep(50);
    },
  };
}

/** A journal event of the k-th alarm id at ts, with the fields of docs/DATA.md. */
const journalLine = (k: number, ts: number) =>
  `alarm,alarm=dcr-high:CsI${String(k).padStart(6, '0')}-A action="raise",state="active",from="normal",` +
  `rule="dcr-high",severity="warning",message="DCR 1500 Hz above 1000 Hz",value=1500,by="system",` +
  `beam_on=true,beam_power_kw=140,quality="good" ${ts}`;

/**
 * One journal point for each of `n` alarm ids (measurement `alarm`, tag `alarm`), spread over
 * the last 30 minutes: the series a detector's alarm history leaves in the shard the continuous
 * query reads, none of them with a point in its two minutes.
 */

async function writeAlarmJournal(url: string, n: number): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < n; i += 5000) {
    const lines: string[] = [];
    for (let k = i; k < Math.min(n, i + 5000); k++) {
      const ts = now - 30 * 60_000 + Math.floor((k / n) * 25 * 60_000);
      lines.push(journalLine(k, ts));
    }
    const res = await fetch(`${url}${WRITE_PATH}`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    if (res.status !== 204) throw new Error(`alarm journal write: ${res.status} ${await res.text()}`);
  }
}

/**
 * What InfluxDB runs beside the writes in a phase: nothing; the aggregate tier's queries as they
 * were before the alarm journal and hv got their own (one query of every field of every
 * measurement, and the held set values'); the historian's queries now (retention-setup.ts).
 */
const FORMS = {
  none: { label: 'writes only', queries: [] as string[] },
  before: {
    label: 'writes + the one query of before',
    queries: [
      `CREATE CONTINUOUS QUERY "${AGGREGATE_CQ}" ON ${DB} RESAMPLE EVERY 1m FOR 120s BEGIN ` +
        `SELECT mean(*), min(*), max(*), count(*) INTO "${DB}"."${AGG}".:MEASUREMENT FROM "${DB}"."${RAW}"./.*/ ` +
        `GROUP BY time(1m), * END`,
      // and the held set values' query, then as now
      ...tierQueries(settings, HV_FIELDS)
        .filter((q) => q.name === HELD_CQ)
        .map((q) => continuousQuery(settings, q)),
    ],
  },
  now: {
    label: "writes + the historian's queries now",
    queries: tierQueries(settings, HV_FIELDS).map((q) => continuousQuery(settings, q)),
  },
};
type Form = keyof typeof FORMS;

/** Drop the continuous queries there are, create those of `form`. */
async function setForm(url: string, form: Form): Promise<void> {
  for (const { name } of tierQueries(settings, HV_FIELDS))
    await query(url, `DROP CONTINUOUS QUERY "${name}" ON ${DB}`).catch(() => undefined); // none yet
  for (const q of FORMS[form].queries) await query(url, q);
}

interface Phase {
  form: Form;
  cores: number;
  allocMbPerS: number;
  rssMb: number;
}

async function measure(url: string, pid: number, form: Form, ms: number): Promise<Phase> {
  const c0 = cpuTicks(pid);
  const a0 = await goAllocated(url);
  const t0 = Date.now();
  await sleep(ms);
  const s = (Date.now() - t0) / 1000;
  return {
    form,
    cores: (cpuTicks(pid) - c0) / CLOCK_TICKS_PER_S / s,
    allocMbPerS: ((await goAllocated(url)) - a0) / 1e6 / s,
    rssMb: statusMb(pid, 'VmRSS'),
  };
}

/** influxd's CPU profile over the next `ms`, saved to `file`. */
async function cpuProfile(url: string, ms: number, file: string): Promise<void> {
  const res = await fetch(`${url}/debug/pprof/profile?seconds=${Math.floor(ms / 1000) - 2}`);
  if (res.status !== 200) throw new Error(`pprof: ${res.status} ${await res.text()}`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  console.log(`  influxd's CPU profile over this phase: ${file}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pmts: { type: 'string', default: '5000' },
      'phase-minutes': { type: 'string', default: '2' },
      rounds: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '60' },
      pprof: { type: 'string' },
      'alarm-series': { type: 'string', default: '0' },
      forms: { type: 'string', default: 'none,before,now' },
    },
  });
  const pmts = Number(values.pmts);
  const phaseMs = Number(values['phase-minutes']) * 60_000;
  const { url, pid, stop } = await startOwnInflux(mkdtempSync(join(tmpdir(), 'influx-cq-live-')), {
    index: 'tsi1',
    continuousQueries: true,
  });
  let stream: ReturnType<typeof startStream> | undefined;
  try {
    await query(url, `CREATE DATABASE ${DB}`);
    await query(url, `CREATE RETENTION POLICY "${RAW}" ON ${DB} DURATION INF REPLICATION 1 DEFAULT`);
    await query(url, `CREATE RETENTION POLICY "${AGG}" ON ${DB} DURATION INF REPLICATION 1`);
    const alarmSeries = Number(values['alarm-series']);
    stream = startStream(url, pmts, alarmSeries);
    console.log(
      `${pmts} PMTs, ${2 * pmts} points/s live; ${values.rounds} rounds of ${values['phase-minutes']} min each of ${values.forms}; load ${loadAverage().join(' ')}`,
    );
    if (alarmSeries > 0) {
      await writeAlarmJournal(url, alarmSeries);
      console.log(
        `  ${alarmSeries} alarm series, one journal point each in the last 30 min, and an event a second from now on`,
      );
    }
    await sleep(Number(values.warmup) * 1000);
    const phases: Phase[] = [];
    const forms = values.forms.split(',') as Form[];
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const form of forms) {
        await setForm(url, form);
        const profile =
          form !== 'none' && round === Number(values.rounds) && values.pprof
            ? cpuProfile(url, phaseMs, `${values.pprof}.${form}`)
            : undefined;
        const p = await measure(url, pid, form, phaseMs);
        await profile;
        phases.push(p);
        console.log(
          `  round ${round}, ${FORMS[form].label}: influxd ${p.cores.toFixed(3)} cores, Go heap allocated ${p.allocMbPerS.toFixed(0)} MB/s, RSS ${p.rssMb.toFixed(0)} MB, load ${loadAverage().join(' ')}`,
        );
      }
    }
    // the queries did write: aggregates of DCR, and the alarm journal's counts
    const count = async (q: string) =>
      ((await query(url, q)) as { results: { series?: { values: [string, number][] }[] }[] }).results[0]
        .series?.[0].values[0][1] ?? 0;
    const dcrAggregates = await count(`SELECT count(count_rate_hz) FROM "${DB}"."${AGG}"."dcr"`);
    const alarmCounts = await count(`SELECT count(count_state) FROM "${DB}"."${AGG}"."alarm"`);
    if (dcrAggregates === 0) throw new Error('the continuous queries wrote no aggregates');
    if (alarmSeries > 0 && alarmCounts === 0) throw new Error('the alarm journal was not counted');
    const of = (form: Form, k: 'cores' | 'allocMbPerS') =>
      median(phases.filter((p) => p.form === form).map((p) => p[k]));
    const w = of('none', 'cores');
    console.log('\nmedians:');
    for (const form of forms)
      console.log(
        `  ${FORMS[form].label}: ${of(form, 'cores').toFixed(3)} cores (${of(form, 'allocMbPerS').toFixed(0)} MB/s allocated)` +
          (form === 'none' ? '' : `; the queries: ${(of(form, 'cores') - w).toFixed(3)} cores`),
      );
    if (forms.includes('before') && forms.includes('now'))
      console.log(
        `  the queries now against before: ${((of('now', 'cores') - w) / (of('before', 'cores') - w)).toFixed(2)}x`,
      );
    console.log(
      `  ${dcrAggregates} DCR aggregates and ${alarmCounts} alarm counts written; ${stream.late()} sweeps found the previous one unwritten, ${stream.failed()} writes failed`,
    );
  } finally {
    await stream?.stop().catch(() => undefined);
    await stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
