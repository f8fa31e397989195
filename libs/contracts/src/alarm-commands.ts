/**
 * The alarm commands and queries, API -> alarm service (MQTT request/response, Nest's ClientMqtt
 * on Topics.alarms.cmd / Topics.alarms.query). The alarm service validates every one with these
 * schemas; the API builds its HTTP bodies from the same field schemas, so one limit holds for
 * both (at most 500 alarms in one ack, reasons of at most 500 characters).
 * Identity is recorded, not checked: authorization by role is the API's job.
 */
import { z } from 'zod';
import { INSTANCE_PATTERN } from '@cicenns/model';
import { ALARM_STATES } from './alarm-states';

/** An alarm id: `<rule>:<subject id>`, of the characters rule names and configured names use. */
export const ALARM_ID_PATTERN = /^[A-Za-z0-9._:@/-]{1,200}$/;
export const alarmIdSchema = z.string().regex(ALARM_ID_PATTERN, 'not an alarm id');

/** Why an alarm is shelved or disabled: a person's words, required. */
export const alarmReasonSchema = z.string().trim().min(1, 'a reason is required').max(500);
export const alarmCommentSchema = z.string().max(1000).optional();

const text = (max: number) => z.string().trim().min(1).max(max);
/** who sent the command, and from where; filled in by the API from the login */
const actor = {
  user: text(100),
  comment: alarmCommentSchema,
  /** where the command came from: console, cli, api ... */
  origin: z.string().max(100).optional(),
};
/** epoch milliseconds or an ISO-8601 date-time */
const instant = z.union([
  z.number().int().positive(),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

export const ackCommand = z.object({ alarmIds: z.array(alarmIdSchema).min(1).max(500), ...actor }).strict();
export const shelveCommand = z
  .object({ alarmId: alarmIdSchema, reason: alarmReasonSchema, until: instant, ...actor })
  .strict();
export const unshelveCommand = z.object({ alarmId: alarmIdSchema, ...actor }).strict();
export const disableCommand = z
  .object({ alarmId: alarmIdSchema, reason: alarmReasonSchema, ...actor })
  .strict();
export const enableCommand = unshelveCommand;

export type AckCommand = z.input<typeof ackCommand>;
export type ShelveCommand = z.input<typeof shelveCommand>;
export type UnshelveCommand = z.input<typeof unshelveCommand>;
export type DisableCommand = z.input<typeof disableCommand>;
export type EnableCommand = z.input<typeof enableCommand>;

/**
 * With the alarm service split (scaleOut.alarmPartitions): the partition a query is for, which
 * alone answers, with its own alarms only; absent, the system partition (or the single service,
 * which ignores it). A client that wants every alarm asks each partition and merges.
 */
const partition = z.string().regex(INSTANCE_PATTERN, 'an alarm partition id').optional();

export const listQuery = z
  .object({
    partition,
    filter: z
      .object({
        states: z.array(z.enum(ALARM_STATES)).optional(),
        alarmIds: z.array(alarmIdSchema).optional(),
        rule: z.string().optional(),
        subjectId: z.string().optional(),
        /** include alarms in the normal state (by default only those that are not) */
        all: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ListQuery = z.input<typeof listQuery>;

/** The journal, newest last; the API asks for at most 1000 events, a tool on the bus for 10 000. */
export const journalQuery = z
  .object({
    alarmId: alarmIdSchema.optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
    since: instant.optional(),
    partition,
  })
  .strict();
export type JournalQuery = z.input<typeof journalQuery>;

/** The alarm tree (crates, crystals and panels, their tubes and alarms); nothing else to ask. */
export const treeQuery = z.object({ partition }).strict();
export type TreeQuery = z.input<typeof treeQuery>;
