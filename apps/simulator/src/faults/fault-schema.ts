import { z } from 'zod';

const pmt = z.string().min(1);
const device = z.string().min(1);
const sensor = z.string().min(1);

/** Fault commands accepted over HTTP and MQTT (cicenns/sim/fault). */
export const faultSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('gain-drift'), pmt, pctPerHour: z.number().finite() }).strict(),
  z.object({ type: z.literal('dcr-jump'), pmt, factor: z.number().finite().nonnegative() }).strict(),
  z.object({ type: z.literal('hv-trip'), pmt }).strict(),
  z
    .object({ type: z.literal('over-current'), pmt, imonUa: z.number().finite().positive().optional() })
    .strict(),
  z.object({ type: z.literal('crate-silent'), device }).strict(),
  // the crate's interlock opens: every channel's output goes off and its interlock bit is set
  z.object({ type: z.literal('interlock'), device }).strict(),
  z.object({ type: z.literal('modbus-malformed'), device }).strict(),
  z
    .object({ type: z.literal('modbus-slow'), device, delayMs: z.number().int().min(0).max(600_000) })
    .strict(),
  z.object({ type: z.literal('sensor-open'), sensor }).strict(),
  z.object({ type: z.literal('temperature-offset'), sensor, deltaC: z.number().finite() }).strict(),
  z
    .object({
      type: z.literal('temperature-cycle'),
      sensor,
      amplitudeC: z.number().finite(),
      periodS: z.number().finite().positive(),
    })
    .strict(),
  z.object({ type: z.literal('beam-off') }).strict(),
  // the divider's resistance drops to `factor` of its value: IMon far above the V / R line
  z
    .object({
      type: z.literal('divider-short'),
      pmt,
      factor: z.number().finite().positive().max(1).optional(),
    })
    .strict(),
  // a broken divider chain: IMon ~ 0 whatever the voltage
  z.object({ type: z.literal('divider-open'), pmt }).strict(),
  // the gain wanders by about amplitudePct: a sinusoid of periodS plus a random walk
  z
    .object({
      type: z.literal('gain-wander'),
      pmt,
      amplitudePct: z.number().finite().nonnegative().max(100),
      periodS: z.number().finite().positive(),
    })
    .strict(),
  // the DAQ's side of measurement requests (SPEC 2.4): ignores them, answers for a PMT it was
  // not asked for, or answers busy
  z.object({ type: z.literal('daq-silent') }).strict(),
  z.object({ type: z.literal('daq-wrong-pmt') }).strict(),
  z.object({ type: z.literal('daq-busy') }).strict(),
]);
export type FaultSpec = z.infer<typeof faultSpecSchema>;
export type FaultType = FaultSpec['type'];

/** An active fault: the spec plus its id and when it was injected. */
export type Fault = FaultSpec & { id: string; injectedAt: string; injectedAtMs: number };

/** MQTT only: {"clear": true} clears all faults, {"clear": "<id>"} one. */
export const clearCommandSchema = z.object({ clear: z.union([z.literal(true), z.string().min(1)]) }).strict();

/** The first zod issue as one readable line: "pmt: Invalid input: expected string". */
export function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
