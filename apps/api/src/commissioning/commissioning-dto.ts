import {
  confirmCommand,
  confirmationSchema,
  decideCommand,
  runCommand,
  runIdSchema,
  startRunCommand,
} from '@cicenns/contracts';
import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';

// The HTTP bodies: the fields of the commissioning commands (contracts) without who and from
// where, which the login says.

/**
 * A manual item confirmed up front: by the person named, or by whoever sends the request (a bare
 * item name).
 */
const upFront = z.union([confirmationSchema.shape.item, confirmationSchema]);

export const startRunSchema = startRunCommand
  .pick({ target: true, procedure: true, comment: true })
  .extend({ confirmations: z.array(upFront).max(50).optional() })
  .strict();
export type StartRunBody = z.infer<typeof startRunSchema>;

/** pause, resume, abort: an optional comment */
export const runActionSchema = runCommand.pick({ comment: true }).strict();
export type RunActionBody = z.infer<typeof runActionSchema>;

export const confirmSchema = confirmCommand.pick({ items: true, comment: true }).strict();
export type ConfirmBody = z.infer<typeof confirmSchema>;

/** approve, reject: all proposals of the run or the PMTs named, always with a comment */
export const decideSchema = decideCommand
  .pick({ pmts: true })
  .extend({ comment: z.string().trim().min(1, 'a comment is required').max(2000) })
  .strict();
export type DecideBody = z.infer<typeof decideSchema>;

/** the query string of GET /api/commissioning/runs */
export const runsListSchema = z
  .object({ limit: z.coerce.number().int().min(1).max(1000).optional() })
  .strict();

/** the query string of GET /api/commissioning/reports: one run's, or all */
export const reportsListSchema = z.object({ runId: runIdSchema.optional() }).strict();

export const reportFormatSchema = z.object({ format: z.enum(['html', 'md']).default('html') }).strict();
export type ReportFormat = z.infer<typeof reportFormatSchema>['format'];

/** A run id from the path, or 400 naming it. */
export function checkRunId(id: string): string {
  if (!runIdSchema.safeParse(id).success)
    throw new BadRequestException(`id: "${id.slice(0, 50)}" is not a run id`);
  return id;
}
