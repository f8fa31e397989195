/**
 * Measurement requests to the DAQ (SPEC 2.4): the commissioning service asks, the DAQ (or the
 * simulator's stand-in) answers on `<request>/status` and `<request>/result`. The DAQ's answers
 * are untrusted input: the commissioning service reads them with these schemas and checks that
 * every result belongs to a PMT it asked for.
 */
import { nameSchema } from '@cicenns/model';
import { z } from 'zod';

export const MEASUREMENT_KINDS = ['dcr', 'spe-gain'] as const;
export type MeasurementKind = (typeof MEASUREMENT_KINDS)[number];

/** A request id: also a topic level, so no `/`, `+`, `#`. */
export const measureRequestIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,80}$/, 'not a request id');

/** at most this many PMTs in one request (the detector has 94; the scale target 45,000 is per crate) */
export const MAX_PMTS_PER_REQUEST = 1000;

export const measureRequestSchema = z
  .object({
    request_id: measureRequestIdSchema,
    kind: z.enum(MEASUREMENT_KINDS),
    pmts: z.array(nameSchema).min(1).max(MAX_PMTS_PER_REQUEST),
    duration_s: z.number().positive().max(86_400),
    /** the commissioning run that asks (for the DAQ's own log) */
    run: z.string().max(100).optional(),
  })
  .strict();
export type MeasureRequest = z.infer<typeof measureRequestSchema>;

const ts = z.union([z.number().finite(), z.iso.datetime({ offset: true })]);

export const measureStatusSchema = z
  .object({
    request_id: measureRequestIdSchema,
    ts,
    state: z.enum(['accepted', 'busy', 'rejected']),
    reason: z.string().max(1000).optional(),
  })
  .strict();
export type MeasureStatus = z.infer<typeof measureStatusSchema>;

export const dcrResultSchema = z
  .object({ rate_hz: z.number().finite().nonnegative(), rate_err_hz: z.number().finite().nonnegative() })
  .strict();
export const gainResultSchema = z
  .object({
    gain: z.number().finite().positive(),
    gain_err: z.number().finite().positive(),
    n_spe: z.number().int().nonnegative(),
  })
  .strict();
export type DcrResult = z.infer<typeof dcrResultSchema>;
export type GainResult = z.infer<typeof gainResultSchema>;

export const measureResultSchema = z
  .object({
    request_id: measureRequestIdSchema,
    ts,
    kind: z.enum(MEASUREMENT_KINDS),
    results: z.record(nameSchema, z.union([dcrResultSchema, gainResultSchema])),
    errors: z.record(nameSchema, z.string().max(1000)).optional(),
  })
  .strict();
export type MeasureResult = z.infer<typeof measureResultSchema>;

/** A status or result larger than this is refused unread (1000 PMTs x ~80 bytes, with room). */
export const MAX_MEASURE_PAYLOAD_BYTES = 262_144;
