import type { AlarmSubject, AlarmView, LatchState, Severity, Subsystem } from '@cicenns/contracts';

/** Everything the runtime keeps about one alarm (persisted in the store). */
export interface AlarmRecord {
  alarmId: string;
  rule: string;
  subject: AlarmSubject;
  subsystem: Subsystem;
  guidance: string;
  latch: LatchState;
  /** severity of the current (or last) raise */
  severity: Severity;
  message: string;
  value?: number;
  limit?: number;
  unit?: string;
  delayMs: number;
  /** the engine's latest word on the condition */
  conditionActive: boolean;
  conditionSeverity: Severity;
  /** when the condition became active: the delay runs from here */
  activeSince?: number;
  /** the condition has held for its delay while the alarm was shelved, disabled or suppressed */
  maskedActive: boolean;
  raisedAt?: number;
  clearedAt?: number;
  ack?: AlarmView['ack'];
  shelf?: AlarmView['shelf'];
  disabled?: AlarmView['disabled'];
  /** the alarm id of the device alarm that suppresses this one */
  suppressedBy?: string;
  updatedAt: number;
}
