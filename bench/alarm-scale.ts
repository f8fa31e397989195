/**
 * The alarm service's cost as the detector grows (issue 13), in one process with the real rule
 * engine and runtime on generated detectors (gen:detector's writeGeneratedConfig), a simulated
 * clock and a sink that only counts: what is measured is the service's own work, not the broker's.
 *
 * For each size: start-up (rules built, records created, the start states published), the
 * cost of one reading (an HV poll of every channel, a DCR sweep in the intake's batches of
 * 1,000), one tick at rest, the per-tick walk of every record the runtime used to do (the same
 * lifecycle functions over all records, reproduced here as it was), and a DAQ that appears 45 s
 * after the service: how many transitions at once, and how long the busiest call took.
 *
 *   npm run bench:alarm-scale                 (SIZES=1000,5000,20000,45000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlarmStateName, AlarmView, JournalEvent, Reading } from '@cicenns/contracts';
import { loadSystemConfig, writeGeneratedConfig, type SystemConfig } from '@cicenns/model';
import { createRuleEngine } from '../apps/alarms/src/alarms.module';
import type { AlarmSink } from '../apps/alarms/src/runtime/alarm-outputs';
import { AlarmRuntime } from '../apps/alarms/src/runtime/alarm-runtime';
import { AlarmStore } from '../apps/alarms/src/runtime/alarm-store';
import { nextDeadline, tick } from '../apps/alarms/src/runtime/lifecycle';
import { suppressorOf, suppressors } from '../apps/alarms/src/runtime/suppression';

const SIZES = (process.env.SIZES ?? '1000,5000,20000,45000').split(',').map(Number);
const BATCH = 1000; // intake.batchMaxReadings

class CountingSink implements AlarmSink {
  states = 0;
  events = 0;
  state(_v: AlarmView): void {
    this.states++;
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

function measure(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), `alarm-scale-${n}-`));
  try {
    writeGeneratedConfig({ pmts: n }, dir);
    const cfg = loadSystemConfig(join(dir, 'cicenns.yaml'), {});
    let t = Date.parse('2026-06-01T00:00:00Z');
    const sink = new CountingSink();
    const store = new AlarmStore(join(dir, 'alarms.db'));
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    let t0 = process.hrtime.bigint();
    const engine = createRuleEngine(cfg);
    const rt = new AlarmRuntime({ engine, store, sink, evaluationIntervalMs: 1000, now: () => t }).start(
      false,
    );
    const startMs = ms(t0);
    const startStates = sink.states;

    // the DAQ is not there yet: HV and temperatures every second for 45 s
    const transitionsPerCall: number[] = [];
    let busiest = 0;
    const step = (readings: Reading[][]) => {
      const before = rt.counters.transitions;
      const c0 = process.hrtime.bigint();
      for (const r of readings) feed(rt, r);
      rt.runTick();
      busiest = Math.max(busiest, ms(c0));
      transitionsPerCall.push(rt.counters.transitions - before);
    };
    for (let s = 0; s < 45; s++) {
      t += 1000;
      step([hvSweep(cfg, t), s % 2 ? [] : temperatures(cfg, t)]);
    }
    const beforeDaq = rt.counters.transitions;
    // the DAQ appears: a DCR sweep and a gain per tube every second from now on
    for (let s = 0; s < 15; s++) {
      t += 1000;
      step([hvSweep(cfg, t), dcrSweep(cfg, t), s % 2 ? [] : temperatures(cfg, t)]);
    }
    const lateDaqMax = Math.max(...transitionsPerCall.slice(45));
    const lateDaqAll = rt.counters.transitions - beforeDaq;

    // at rest: the cost of a reading and of a tick
    const rounds = 5;
    let hvMs = 0;
    let dcrMs = 0;
    let tickMs = 0;
    let walkMs = 0;
    for (let s = 0; s < rounds; s++) {
      t += 1000;
      const hv = hvSweep(cfg, t);
      const dcr = dcrSweep(cfg, t);
      t0 = process.hrtime.bigint();
      feed(rt, hv);
      hvMs += ms(t0);
      t0 = process.hrtime.bigint();
      feed(rt, dcr);
      dcrMs += ms(t0);
      t0 = process.hrtime.bigint();
      rt.runTick();
      tickMs += ms(t0);
      walkMs += oldWalk(rt, t);
    }
    global.gc?.();
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    const usPerReading = (x: number) => ((x / rounds) * 1000) / n;
    const states = rt.countsByState();
    const notNormal = rt.size - states.normal;
    rt.stop();
    store.close();
    return (
      `| ${n.toLocaleString('en')} | ${rt.size.toLocaleString('en')} | ${startMs.toFixed(0)} | ${startStates} | ` +
      `${usPerReading(hvMs).toFixed(2)} | ${usPerReading(dcrMs).toFixed(2)} | ${(tickMs / rounds).toFixed(2)} | ` +
      `${(walkMs / rounds).toFixed(0)} | ${beforeDaq} | ${lateDaqMax} / ${lateDaqAll} | ${busiest.toFixed(0)} | ` +
      `${notNormal} | ${heapMb.toFixed(0)} |`
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  process.stdout.write(
    '| PMTs | alarms | start ms | states published at start | HV us/reading | DCR us/reading | tick ms | old walk ms | transitions before DAQ | late DAQ: most in one second / all | busiest second ms | not normal at end | heap MB |\n' +
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const n of SIZES) process.stdout.write(`${measure(n)}\n`);
}

main();
