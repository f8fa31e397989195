/**
 * Commissioning (SPEC 4): API -> commissioning service commands and queries (Nest MQTT
 * request/response on Topics.commissioning.cmd / .query, reply on `<topic>/reply`), and the views
 * of a run the service answers with. The service validates every command with these schemas;
 * the API builds its HTTP bodies from the same fields. Identity is recorded, not checked:
 * authorization by role (experts run and approve, shifters watch) is the API's job.
 */
import { nameSchema } from '@cicenns/model';
import { z } from 'zod';

export const runIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,80}$/, 'not a run id');
const text = (max: number) => z.string().trim().min(1).max(max);
/** who sent the command, and from where; filled in by the API from the login */
const actor = {
  user: text(100),
  origin: z.string().max(100).optional(),
  comment: z.string().max(2000).optional(),
};

/**
 * What to commission: a PMT (`CsI01-A`), a crystal or panel (`CsI01`: both its tubes), `crystals`,
 * `veto`, `all`, or a list of those.
 */
export const commissionTargetSchema = z.union([text(100), z.array(text(100)).min(1).max(200)]);

/** A manual precondition confirmed by a named person (cables checked, light-tight...). */
export const confirmationSchema = z.object({ item: text(100), by: text(100) }).strict();

export const startRunCommand = z
  .object({
    target: commissionTargetSchema,
    /** a procedure id of the procedures file; default: its first */
    procedure: text(100).optional(),
    /** manual items confirmed up front (otherwise the run waits for `confirm`) */
    confirmations: z.array(confirmationSchema).max(50).optional(),
    ...actor,
  })
  .strict();
export const runCommand = z.object({ runId: runIdSchema, ...actor }).strict();
export const confirmCommand = z
  .object({ runId: runIdSchema, items: z.array(text(100)).min(1).max(50), ...actor })
  .strict();
/** approve or reject a run's proposed calibrations: all of them, or the PMTs named */
export const decideCommand = z
  .object({ runId: runIdSchema, pmts: z.array(nameSchema).max(200).optional(), ...actor })
  .strict();

export type StartRunCommand = z.input<typeof startRunCommand>;
export type RunCommand = z.input<typeof runCommand>;
export type ConfirmCommand = z.input<typeof confirmCommand>;
export type DecideCommand = z.input<typeof decideCommand>;

export const runQuery = z.object({ runId: runIdSchema }).strict();
export const runsQuery = z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict();
export const reportQuery = z.object({ runId: runIdSchema, format: z.enum(['html', 'md']) }).strict();
export const calibrationQuery = z.object({ pmt: nameSchema.optional() }).strict();

// what the service answers with: types only, in commissioning-view.ts (the console imports them)
export * from './commissioning-view';
