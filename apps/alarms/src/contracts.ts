/**
 * The seam between the rule engine (what is abnormal, from readings and calibration) and the
 * alarm runtime (lifecycle, suppression, store, notification). The engine is pure: it gets
 * readings and service health, and reports the condition of every alarm it owns.
 */
import type { AlarmSubject, Reading, ServiceHealth, Severity, Subsystem } from '@cicenns/contracts';

/** What the engine says about one alarm at one moment. */
export interface Condition {
  /** stable id: `<rule>:<subject id>`, e.g. `gain-drift:CsI01-A`, `device-down:hv-veto` */
  alarmId: string;
  rule: string;
  subject: AlarmSubject;
  subsystem: Subsystem;
  /** true while the abnormal condition holds (hysteresis already applied by the rule) */
  active: boolean;
  /** severity while active; may escalate warning -> alarm */
  severity: Severity;
  /** the measured quantity and the limit it crossed, for the message and the console */
  value?: number;
  limit?: number;
  unit?: string;
  /** one line for a person: "gain 8.2 % above calibration (limit 5 %)" */
  message: string;
  /** what it means, what to do, whom to call (from the rule's configuration) */
  guidance: string;
  /** the rule's configured delay: the condition must hold this long before the alarm is raised */
  delayMs: number;
  /** time of the reading that produced this condition */
  ts: number;
  /**
   * Judged here, raised by another alarm instance (daq-down in a non-system partition): the
   * runtime uses it only to suppress the alarms under it, and keeps no record of it.
   */
  elsewhere?: true;
}

export interface RuleEngine {
  /** Feed readings (in arrival order); returns the conditions that changed or were re-evaluated. */
  onReadings(readings: Reading[], now: number): Condition[];
  /** Feed a service health report (device down, historian backlog...). */
  onHealth(health: ServiceHealth, now: number): Condition[];
  /** Periodic check for things that are true by absence (stale data): called every second or so. */
  onTick(now: number): Condition[];
  /** Every alarm the configuration defines, so the runtime knows them before they ever fire. */
  knownAlarms(): Pick<Condition, 'alarmId' | 'rule' | 'subject' | 'subsystem' | 'guidance'>[];
  /**
   * A calibration record of this PMT was added to the detector (an approval on the bus): the
   * engine uses the calibration in force from the next reading on, without a restart.
   */
  calibrationChanged?(pmtId: string): void;
}
