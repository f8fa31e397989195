/**
 * Alarm hierarchy, first half: a crate that stops answering is one alarm, not 65. While the
 * condition of a device alarm (subject kind 'device') holds, every alarm whose subject sits on
 * that device is suppressed. The device alarm's condition is used, not its raised state, so
 * channel alarms with a shorter delay cannot slip out before the crate alarm is raised.
 */
import type { AlarmRecord } from './alarm-record';

/** device id -> the alarm id that says it is down */
export function devicesDown(records: Iterable<AlarmRecord>): Map<string, string> {
  const down = new Map<string, string>();
  for (const r of records) {
    if (r.subject.kind === 'device' && r.conditionActive && !down.has(r.subject.id)) {
      down.set(r.subject.id, r.alarmId);
    }
  }
  return down;
}

/** The alarm id that suppresses `r`, if its device is down. */
export function suppressorOf(r: AlarmRecord, down: Map<string, string>): string | undefined {
  if (r.subject.kind === 'device' || !r.subject.device) return undefined;
  return down.get(r.subject.device);
}
