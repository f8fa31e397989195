import type { AlarmSubject, Severity, Subsystem } from '../contracts';

/** The ISA-18.2 core states, driven by the condition and by acknowledgement. */
export type LatchState = 'normal' | 'active-unack' | 'active-ack' | 'cleared-unack';

/**
 * What a person sees: the core state, unless the alarm is taken out of service (disabled by an
 * expert, shelved by the shift) or suppressed because its parent device is down.
 */
export const ALARM_STATES = [
  'normal',
  'active-unack',
  'active-ack',
  'cleared-unack',
  'shelved',
  'disabled',
  'suppressed',
] as const satisfies readonly (LatchState | 'shelved' | 'disabled' | 'suppressed')[];
export type AlarmStateName = (typeof ALARM_STATES)[number];

export interface BeamSnapshot {
  on: boolean | null;
  power_kw: number | null;
}

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
  ack?: { by: string; at: number; comment?: string };
  shelf?: { by: string; reason: string; at: number; until: number };
  disabled?: { by: string; reason: string; at: number };
  /** the alarm id of the device alarm that suppresses this one */
  suppressedBy?: string;
  updatedAt: number;
}

export type JournalAction =
  | 'raise'
  | 'escalate'
  | 'deescalate'
  | 'clear'
  | 'ack'
  | 'shelve'
  | 'unshelve'
  | 'shelve-expired'
  | 'disable'
  | 'enable'
  | 'suppress'
  | 'unsuppress';

/** One transition of one alarm, with who did it and the beam at that moment. */
export interface JournalEvent {
  /** assigned by the store */
  seq?: number;
  ts: number;
  alarmId: string;
  rule: string;
  action: JournalAction;
  from: AlarmStateName;
  to: AlarmStateName;
  severity: Severity;
  value?: number;
  message: string;
  by?: string;
  comment?: string;
  origin?: string;
  beam: BeamSnapshot;
}

/** An alarm as the console, the CLI and MQTT consumers see it. */
export interface AlarmView {
  alarmId: string;
  rule: string;
  state: AlarmStateName;
  severity: Severity;
  subsystem: Subsystem;
  subject: AlarmSubject;
  message: string;
  value?: number;
  limit?: number;
  unit?: string;
  guidance: string;
  conditionActive: boolean;
  raisedAt?: number;
  clearedAt?: number;
  ack?: AlarmRecord['ack'];
  shelf?: AlarmRecord['shelf'];
  disabled?: AlarmRecord['disabled'];
  suppressedBy?: string;
  updatedAt: number;
}
