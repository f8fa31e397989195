import { nameSchema } from '@cicenns/model';
import { z } from 'zod';

/** Which channels: a list of PMTs, one crystal's two, one veto panel's two, or a whole group. */
export const hvTargetSchema = z
  .object({
    // names are configuration (detector.yaml): only their form here, the detector says which exist
    pmts: z.array(nameSchema).min(1).max(1000).optional(),
    crystal: nameSchema.optional(),
    panel: nameSchema.optional(),
    group: z.enum(['crystal', 'veto', 'all']).optional(),
  })
  .strict()
  .refine((t) => [t.pmts, t.crystal, t.panel, t.group].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of pmts, crystal, panel, group',
  });
export type HvTarget = z.infer<typeof hvTargetSchema>;

/** What to set; limits are per PMT and checked in the preview, so only the form is checked here. */
export const hvSetSchema = z
  .object({
    vset: z.number().finite().min(0).optional(),
    iset: z.number().finite().min(0).optional(),
    rampUp: z.number().int().min(1).optional(),
    rampDown: z.number().int().min(1).optional(),
    power: z.enum(['on', 'off']).optional(),
  })
  .strict()
  .refine((s) => Object.values(s).some((v) => v !== undefined), {
    message: 'give at least one of vset, iset, rampUp, rampDown, power',
  });
export type HvSet = z.infer<typeof hvSetSchema>;

export const hvPreviewSchema = z.object({ target: hvTargetSchema, set: hvSetSchema }).strict();
export type HvPreviewRequest = z.infer<typeof hvPreviewSchema>;

export const hvApplySchema = z
  .object({
    previewId: z.uuid(),
    /** apply the allowed changes even though others were refused */
    partial: z.boolean().default(false),
  })
  .strict();
export type HvApplyRequest = z.infer<typeof hvApplySchema>;
