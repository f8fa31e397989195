/**
 * A process's resident memory by kind of mapping, from /proc/<pid>/smaps (for
 * bench/memory-at-rest.ts): what of its RSS is the node binary's code, other files (shared
 * libraries, ICU data), the malloc heap of the main thread ([heap], brk), thread stacks, and the
 * other anonymous mappings (V8's heap pages and code space, malloc's mmap'd chunks and thread
 * arenas). Which anonymous mapping is V8's and which malloc's the kernel does not say: the probe's
 * V8 space sizes are subtracted from it (memory-at-rest.ts) to tell them apart.
 */
import { readFileSync, realpathSync } from 'node:fs';

export interface SmapsBreakdown {
  /** the node executable's mapped pages (code and read-only data): shared by every node process */
  nodeBinaryMb: number;
  /** shared libraries and other mapped files */
  otherFilesMb: number;
  /** [heap]: the main thread's brk heap (glibc malloc's main arena) */
  brkHeapMb: number;
  /** the main thread's [stack] and the 8 MB stacks of the other threads (libuv pool, V8 platform) */
  stacksMb: number;
  threadStacks: number;
  /** every other anonymous mapping: V8's heap and code pages, malloc's mmap chunks and arenas */
  otherAnonMb: number;
}

const KB = 1024;

/** glibc's default thread stack is RLIMIT_STACK, 8 MB: a read-write anonymous 8 MB mapping. */
const THREAD_STACK_KB = 8192;

export function smapsBreakdown(pid: number): SmapsBreakdown {
  const node = realpathSync(process.execPath);
  const out: SmapsBreakdown = {
    nodeBinaryMb: 0,
    otherFilesMb: 0,
    brkHeapMb: 0,
    stacksMb: 0,
    threadStacks: 0,
    otherAnonMb: 0,
  };
  let path = '';
  let perms = '';
  let sizeKb = 0;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      perms = head[1];
      path = head[2].trim();
      continue;
    }
    const field = /^(Size|Rss):\s+(\d+) kB/.exec(line);
    if (!field) continue;
    if (field[1] === 'Size') {
      sizeKb = Number(field[2]);
      continue;
    }
    const mb = Number(field[2]) / KB;
    if (path === node) out.nodeBinaryMb += mb;
    else if (path.startsWith('/')) out.otherFilesMb += mb;
    else if (path === '[heap]') out.brkHeapMb += mb;
    else if (path === '[stack]') out.stacksMb += mb;
    else if (path === '' && perms.startsWith('rw') && sizeKb === THREAD_STACK_KB) {
      out.stacksMb += mb;
      out.threadStacks++;
    } else out.otherAnonMb += mb; // anonymous, and [vvar], [vdso] (a few pages)
  }
  return out;
}
