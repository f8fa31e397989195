import { z } from 'zod';

/** `ts`: epoch milliseconds or an ISO-8601 string (SPEC 2.3). Range checks come later. */
const timestamp = z.union([z.number(), z.string().min(1)]);
const rate = z.number().finite().nonnegative();

export const pmtDcrPayload = z.object({
  ts: timestamp,
  rate_hz: rate,
  window_s: z.number().finite().positive().optional(),
});

export const sweepDcrPayload = z.object({
  ts: timestamp,
  window_s: z.number().finite().positive().optional(),
  // entries are checked one by one, so one bad PMT does not discard the sweep
  rates_hz: z.record(z.string(), z.unknown()),
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
  window_ns: z.number().finite().positive(),
});

export const beamPayload = z.object({
  ts: timestamp,
  on: z.boolean(),
  power_kw: z.number().finite().nonnegative(),
  rep_rate_hz: z.number().finite().nonnegative(),
});
