/**
 * Alarm hierarchy. A crate that stops answering is one alarm, not 65: while the condition of a
 * device alarm (subject kind 'device') holds, every alarm whose subject sits on that device is
 * suppressed. And a consequence stands under its cause on the same subject: a tripped channel's
 * VMon is 0 V, so its hv-deviation says nothing that hv-trip has not said. The causes' conditions
 * are used, not their raised states, so an alarm with a shorter delay cannot slip out before the
 * alarm that explains it is raised.
 */
import type { AlarmRecord } from './alarm-record';

/** rule -> the rules on the same subject whose condition explains it (first match wins) */
export const CONSEQUENCE_OF: Readonly<Record<string, readonly string[]>> = {
  'hv-deviation': ['hv-trip', 'hv-interlock', 'hv-over-current'],
};

export interface Suppressors {
  /** device id -> the alarm id that says it is down */
  devices: Map<string, string>;
  /** `<rule>:<subject id>` of every cause whose condition holds */
  causes: Set<string>;
}

/** device id -> the alarm id that says it is down */
export function devicesDown(records: Iterable<AlarmRecord>): Map<string, string> {
  return suppressors(records).devices;
}

export function suppressors(records: Iterable<AlarmRecord>): Suppressors {
  const devices = new Map<string, string>();
  const causes = new Set<string>();
  const causeRules = new Set(Object.values(CONSEQUENCE_OF).flat());
  for (const r of records) {
    if (!r.conditionActive) continue;
    if (r.subject.kind === 'device' && !devices.has(r.subject.id)) devices.set(r.subject.id, r.alarmId);
    if (causeRules.has(r.rule)) causes.add(r.alarmId);
  }
  return { devices, causes };
}

/** The alarm id that suppresses `r`: its device's down alarm, else a cause on its subject. */
export function suppressorOf(r: AlarmRecord, s: Suppressors | Map<string, string>): string | undefined {
  const { devices, causes } = s instanceof Map ? { devices: s, causes: new Set<string>() } : s;
  if (r.subject.kind === 'device') return undefined;
  const byDevice = r.subject.device ? devices.get(r.subject.device) : undefined;
  if (byDevice) return byDevice;
  for (const rule of CONSEQUENCE_OF[r.rule] ?? []) {
    const cause = `${rule}:${r.subject.id}`;
    if (causes.has(cause)) return cause;
  }
  return undefined;
}
