/**
 * The memory the API's recent history (trends without InfluxDB) holds for a big detector: one
 * HV reading of 4 fields (3 kept) for each of SUBJECTS PMTs, 3 sweeps, the default limits (60 min
 * of 5 s buckets, 2,000 series): V8 heap added after full collections, and the array buffers
 * (the series' rings). MODULE: a built recent-history.js (another checkout's, to compare).
 *
 * Usage: node --expose-gc dist/bench/recent-history-heap.js [MODULE] [SUBJECTS]
 */
import { join, resolve } from 'node:path';

const MB = 2 ** 20;
const file = process.argv[2]
  ? resolve(process.argv[2])
  : join(__dirname, '..', 'apps', 'api', 'src', 'trends', 'recent-history.js');
const SUBJECTS = Number(process.argv[3] ?? 45_000);

function heapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed / MB;
}

interface History {
  add(readings: unknown[]): void;
  seriesCount: number;
}

function main(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { RecentHistory } = require(file) as {
    RecentHistory: new (l: object, fieldsOf: () => { has(f: string): boolean }) => History;
  };
  const ids = Array.from({ length: SUBJECTS }, (_, i) => `P${String(i).padStart(5, '0')}`);
  const before = heapMb();
  const kept = new Set(['vmon', 'imon', 'vset']);
  const h = new RecentHistory({ windowMs: 3_600_000, bucketMs: 5000, maxSeries: 2000 }, () => kept);
  const t0 = 1_800_000_000_000;
  for (let s = 0; s < 3; s++)
    h.add(
      ids.map((id) => ({
        m: 'hv',
        id,
        ts: t0 + s * 1000,
        quality: 'good',
        fields: { vmon: 1200, imon: 2, vset: 1200, status: 1 },
        source: 'c',
      })),
    );
  const heap = heapMb() - before;
  const buffers = process.memoryUsage().arrayBuffers / MB;
  console.log(
    `${file}: ${SUBJECTS} subjects, ${h.seriesCount} series: heap ${heap.toFixed(2)} MB + array buffers ` +
      `${buffers.toFixed(2)} MB = ${(heap + buffers).toFixed(2)} MB`,
  );
}

main();
