/**
 * What a reading of another partition costs an alarm instance (scaleOut.alarmPartitions): every
 * instance receives every readings batch (a plain subscription) and ignores the channels it does
 * not own. Measured on the embedded detector split in two (test/support/alarm-partitions.ts),
 * through what AlarmsService.onBatch does per batch (JSON.parse, the batch schema, the runtime):
 * batches of 1,000 DCR readings of the crystals' tubes, given to partition b (owns none of them:
 * all ignored) and, as the same-run baseline, to partition a (owns them all: all judged).
 *
 *   npm run build && node dist/bench/alarm-partition-ignore.js
 */
import { loadavg } from 'node:os';
import { readingBatchSchema, type Reading } from '@cicenns/contracts';
import { loadSystemConfig } from '@cicenns/model';
import { alarmConfigOf, createRuleEngine } from '../apps/alarms/src/alarms.module';
import { AlarmRuntime } from '../apps/alarms/src/runtime/alarm-runtime';
import { AlarmStore } from '../apps/alarms/src/runtime/alarm-store';
import { configWithAlarmPartitions } from '../test/support/alarm-partitions';
import { commissionEvery } from '../test/support/fixtures/commissioned';

const BATCH = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 200);
const file = configWithAlarmPartitions();
const crystalTubes = loadSystemConfig(file, {}).detector.pmts.filter((p) => p.group === 'crystal');

function instance(id: string) {
  const cfg = alarmConfigOf(loadSystemConfig(file, { CICENNS_INSTANCE: id }));
  commissionEvery(cfg.detector, []);
  const rt = new AlarmRuntime({
    engine: createRuleEngine(cfg),
    store: new AlarmStore(':memory:'),
    sink: { state: () => undefined, event: () => undefined },
    notifier: { update: () => undefined },
    evaluationIntervalMs: 1000,
    now: () => Date.now(),
  }).start(false);
  return (payload: string) => {
    const batch = readingBatchSchema.safeParse(JSON.parse(payload));
    if (batch.success) rt.onReadings(batch.data.readings);
  };
}

function payloads(): string[] {
  const out: string[] = [];
  const t0 = Date.now();
  for (let r = 0; r < ROUNDS; r++) {
    const readings: Reading[] = [];
    for (let i = 0; i < BATCH; i++) {
      const p = crystalTubes[i % crystalTubes.length];
      readings.push({
        m: 'dcr',
        id: p.id,
        ts: t0 + r,
        quality: 'good',
        fields: { rate_hz: 500 + (i % 7), window_s: 10 },
        source: 'daq',
      });
    }
    out.push(JSON.stringify({ service: 'intake', seq: r, readings }));
  }
  return out;
}

/** CPU microseconds per reading of `handle` over all payloads (after a warm-up of a tenth). */
function perReading(handle: (p: string) => void, all: string[]): number {
  for (const p of all.slice(0, all.length / 10)) handle(p);
  const c0 = process.cpuUsage();
  for (const p of all) handle(p);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (all.length * BATCH);
}

const all = payloads();
const owner = instance('a');
const other = instance('b');
const parseOnly = (p: string) => void readingBatchSchema.safeParse(JSON.parse(p));
const rows: [string, number][] = [];
for (let rep = 0; rep < 3; rep++) {
  rows.push(['owner (a, all judged)', perReading(owner, all)]);
  rows.push(['other (b, all ignored)', perReading(other, all)]);
  rows.push(['parse + schema only', perReading(parseOnly, all)]);
}
const median = (name: string) => {
  const v = rows
    .filter(([n]) => n === name)
    .map(([, x]) => x)
    .sort((x, y) => x - y);
  return v[1];
};
const base = median('owner (a, all judged)');
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; ${ROUNDS} batches of ${BATCH} DCR readings, median of 3`,
);
for (const name of ['owner (a, all judged)', 'other (b, all ignored)', 'parse + schema only'])
  console.log(
    `${name.padEnd(26)} ${median(name).toFixed(2)} us per reading  (${(median(name) / base).toFixed(2)}x the owner)`,
  );
