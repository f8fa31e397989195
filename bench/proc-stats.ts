/**
 * What a process (or the whole box) has used so far, read from /proc: CPU time in clock ticks
 * (USER_HZ, 100 on Linux) and memory from /proc/<pid>/status. Benchmarks diff two readings.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc's CPU times (100 on every Linux this runs on) */
export const CLOCK_TICKS_PER_S = 100;

/** utime + stime of a process in clock ticks, or NaN once it is gone. */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces: count from the closing parenthesis
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]); // fields 14 and 15: utime, stime
  } catch {
    return NaN;
  }
}

/** A kB field of /proc/<pid>/status (VmRSS, VmHWM, ...) in MB, or NaN. */
export function statusMb(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The box's CPU time so far, in clock ticks: busy (all but idle and iowait) and in all. */
export function boxTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - v[3] - v[4], total };
}

/** The 1-, 5- and 15-minute load averages. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [a, b, c];
}
