import type { AlarmRecord } from './alarm-record';
import type { AlarmView } from '@cicenns/contracts';
import { displayState } from './lifecycle';

export function toView(r: AlarmRecord): AlarmView {
  const v: AlarmView = {
    alarmId: r.alarmId,
    rule: r.rule,
    state: displayState(r),
    severity: r.severity,
    subsystem: r.subsystem,
    subject: r.subject,
    message: r.message,
    guidance: r.guidance,
    conditionActive: r.conditionActive,
    updatedAt: r.updatedAt,
  };
  const optional = [
    'value',
    'limit',
    'unit',
    'raisedAt',
    'clearedAt',
    'ack',
    'shelf',
    'disabled',
    'suppressedBy',
  ] as const;
  for (const k of optional) if (r[k] !== undefined) Object.assign(v, { [k]: r[k] });
  return v;
}
