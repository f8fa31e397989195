import { z } from 'zod';
import { ALARM_STATES } from './alarm-states';

export const severitySchema = z.enum(['warning', 'alarm']);
export type Severity = z.infer<typeof severitySchema>;

export const subsystemSchema = z.enum([
  'hv',
  'pmt',
  'temperature',
  'coincidence',
  'daq',
  'data-quality',
  'beam',
]);
export type Subsystem = z.infer<typeof subsystemSchema>;

/** Where an alarm sits in the hierarchy: detector > crystal/panel > PMT; crate > channel. */
export const alarmSubjectSchema = z.object({
  /** the PMT, sensor, crystal, device or service id the alarm is about */
  id: z.string(),
  kind: z.enum(['pmt', 'sensor', 'crystal', 'panel', 'device', 'service', 'detector']),
  /** crystal or panel id for a PMT */
  parent: z.string().optional(),
  /** what the parent is (names are configuration: the kind cannot be read from the id) */
  parentKind: z.enum(['crystal', 'panel']).optional(),
  /** HV device (crate) of a PMT, temperature device of a sensor: its outage suppresses this alarm */
  device: z.string().optional(),
});
export type AlarmSubject = z.infer<typeof alarmSubjectSchema>;

/**
 * An alarm as the alarm service publishes it, retained, on cicenns/sc/alarms/state/<alarmId>,
 * and as the API serves it to the console and the CLI (GET /api/alarms, the live stream).
 */
export const alarmViewSchema = z.object({
  alarmId: z.string(),
  rule: z.string(),
  state: z.enum(ALARM_STATES),
  severity: severitySchema,
  subsystem: subsystemSchema,
  subject: alarmSubjectSchema,
  message: z.string(),
  value: z.number().optional(),
  limit: z.number().optional(),
  unit: z.string().optional(),
  guidance: z.string(),
  conditionActive: z.boolean(),
  raisedAt: z.number().optional(),
  clearedAt: z.number().optional(),
  ack: z.object({ by: z.string(), at: z.number(), comment: z.string().optional() }).optional(),
  shelf: z.object({ by: z.string(), reason: z.string(), at: z.number(), until: z.number() }).optional(),
  disabled: z.object({ by: z.string(), reason: z.string(), at: z.number() }).optional(),
  /** the alarm id of the device alarm that suppresses this one */
  suppressedBy: z.string().optional(),
  updatedAt: z.number(),
});
export type AlarmView = z.infer<typeof alarmViewSchema>;

/**
 * How a receiver (the API's alarm cache) reads a retained alarm state: an object whose state is
 * a string; the rest passes through as published, so a state or a field added later is shown
 * as the alarm service says, not dropped.
 */
export const receivedAlarmViewSchema = z.looseObject({ state: z.string() });
