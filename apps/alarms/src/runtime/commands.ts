/**
 * Payloads of the alarm commands and queries (MQTT request/response, Nest's ClientMqtt).
 * Identity is recorded, not checked: authorization by role is the API's job.
 */
import { z } from 'zod';
import { ALARM_STATES } from './alarm-record';

const text = (max: number) => z.string().trim().min(1).max(max);
const alarmId = text(200);
const actor = {
  user: text(100),
  comment: z.string().max(2000).optional(),
  /** where the command came from: console, cli, api ... */
  origin: z.string().max(100).optional(),
};
/** epoch milliseconds or an ISO-8601 date-time */
const instant = z.union([
  z.number().int().positive(),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

export const ackCommand = z.object({ alarmIds: z.array(alarmId).min(1).max(2000), ...actor }).strict();
export const shelveCommand = z.object({ alarmId, reason: text(2000), until: instant, ...actor }).strict();
export const unshelveCommand = z.object({ alarmId, ...actor }).strict();
export const disableCommand = z.object({ alarmId, reason: text(2000), ...actor }).strict();
export const enableCommand = unshelveCommand;

export const listQuery = z
  .object({
    filter: z
      .object({
        states: z.array(z.enum(ALARM_STATES)).optional(),
        alarmIds: z.array(alarmId).optional(),
        rule: z.string().optional(),
        subjectId: z.string().optional(),
        /** include alarms in the normal state (by default only those that are not) */
        all: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const journalQuery = z
  .object({
    alarmId: alarmId.optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
    since: instant.optional(),
  })
  .strict();

export class CommandError extends Error {}

/** Validate or throw a CommandError naming the field and the reason. */
export function parseCommand<T extends z.ZodType>(schema: T, data: unknown): z.infer<T> {
  const r = schema.safeParse(data ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new CommandError(`${where}${issue.message}`);
}
