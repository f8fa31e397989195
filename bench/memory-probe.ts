/**
 * Preloaded (`node -r dist/bench/memory-probe.js`) into each process that bench/memory-at-rest.ts
 * measures: on SIGUSR2 it writes the process's own view of its memory (V8 heap, external and
 * array buffers, the modules it has loaded, by package) to MEMORY_PROBE_DIR/<pid>.json, and a
 * heap snapshot beside it when MEMORY_PROBE_SNAPSHOT is set. It loads nothing but Node built-ins
 * and does nothing until asked, so it adds no cost of its own to what is measured.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapCodeStatistics, getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';

export interface ProbeReport {
  pid: number;
  memory: NodeJS.MemoryUsage;
  heapSizeLimit: number;
  modules: number;
  /** loaded modules per package (node_modules/<pkg>), our own code as "(ours)" */
  modulesByPackage: Record<string, number>;
  /** V8's spaces (old, code, new, large objects...): bytes in use and pages resident */
  heapSpaces: { space: string; usedBytes: number; physicalBytes: number }[];
  /** bytecode, machine code and script sources held in the heap (v8.getHeapCodeStatistics) */
  code: { bytecodeBytes: number; machineCodeBytes: number; scriptSourceBytes: number };
  snapshot?: string;
}

/** The package a loaded file belongs to: the last node_modules/<pkg> (or @scope/pkg) in its path. */
export function packageOf(file: string): string {
  const at = file.lastIndexOf('/node_modules/');
  if (at < 0) return '(ours)';
  const [first, second] = file.slice(at + '/node_modules/'.length).split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
}

function report(dir: string): void {
  const files = Object.keys(require.cache);
  const modulesByPackage: Record<string, number> = {};
  for (const f of files) modulesByPackage[packageOf(f)] = (modulesByPackage[packageOf(f)] ?? 0) + 1;
  const r: ProbeReport = {
    pid: process.pid,
    memory: process.memoryUsage(),
    heapSizeLimit: getHeapStatistics().heap_size_limit,
    modules: files.length,
    modulesByPackage,
    heapSpaces: getHeapSpaceStatistics().map((s) => ({
      space: s.space_name,
      usedBytes: s.space_used_size,
      physicalBytes: s.physical_space_size,
    })),
    code: (({ bytecode_and_metadata_size, code_and_metadata_size, external_script_source_size }) => ({
      bytecodeBytes: bytecode_and_metadata_size,
      machineCodeBytes: code_and_metadata_size,
      scriptSourceBytes: external_script_source_size,
    }))(getHeapCodeStatistics()),
  };
  if (process.env.MEMORY_PROBE_SNAPSHOT)
    r.snapshot = writeHeapSnapshot(join(dir, `${process.pid}.heapsnapshot`));
  writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(r));
}

/**
 * A command left in MEMORY_PROBE_DIR/<pid>.cmd before the signal: `gc <n>` runs n full garbage
 * collections (node started with --expose-gc; V8 flushes bytecode not run for
 * --bytecode-old-age=5 of them), to measure what start-up code leaves behind. No file: report.
 */
function onSignal(dir: string): void {
  const cmdFile = join(dir, `${process.pid}.cmd`);
  if (!existsSync(cmdFile)) return report(dir);
  const [cmd, arg] = readFileSync(cmdFile, 'utf8').trim().split(/\s+/);
  rmSync(cmdFile);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (cmd === 'gc' && gc) for (let i = 0; i < Number(arg ?? 1); i++) gc();
  writeFileSync(join(dir, `${process.pid}.done`), cmd);
}

const dir = process.env.MEMORY_PROBE_DIR;
if (dir) process.on('SIGUSR2', () => onSignal(dir));
