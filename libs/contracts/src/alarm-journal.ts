import { z } from 'zod';
import { ALARM_STATES } from './alarm-states';
import { severitySchema } from './alarm-view';

/** The beam as the alarm service last heard of it (null: not known). */
export const beamSnapshotSchema = z.object({
  on: z.boolean().nullable(),
  power_kw: z.number().nullable(),
});
export type BeamSnapshot = z.infer<typeof beamSnapshotSchema>;

export const JOURNAL_ACTIONS = [
  'raise',
  'escalate',
  'deescalate',
  'clear',
  'ack',
  'shelve',
  'unshelve',
  'shelve-expired',
  'disable',
  'enable',
  'suppress',
  'unsuppress',
] as const;
export type JournalAction = (typeof JOURNAL_ACTIONS)[number];

/**
 * One transition of one alarm, with who did it and the beam at that moment: published on
 * cicenns/sc/alarms/events and answered to the journal query (GET /api/alarms/journal).
 */
export const journalEventSchema = z.object({
  /** assigned by the store */
  seq: z.number().int().optional(),
  ts: z.number(),
  alarmId: z.string(),
  rule: z.string(),
  action: z.enum(JOURNAL_ACTIONS),
  from: z.enum(ALARM_STATES),
  to: z.enum(ALARM_STATES),
  severity: severitySchema,
  value: z.number().optional(),
  message: z.string(),
  by: z.string().optional(),
  comment: z.string().optional(),
  origin: z.string().optional(),
  beam: beamSnapshotSchema,
});
export type JournalEvent = z.infer<typeof journalEventSchema>;

/**
 * GET /api/alarms/journal with the alarm service split: the header naming the partitions (comma
 * list of ids) that did not answer, whose alarms' events the answer lacks. The body stays the
 * array of events; the header is absent when the journal is whole.
 */
export const MISSING_PARTITIONS_HEADER = 'X-Alarm-Partitions-Missing';
export type MissingPartitionsHeader = typeof MISSING_PARTITIONS_HEADER;
