/**
 * The alarm service's cost as the detector grows (issue 13), in one process with the real rule
 * engine and runtime on generated detectors (gen:detector's writeGeneratedConfig), a simulated
 * clock and a sink that only counts: what is measured is the service's own work, not the broker's.
 *
 * For each size: start-up (rules built, records created, the start states published), the
 * cost of one reading (an HV poll of every channel, a DCR sweep in the intake's batches of
 * 1,000), one tick at rest, the per-tick walk of every record the runtime used to do (the same
 * lifecycle functions over all records, reproduced here as it was), and a DAQ that appears 45 s
 * after the service: how many transitions at once, how long the busiest second took, and how
 * long a real fault (an HV trip, no delay) waits for its alarm to be published when it arrives
 * as that second's tick starts. The late DAQ runs twice on the same detector: with daq-down
 * holding the DAQ-side stale checks (holdStale, the default) and without (each channel goes
 * stale under daq-down and is suppressed one by one, as before). Last, at rest, a gateway of up to
 * 32 crates stops answering for 30 s and comes back (gatewayDown): the transitions under its
 * crates' device-down, the busiest second and the wait of a trip behind another gateway.
 *
 *   npm run bench:alarm-scale                 (SIZES=1000,5000,20000,45000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlarmStateName, AlarmView, JournalEvent, Reading, ServiceHealth } from '@cicenns/contracts';
import { loadSystemConfig, writeGeneratedConfig, type Pmt, type SystemConfig } from '@cicenns/model';
import { alarmRulesFile } from '../apps/alarms/src/alarms.module';
import { loadAlarmConfig } from '../apps/alarms/src/rules/alarm-config';
import { DefaultRuleEngine } from '../apps/alarms/src/rules/rule-engine';
import type { AlarmSink } from '../apps/alarms/src/runtime/alarm-outputs';
import { AlarmRuntime } from '../apps/alarms/src/runtime/alarm-runtime';
import { AlarmStore } from '../apps/alarms/src/runtime/alarm-store';
import { nextDeadline, tick } from '../apps/alarms/src/runtime/lifecycle';
import { suppressorOf, suppressors } from '../apps/alarms/src/runtime/suppression';

/** the gateway-down rows, printed after the main table */
const gatewayRows: string[] = [];
const SIZES = (process.env.SIZES ?? '1000,5000,20000,45000').split(',').map(Number);
const BATCH = 1000; // intake.batchMaxReadings

class CountingSink implements AlarmSink {
  states = 0;
  events = 0;
  onState?: (v: AlarmView) => void;
  state(v: AlarmView): void {
    this.states++;
    this.onState?.(v);
  }
  event(_e: JournalEvent): void {
    this.events++;
  }
  republish(views: AlarmView[], _stateOf: (id: string) => AlarmStateName | undefined): void {
    this.states += views.length;
  }
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

function hvSweep(cfg: SystemConfig, ts: number): Reading[] {
  return cfg.detector.pmts.map((p) => {
    const v = cfg.detector.currentCalibration(p.id, ts)!.hvV;
    return {
      m: 'hv',
      id: p.id,
      ts,
      quality: 'good',
      fields: { vmon: v, vset: v, imon: 100, power: 1, status: 1 },
      source: 'poller',
    } as Reading;
  });
}

function dcrSweep(cfg: SystemConfig, ts: number): Reading[] {
  return cfg.detector.pmts.map((p) => ({
    m: 'dcr',
    id: p.id,
    ts,
    quality: 'good',
    fields: { rate_hz: cfg.detector.currentCalibration(p.id, ts)!.dcrHz, window_s: 1 },
    source: 'daq',
  }));
}

function temperatures(cfg: SystemConfig, ts: number): Reading[] {
  return cfg.detector.sensors.map((s) => ({
    m: 'temperature',
    id: s.id,
    ts,
    quality: 'good',
    fields: { value_c: 22 },
    source: 'poller',
  }));
}

function feed(rt: AlarmRuntime, readings: Reading[]): number {
  let worst = 0;
  for (let i = 0; i < readings.length; i += BATCH) {
    const t0 = process.hrtime.bigint();
    rt.onReadings(readings.slice(i, i + BATCH));
    worst = Math.max(worst, ms(t0));
  }
  return worst;
}

/** The runtime's old once-a-second work: tick every record, suppression over all, next deadline over all. */
function oldWalk(rt: AlarmRuntime, now: number): number {
  const t0 = process.hrtime.bigint();
  const records = [...rt.records()];
  const clock = { now, beam: rt.beam.snapshot() };
  const outcomes = records.map((r) => tick(r, clock));
  const s = suppressors(records);
  let n = 0;
  for (const o of outcomes) if (suppressorOf(o.record, s) !== o.record.suppressedBy) n++;
  let next = Infinity;
  for (const r of records) next = Math.min(next, nextDeadline(r) ?? Infinity);
  if (n < 0 || next < 0) throw new Error('unreachable');
  return ms(t0);
}

interface Run {
  cfg: SystemConfig;
  rt: AlarmRuntime;
  sink: CountingSink;
  store: AlarmStore;
  startMs: number;
  t: number;
}

function startRun(cfg: SystemConfig, dir: string, name: string, holdStale: boolean): Run {
  const t = Date.parse('2026-06-01T00:00:00Z');
  const run = { cfg, t, sink: new CountingSink(), store: new AlarmStore(join(dir, `${name}.db`)) } as Run;
  const alarms = loadAlarmConfig(alarmRulesFile(cfg));
  alarms.rules['daq-down'].holdStale = holdStale;
  const t0 = process.hrtime.bigint();
  const engine = new DefaultRuleEngine(cfg, alarms);
  run.rt = new AlarmRuntime({
    engine,
    store: run.store,
    sink: run.sink,
    evaluationIntervalMs: 1000,
    now: () => run.t,
  }).start(false);
  run.startMs = ms(t0);
  return run;
}

/** What a run of seconds cost: transitions (the probes' own left out), the busiest second, the probe's wait. */
interface SecondsStats {
  mostInOneSecond: number;
  all: number;
  busiest: number;
  faultMax: number;
  faultMedian: number;
}

/**
 * `seconds` simulated seconds, each with the inputs `at(s)` gives. Every second an HV trip on the
 * tube `probeAt(s)` arrives as the tick starts: the time until its alarm is published is what a
 * real fault waits behind that second's work.
 */
function probedSeconds(
  run: Run,
  seconds: number,
  at: (s: number) => { readings: Reading[][]; health?: ServiceHealth },
  probeAt: (s: number) => Pmt,
): SecondsStats {
  const { cfg, rt, sink } = run;
  const transitionsPerSecond: number[] = [];
  const faultMs: number[] = [];
  let busiest = 0;
  let published: number | undefined;
  let probe = '';
  sink.onState = (v) => {
    if (v.alarmId === probe && v.state === 'active-unack') published = Number(process.hrtime.bigint());
  };
  for (let s = 0; s < seconds; s++) {
    run.t += 1000;
    const input = at(s);
    const before = rt.counters.transitions;
    const c0 = process.hrtime.bigint();
    if (input.health) rt.onHealth(input.health);
    for (const r of input.readings) feed(rt, r);
    const p = probeAt(s);
    const v = cfg.detector.currentCalibration(p.id, run.t)!.hvV;
    const trip: Reading = {
      m: 'hv',
      id: p.id,
      ts: run.t,
      quality: 'good',
      fields: { vmon: v, vset: v, imon: 100, power: 1, status: 65 },
      source: 'poller',
    };
    probe = `hv-trip:${p.id}`;
    published = undefined;
    const arrived = Number(process.hrtime.bigint());
    rt.runTick();
    rt.onReadings([trip]);
    faultMs.push(published === undefined ? NaN : (published - arrived) / 1e6);
    busiest = Math.max(busiest, ms(c0));
    transitionsPerSecond.push(rt.counters.transitions - before);
  }
  sink.onState = undefined;
  // the probes' own raises and clears are not the burst
  const other = transitionsPerSecond.map((n) => n - 2);
  return {
    mostInOneSecond: Math.max(...other),
    all: other.reduce((a, b) => a + b, 0),
    busiest,
    faultMax: Math.max(...faultMs),
    faultMedian: [...faultMs].sort((a, b) => a - b)[faultMs.length >> 1],
  };
}

/** 45 s of HV and temperatures, then the DAQ appears for 15 s; the probe on tube s. */
function lateDaq(run: Run): SecondsStats {
  const { cfg } = run;
  return probedSeconds(
    run,
    60,
    (s) => ({
      readings: [
        hvSweep(cfg, run.t),
        s >= 45 ? dcrSweep(cfg, run.t) : [],
        s % 2 ? [] : temperatures(cfg, run.t),
      ],
    }),
    (s) => cfg.detector.pmts[s],
  );
}

/**
 * At rest, the first HV gateway (up to 32 crates of 64) stops answering from second 5 to 35: the
 * poller publishes its channels as bad and says each crate is down in its health. Each channel's
 * stale-hv (3 s) goes active under its crate's device-down and is suppressed; at the end each is
 * released. The probe is a tube behind another gateway. Returns the gateway's channels too.
 */
function gatewayDown(run: Run): SecondsStats & { crates: number; channels: number } {
  const { cfg } = run;
  const hvDevices = cfg.app.devices.filter((d) => cfg.profiles.get(d.profile)?.kind === 'hv');
  const link = hvDevices[0]!.link;
  const crates = new Set(hvDevices.filter((d) => d.link === link).map((d) => d.id));
  const behind = new Set(cfg.detector.pmts.filter((p) => crates.has(p.hv.device)).map((p) => p.id));
  const others = cfg.detector.pmts.filter((p) => !behind.has(p.id));
  const down = (s: number) => s >= 5 && s < 35;
  const health = (s: number): ServiceHealth => ({
    service: 'poller',
    state: down(s) ? 'degraded' : 'running',
    ts: run.t,
    connections: Object.fromEntries(
      hvDevices.map((d) => [
        `device/${d.id}`,
        down(s) && crates.has(d.id)
          ? { state: 'down' as const, detail: 'timeout after 1000 ms', since: run.t }
          : { state: 'up' as const, since: run.t },
      ]),
    ),
    counters: {},
  });
  const stats = probedSeconds(
    run,
    50,
    (s) => ({
      health: health(s),
      readings: [
        hvSweep(cfg, run.t).map((r) =>
          down(s) && behind.has(r.id)
            ? { ...r, quality: 'bad' as const, fields: {}, error: 'timeout after 1000 ms' }
            : r,
        ),
        dcrSweep(cfg, run.t),
        s % 2 ? [] : temperatures(cfg, run.t),
      ],
    }),
    (s) => others[s % others.length]!,
  );
  return { ...stats, crates: crates.size, channels: behind.size };
}

function measure(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), `alarm-scale-${n}-`));
  try {
    writeGeneratedConfig({ pmts: n }, dir);
    const cfg = loadSystemConfig(join(dir, 'cicenns.yaml'), {});
    // before: every DAQ-side channel goes stale under daq-down and is suppressed one by one
    const old = startRun(cfg, dir, 'before', false);
    const was = lateDaq(old);
    old.rt.stop();
    old.store.close();

    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const run = startRun(cfg, dir, 'after', true);
    const startStates = run.sink.states;
    const now = lateDaq(run);
    const { rt } = run;

    // at rest: the cost of a reading and of a tick
    const rounds = 5;
    let hvMs = 0;
    let dcrMs = 0;
    let tickMs = 0;
    let walkMs = 0;
    for (let s = 0; s < rounds; s++) {
      run.t += 1000;
      const hv = hvSweep(cfg, run.t);
      const dcr = dcrSweep(cfg, run.t);
      let t0 = process.hrtime.bigint();
      feed(rt, hv);
      hvMs += ms(t0);
      t0 = process.hrtime.bigint();
      feed(rt, dcr);
      dcrMs += ms(t0);
      t0 = process.hrtime.bigint();
      rt.runTick();
      tickMs += ms(t0);
      walkMs += oldWalk(rt, run.t);
    }
    global.gc?.();
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    const gw = gatewayDown(run);
    gatewayRows.push(
      `| ${n.toLocaleString('en')} | ${gw.crates} / ${gw.channels.toLocaleString('en')} | ${gw.mostInOneSecond} / ${gw.all} | ` +
        `${gw.busiest.toFixed(0)} | ${gw.faultMax.toFixed(1)} | ${gw.faultMedian.toFixed(2)} |`,
    );
    const usPerReading = (x: number) => ((x / rounds) * 1000) / n;
    const states = rt.countsByState();
    const notNormal = rt.size - states.normal;
    rt.stop();
    run.store.close();
    const f = (x: number) => x.toFixed(0);
    return (
      `| ${n.toLocaleString('en')} | ${rt.size.toLocaleString('en')} | ${run.startMs.toFixed(0)} | ${startStates} | ` +
      `${usPerReading(hvMs).toFixed(2)} | ${usPerReading(dcrMs).toFixed(2)} | ${(tickMs / rounds).toFixed(2)} | ` +
      `${(walkMs / rounds).toFixed(0)} | ${was.mostInOneSecond} / ${was.all} -> ${now.mostInOneSecond} / ${now.all} | ` +
      `${f(was.busiest)} -> ${f(now.busiest)} | ${f(was.faultMax)} -> ${f(now.faultMax)} (x${(was.faultMax / now.faultMax).toFixed(1)}) | ` +
      `${f(now.faultMedian)} | ${notNormal} | ${heapMb.toFixed(0)} |`
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  process.stdout.write(
    '| PMTs | alarms | start ms | states published at start | HV us/reading | DCR us/reading | tick ms | old walk ms | late DAQ transitions, most in one second / all (no hold -> hold) | busiest second ms | HV trip arriving at the tick: ms to published, worst | median | not normal at end | heap MB |\n' +
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const n of SIZES) process.stdout.write(`${measure(n)}\n`);
  process.stdout.write(
    '\nA gateway down for 30 s at rest, then back (gatewayDown):\n\n' +
      '| PMTs | crates / channels behind it | transitions, most in one second / all | busiest second ms | HV trip elsewhere arriving at the tick: ms to published, worst | median |\n' +
      '|---|---|---|---|---|---|\n' +
      gatewayRows.map((r) => `${r}\n`).join(''),
  );
}

main();
