import { z } from 'zod';

/**
 * The payloads of SPEC 2.3, field by field: types here; physical bounds (configuration,
 * intake.bounds) and timestamps are checked by the validator. Fields not named here are
 * accepted with an `unknown_field` warning (docs/DATA.md, "DAQ messages").
 */

/** `ts`: epoch milliseconds or an ISO-8601 string (SPEC 2.3). Range checks come later. */
const timestamp = z.union([z.number(), z.string().min(1)]);
const rate = z.number().finite().nonnegative();
const window = z.number().finite().positive();

export const pmtDcrPayload = z.object({
  ts: timestamp,
  rate_hz: rate,
  window_s: window.optional(),
});

/** Entries of rates_hz are checked one by one (one bad PMT does not discard the sweep). */
export const sweepDcrPayload = z.object({
  ts: timestamp,
  window_s: window.optional(),
  // the object itself, not a copy: a zod record would assign a "__proto__" key (setting the
  // copy's prototype, so the entry vanished); the validator reads the own keys of the original
  rates_hz: z.custom<Record<string, unknown>>(
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    'expected an object of PMT id: rate in Hz',
  ),
});

export const gainPayload = z.object({
  ts: timestamp,
  gain: z.number().finite().positive(),
  gain_err: z.number().finite().nonnegative().optional(),
  method: z.enum(['spe', 'led']).optional(),
});

export const coincidencePayload = z.object({
  ts: timestamp,
  rate_hz: rate,
  window_ns: window,
});

export const beamPayload = z.object({
  ts: timestamp,
  on: z.boolean(),
  power_kw: z.number().finite().nonnegative(),
  rep_rate_hz: z.number().finite().nonnegative(),
});
