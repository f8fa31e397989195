import type { DaqBounds, Detector } from '@cicenns/model';
import { Topics, type Reading } from '@cicenns/contracts';
import type { ZodObject, ZodType } from 'zod';
import { beamPayload, coincidencePayload, gainPayload, pmtDcrPayload, sweepDcrPayload } from './daq-payloads';
import { describeMs, parseTimestamp } from './daq-timestamp';
import { jsonShapeProblem } from './json-shape';
import { clip, preview } from './daq-text';

/** Why a DAQ message (or one entry of a sweep) was refused; the label of the rejects counters. */
export type RejectReason =
  | 'too_large'
  | 'not_json'
  | 'too_deep'
  | 'schema'
  | 'out_of_range'
  | 'empty'
  | 'unknown_pmt'
  | 'unknown_crystal'
  | 'bad_timestamp'
  | 'future_timestamp'
  | 'too_old'
  | 'unknown_topic';

/** Why an accepted message is still suspicious; the label of the warnings counter. */
export type WarningReason = 'unknown_field' | 'inconsistent';

export interface Rejection {
  reason: RejectReason;
  /** what exactly was wrong, and where: "rates_hz.CsI99-A: unknown PMT" (at most 200 characters) */
  detail: string;
}

export interface Warning {
  reason: WarningReason;
  detail: string;
}

/**
 * The outcome of one message, exactly one of: accepted (at least one reading), rejected (none,
 * with the message's reason), ignored (a topic under the intake's subscription that is not its
 * business: the commissioning topics cicenns/daq/cmd/..., SPEC 2.4). A sweep's entries are
 * refused one by one (`entryRejections`), so an accepted sweep may have some.
 */
export type ValidationResult =
  | { outcome: 'accepted'; readings: Reading[]; entryRejections: Rejection[]; warnings: Warning[] }
  | { outcome: 'rejected'; rejection: Rejection; entryRejections: Rejection[] }
  | { outcome: 'ignored' };

export interface IntakeLimits {
  maxPayloadBytes: number;
  maxFutureSkewMs: number;
  maxAgeMs: number;
  maxTopicBytes: number;
  maxDepth: number;
  bounds: DaqBounds;
}

const PMT_TOPIC = Topics.daq.pmtTopicPattern;
const COINC_TOPIC = Topics.daq.coincidenceTopicPattern;
const COMMISSIONING_TOPIC = Topics.daq.commissioningTopicPattern;

type Route = { kind: 'dcr' | 'gain' | 'coincidence'; id: string } | { kind: 'sweep' | 'beam' };

/**
 * Turns one DAQ message (topic + raw payload) into normalized readings, or says precisely why
 * not. Pure (no I/O) and total: no input makes it throw (daq-validator.property.spec.ts).
 */
export class DaqValidator {
  /**
   * The routes of the topics the contract defines, for the PMTs and crystals of the detector: a
   * fixed set, so memory does not grow with what a publisher invents (other topics are
   * classified each time and never kept).
   */
  private readonly routes = new Map<string, Route>();

  constructor(
    private readonly detector: Detector,
    private readonly limits: IntakeLimits,
  ) {
    for (const p of detector.pmts) {
      this.routes.set(Topics.daq.pmtDcrOf(p.id), { kind: 'dcr', id: p.id });
      this.routes.set(Topics.daq.pmtGainOf(p.id), { kind: 'gain', id: p.id });
    }
    for (const c of detector.crystals)
      this.routes.set(Topics.daq.coincidenceOf(c.id), { kind: 'coincidence', id: c.id });
    this.routes.set(Topics.daq.sweepDcr, { kind: 'sweep' });
    this.routes.set(Topics.daq.beam, { kind: 'beam' });
  }

  validate(topic: string, payload: Buffer | string, now = Date.now()): ValidationResult {
    const route = this.routes.get(topic);
    if (!route) return this.otherTopic(topic);

    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (bytes > this.limits.maxPayloadBytes) {
      return reject('too_large', `${bytes} bytes, limit ${this.limits.maxPayloadBytes}`);
    }
    const text = payload.toString();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      return reject('not_json', clip((e as Error).message));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return reject('schema', 'payload must be a JSON object');
    }
    const shape = jsonShapeProblem(text, this.limits.maxDepth);
    if (shape?.kind === 'too_deep') {
      return reject('too_deep', `nested deeper than ${this.limits.maxDepth} levels (intake.maxDepth)`);
    }
    if (shape) return reject('schema', clip(`duplicate key ${shape.path.join('.')}`));

    const fields = body as Record<string, unknown>;
    const b = this.limits.bounds;
    switch (route.kind) {
      case 'dcr':
        return this.one(pmtDcrPayload, fields, now, (p, ts) => {
          const bad =
            above(p.rate_hz, 'rate_hz', b.dcr.maxRateHz, 'Hz', 'dcr.maxRateHz') ??
            above(p.window_s, 'window_s', b.dcr.maxWindowS, 's', 'dcr.maxWindowS');
          if (bad) return bad;
          return reading('dcr', route.id, ts, {
            rate_hz: p.rate_hz,
            ...(p.window_s !== undefined && { window_s: p.window_s }),
          });
        });
      case 'gain':
        return this.one(gainPayload, fields, now, (p, ts) => {
          const bad = this.gainOutOfRange(route.id, p.gain, ts);
          if (bad) return bad;
          return reading('gain', route.id, ts, {
            gain: p.gain,
            ...(p.gain_err !== undefined && { gain_err: p.gain_err }),
            ...(p.method !== undefined && { method: p.method }),
          });
        });
      case 'coincidence':
        return this.one(coincidencePayload, fields, now, (p, ts) => {
          const c = b.coincidence;
          const bad =
            above(p.rate_hz, 'rate_hz', c.maxRateHz, 'Hz', 'coincidence.maxRateHz') ??
            above(p.window_ns, 'window_ns', c.maxWindowNs, 'ns', 'coincidence.maxWindowNs');
          if (bad) return bad;
          return reading('coincidence', route.id, ts, { rate_hz: p.rate_hz, window_ns: p.window_ns });
        });
      case 'beam':
        return this.one(beamPayload, fields, now, (p, ts, warnings) => {
          const bad =
            above(p.power_kw, 'power_kw', b.beam.maxPowerKw, 'kW', 'beam.maxPowerKw') ??
            above(p.rep_rate_hz, 'rep_rate_hz', b.beam.maxRepRateHz, 'Hz', 'beam.maxRepRateHz');
          if (bad) return bad;
          if (!p.on && p.power_kw > b.beam.maxPowerWhenOffKw) {
            warnings.push({
              reason: 'inconsistent',
              detail: `beam off with power_kw ${p.power_kw} (above intake.bounds.beam.maxPowerWhenOffKw ${b.beam.maxPowerWhenOffKw})`,
            });
          }
          return reading('beam', '', ts, { on: p.on, power_kw: p.power_kw, rep_rate_hz: p.rep_rate_hz });
        });
      case 'sweep':
        return this.sweep(fields, now);
    }
  }

  /** A topic outside the contract's fixed set: what is wrong with it, without keeping it. */
  private otherTopic(topic: string): ValidationResult {
    const bytes = Buffer.byteLength(topic);
    if (bytes > this.limits.maxTopicBytes) {
      return reject(
        'unknown_topic',
        clip(`topic of ${bytes} bytes (intake.maxTopicBytes ${this.limits.maxTopicBytes}): ${topic}`),
      );
    }
    if (COMMISSIONING_TOPIC.test(topic)) return { outcome: 'ignored' };
    let m: RegExpExecArray | null;
    if ((m = PMT_TOPIC.exec(topic))) return reject('unknown_pmt', clip(`unknown PMT "${m[1]}" in topic`));
    if ((m = COINC_TOPIC.exec(topic))) {
      return reject('unknown_crystal', clip(`unknown crystal "${m[1]}" in topic`));
    }
    return reject('unknown_topic', clip(`no DAQ message is defined for topic ${topic}`));
  }

  /** One message, one reading: schema, timestamp, then the kind's own checks in `build`. */
  private one<T extends { ts: number | string }>(
    schema: ZodObject & ZodType<T>,
    body: Record<string, unknown>,
    now: number,
    build: (p: T, ts: number, warnings: Warning[]) => Reading | Rejection,
  ): ValidationResult {
    const parsed = schema.safeParse(body);
    if (!parsed.success) return reject('schema', describeZod(parsed.error.issues));
    const ts = this.timestamp(parsed.data.ts, now);
    if ('reason' in ts) return { outcome: 'rejected', rejection: ts, entryRejections: [] };
    const warnings = unknownFields(body, schema);
    const out = build(parsed.data, ts.ms, warnings);
    if ('reason' in out) return { outcome: 'rejected', rejection: out, entryRejections: [] };
    return { outcome: 'accepted', readings: [out], entryRejections: [], warnings };
  }

  private sweep(body: Record<string, unknown>, now: number): ValidationResult {
    const parsed = sweepDcrPayload.safeParse(body);
    if (!parsed.success) return reject('schema', describeZod(parsed.error.issues));
    const ts = this.timestamp(parsed.data.ts, now);
    if ('reason' in ts) return { outcome: 'rejected', rejection: ts, entryRejections: [] };
    const { maxRateHz, maxWindowS } = this.limits.bounds.dcr;
    const window = parsed.data.window_s;
    const badWindow = above(window, 'window_s', maxWindowS, 's', 'dcr.maxWindowS');
    if (badWindow) return { outcome: 'rejected', rejection: badWindow, entryRejections: [] };

    // own keys of the parsed JSON: "__proto__" and "constructor" are keys like any other
    const entries = Object.entries(body.rates_hz as Record<string, unknown>);
    if (entries.length === 0) return reject('empty', 'rates_hz: no entries');
    const readings: Reading[] = [];
    const rejected: Rejection[] = [];
    for (const [pmt, value] of entries) {
      const where = `rates_hz.${clip(pmt, 40)}`;
      if (!this.detector.pmt(pmt)) {
        rejected.push({ reason: 'unknown_pmt', detail: `${where}: unknown PMT` });
      } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        rejected.push({ reason: 'schema', detail: `${where}: expected a rate >= 0, got ${preview(value)}` });
      } else if (value > maxRateHz) {
        const detail = `${where}: ${value} Hz is above intake.bounds.dcr.maxRateHz (${maxRateHz} Hz)`;
        rejected.push({ reason: 'out_of_range', detail });
      } else {
        readings.push(
          reading('dcr', pmt, ts.ms, { rate_hz: value, ...(window !== undefined && { window_s: window }) }),
        );
      }
    }
    if (readings.length === 0) {
      // the message's reason is its first entry's; every entry is counted on its own as well
      const first = rejected[0];
      const detail = clip(`all ${rejected.length} entries refused, first: ${first.detail}`);
      return { outcome: 'rejected', rejection: { reason: first.reason, detail }, entryRejections: rejected };
    }
    return {
      outcome: 'accepted',
      readings,
      entryRejections: rejected,
      warnings: unknownFields(body, sweepDcrPayload),
    };
  }

  /** Absolute bounds for every tube; with a calibration in force, also within decades of it. */
  private gainOutOfRange(pmt: string, gain: number, ts: number): Rejection | undefined {
    const g = this.limits.bounds.gain;
    if (gain < g.min || gain > g.max) {
      const detail = `gain: ${gain} is outside intake.bounds.gain.min..max (${g.min}..${g.max})`;
      return { reason: 'out_of_range', detail };
    }
    const cal = this.detector.currentCalibration(pmt, ts);
    if (!cal) return undefined;
    const f = g.maxFactorFromCalibration;
    if (gain < cal.gain / f || gain > cal.gain * f) {
      const detail = `gain: ${gain} is more than ${f} x off the calibrated ${cal.gain} (calibration v${cal.version}, intake.bounds.gain.maxFactorFromCalibration)`;
      return { reason: 'out_of_range', detail };
    }
    return undefined;
  }

  private timestamp(ts: number | string, now: number): { ms: number } | Rejection {
    const parsed = parseTimestamp(ts);
    if ('error' in parsed)
      return { reason: 'bad_timestamp', detail: clip(`ts: ${parsed.error}: ${preview(ts)}`) };
    const { ms } = parsed;
    const { maxFutureSkewMs, maxAgeMs } = this.limits;
    if (ms > now + maxFutureSkewMs) {
      return {
        reason: 'future_timestamp',
        detail: clip(`ts: ${describeMs(ms)} is ${Math.round((ms - now) / 1000)} s in the future`),
      };
    }
    if (ms < now - maxAgeMs) {
      // a DAQ sending epoch seconds instead of milliseconds
      const hint = Math.abs(ms * 1000 - now) <= maxAgeMs ? ' (epoch seconds? ts is in ms)' : '';
      return {
        reason: 'too_old',
        detail: clip(`ts: ${describeMs(ms)} is older than ${maxAgeMs / 3600_000} h${hint}`),
      };
    }
    return { ms };
  }
}

/** A value above its configured bound (intake.bounds.<setting>), as a rejection. */
function above(
  value: number | undefined,
  field: string,
  max: number,
  unit: string,
  setting: string,
): Rejection | undefined {
  if (value === undefined || value <= max) return undefined;
  return {
    reason: 'out_of_range',
    detail: `${field}: ${value} ${unit} is above intake.bounds.${setting} (${max} ${unit})`,
  };
}

/** Keys the contract does not define (a misspelled optional key would else vanish silently). */
function unknownFields(body: Record<string, unknown>, schema: ZodObject): Warning[] {
  const known = schema.shape;
  const unknown: string[] = [];
  let count = 0;
  for (const key of Object.keys(body)) {
    if (Object.hasOwn(known, key)) continue;
    if (count++ < 3) unknown.push(JSON.stringify(clip(key, 40)));
  }
  if (count === 0) return [];
  const more = count > 3 ? ` and ${count - 3} more` : '';
  return [{ reason: 'unknown_field', detail: clip(`unknown field ${unknown.join(', ')}${more} (ignored)`) }];
}

function reading(m: Reading['m'], id: string, ts: number, fields: Reading['fields']): Reading {
  return { m, id, ts, quality: 'good', fields, source: 'daq' };
}

function reject(reason: RejectReason, detail: string): ValidationResult {
  return { outcome: 'rejected', rejection: { reason, detail }, entryRejections: [] };
}

function describeZod(issues: { path: PropertyKey[]; message: string }[]): string {
  return clip(
    issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(payload)'}: ${i.message}`)
      .join('; '),
  );
}
