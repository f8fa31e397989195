import { nameSchema } from '@cicenns/model';
import { z } from 'zod';

/**
 * The HV write command, API -> poller over MQTT (Topics.hv.cmd.write, Nest request/response:
 * request `{pattern, id, data: HvWriteCommand}`, reply on `<topic>/reply` with
 * `{id, response: HvWriteResult, isDisposed: true}`).
 */
export const HV_REGISTERS = ['vset', 'iset', 'power', 'ramp_up', 'ramp_down'] as const;
export type HvRegister = (typeof HV_REGISTERS)[number];

export const hvWriteCommandSchema = z
  .object({
    pmt: nameSchema,
    register: z.enum(HV_REGISTERS),
    value: z.number().finite(),
    user: z.string().min(1).max(64),
    operationId: z.string().min(1).max(64),
    /** epoch ms: a command still queued (broker, poller restart) after this is refused, not run late */
    expiresAt: z.number().int().positive(),
  })
  .strict();
export type HvWriteCommand = z.infer<typeof hvWriteCommandSchema>;

/** The poller's answer to one HvWriteCommand (the API reads it with this schema's type). */
export const hvWriteResultSchema = z.object({
  ok: z.boolean(),
  pmt: z.string(),
  register: z.string(),
  value: z.number(),
  /** the register as read back from the device after the write */
  readBack: z.number().nullable().optional(),
  /** the poller's own safety check said no: nothing was written */
  refused: z.string().optional(),
  /** the write or its verification failed */
  error: z.string().optional(),
});
export type HvWriteResult = z.infer<typeof hvWriteResultSchema>;
