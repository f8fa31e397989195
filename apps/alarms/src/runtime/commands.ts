/**
 * How the alarm service refuses a command or query that its schema (@cicenns/contracts,
 * alarm-commands.ts) does not accept.
 */
import type { z } from 'zod';

export class CommandError extends Error {}

/** Validate or throw a CommandError naming the field and the reason. */
export function parseCommand<T extends z.ZodType>(schema: T, data: unknown): z.infer<T> {
  const r = schema.safeParse(data ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new CommandError(`${where}${issue.message}`);
}
