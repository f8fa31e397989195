/**
 * Where a running API's resident memory is (for bench/api-intake.ts with BENCH_MEMORY=1): the
 * process's own view from bench/memory-probe (preloaded with -r; asked with SIGUSR2) — V8 heap
 * used and committed, by space, external and array buffers — against /proc/<pid>/smaps (the
 * node binary's pages, other files, the brk heap, stacks, other anonymous mappings). What of the
 * anonymous memory is not V8's heap is malloc's (and V8's code pages): the rest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeReport } from './memory-probe';
import { statusMb } from './proc-stats';
import { smapsBreakdown } from './smaps-breakdown';

const MB = 1024 * 1024;

export interface ApiMemory {
  rssMb: number;
  heapUsedMb: number;
  /** V8's committed heap pages (all spaces): used + free room between collections */
  heapTotalMb: number;
  /** new space (the young generation's two semi-spaces) committed / used */
  newSpaceMb: number;
  newSpaceUsedMb: number;
  oldSpaceUsedMb: number;
  oldSpaceMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  nodeBinaryMb: number;
  otherFilesMb: number;
  brkHeapMb: number;
  stacksMb: number;
  /** anonymous memory that is not V8's heap: malloc's chunks and arenas, code pages */
  otherAnonNotHeapMb: number;
  snapshot?: string;
}

/** Asks the probe in `pid` for its report (written to `dir`) and reads smaps at the same moment. */
export async function apiMemory(pid: number, dir: string, timeoutMs = 120_000): Promise<ApiMemory> {
  const file = join(dir, `${pid}.json`);
  // smaps first: a heap snapshot (MEMORY_PROBE_SNAPSHOT) takes its own hundreds of MB of malloc
  const smaps = smapsBreakdown(pid);
  const rssMb = statusMb(pid, 'VmRSS');
  process.kill(pid, 'SIGUSR2');
  const t0 = Date.now();
  while (!existsSync(file)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`no memory report from ${pid}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 200)); // the write finished
  const p = JSON.parse(readFileSync(file, 'utf8')) as ProbeReport;
  const space = (name: string) => p.heapSpaces.find((s) => s.space === name);
  const sum = (f: (s: ProbeReport['heapSpaces'][number]) => number) =>
    p.heapSpaces.reduce((a, s) => a + f(s), 0) / MB;
  const heapPhysicalMb = sum((s) => s.physicalBytes);
  return {
    rssMb,
    heapUsedMb: p.memory.heapUsed / MB,
    heapTotalMb: p.memory.heapTotal / MB,
    newSpaceMb: (space('new_space')?.physicalBytes ?? 0) / MB,
    newSpaceUsedMb: (space('new_space')?.usedBytes ?? 0) / MB,
    oldSpaceMb: (space('old_space')?.physicalBytes ?? 0) / MB,
    oldSpaceUsedMb: (space('old_space')?.usedBytes ?? 0) / MB,
    externalMb: p.memory.external / MB,
    arrayBuffersMb: p.memory.arrayBuffers / MB,
    nodeBinaryMb: smaps.nodeBinaryMb,
    otherFilesMb: smaps.otherFilesMb,
    brkHeapMb: smaps.brkHeapMb,
    stacksMb: smaps.stacksMb,
    otherAnonNotHeapMb: smaps.otherAnonMb - heapPhysicalMb,
    snapshot: p.snapshot,
  };
}

export const API_MEMORY_HEADER =
  '| build | RSS | V8 heap used / committed | old space used / committed | new space used / committed | external (array buffers) | brk heap (malloc) | other anonymous, not V8 heap | node binary + files | stacks |\n|---|---|---|---|---|---|---|---|---|---|';

export function apiMemoryRow(build: string, m: ApiMemory): string {
  const f = (x: number) => x.toFixed(1);
  return (
    `| ${build} | ${f(m.rssMb)} | ${f(m.heapUsedMb)} / ${f(m.heapTotalMb)} | ${f(m.oldSpaceUsedMb)} / ${f(m.oldSpaceMb)} | ` +
    `${f(m.newSpaceUsedMb)} / ${f(m.newSpaceMb)} | ${f(m.externalMb)} (${f(m.arrayBuffersMb)}) | ${f(m.brkHeapMb)} | ` +
    `${f(m.otherAnonNotHeapMb)} | ${f(m.nodeBinaryMb + m.otherFilesMb)} | ${f(m.stacksMb)} |`
  );
}
