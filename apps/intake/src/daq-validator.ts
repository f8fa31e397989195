import type { Detector } from '@cicenns/model';
import { BoundedMemo } from '@cicenns/common';
import type { Reading } from '@cicenns/bus';
import type { ZodType } from 'zod';
import { beamPayload, coincidencePayload, gainPayload, pmtDcrPayload, sweepDcrPayload } from './daq-payloads';

/** Why a DAQ message (or one entry of a sweep) was refused; the label of the rejects counter. */
export type RejectReason =
  | 'too_large'
  | 'not_json'
  | 'schema'
  | 'unknown_pmt'
  | 'unknown_crystal'
  | 'bad_timestamp'
  | 'future_timestamp'
  | 'too_old'
  | 'unknown_topic';

export interface Rejection {
  reason: RejectReason;
  /** what exactly was wrong, and where: "rates_hz.CsI99-A: unknown PMT" */
  detail: string;
}

export interface ValidationResult {
  readings: Reading[];
  rejections: Rejection[];
}

export interface IntakeLimits {
  maxPayloadBytes: number;
  maxFutureSkewMs: number;
  maxAgeMs: number;
}

const PMT_TOPIC = /^cicenns\/daq\/pmt\/([^/]+)\/(dcr|gain)$/;
const COINC_TOPIC = /^cicenns\/daq\/crystal\/([^/]+)\/coincidence$/;

/**
 * Turns one DAQ message (topic + raw payload) into normalized readings, or says precisely why
 * not. Pure: no I/O, so every rejection path is unit-tested.
 */
export class DaqValidator {
  /** what a topic carries, worked out once per topic (the DAQ uses the same few hundred) */
  private readonly routes = new BoundedMemo<string, Route>(ROUTE_CACHE_MAX, (t) => routeOf(t, this.detector));

  constructor(
    private readonly detector: Detector,
    private readonly limits: IntakeLimits,
  ) {}

  validate(topic: string, payload: Buffer | string, now = Date.now()): ValidationResult {
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (bytes > this.limits.maxPayloadBytes) {
      return reject('too_large', `${bytes} bytes, limit ${this.limits.maxPayloadBytes}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString());
    } catch (e) {
      return reject('not_json', (e as Error).message);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return reject('schema', 'payload must be a JSON object');
    }

    const route = this.routes.get(topic);
    switch (route.kind) {
      case 'dcr':
        return this.one(pmtDcrPayload, body, now, (p, ts) =>
          reading('dcr', route.id, ts, {
            rate_hz: p.rate_hz,
            ...(p.window_s !== undefined && { window_s: p.window_s }),
          }),
        );
      case 'gain':
        return this.one(gainPayload, body, now, (p, ts) =>
          reading('gain', route.id, ts, {
            gain: p.gain,
            ...(p.gain_err !== undefined && { gain_err: p.gain_err }),
            ...(p.method !== undefined && { method: p.method }),
          }),
        );
      case 'coincidence':
        return this.one(coincidencePayload, body, now, (p, ts) =>
          reading('coincidence', route.id, ts, { rate_hz: p.rate_hz, window_ns: p.window_ns }),
        );
      case 'sweep':
        return this.sweep(body, now);
      case 'beam':
        return this.one(beamPayload, body, now, (p, ts) =>
          reading('beam', '', ts, { on: p.on, power_kw: p.power_kw, rep_rate_hz: p.rep_rate_hz }),
        );
      default:
        return { readings: [], rejections: [route.rejection] };
    }
  }

  private one<T>(
    schema: ZodType<T>,
    body: unknown,
    now: number,
    build: (p: T, ts: number) => Reading,
  ): ValidationResult {
    const parsed = schema.safeParse(body);
    if (!parsed.success) return reject('schema', describeZod(parsed.error.issues));
    const ts = this.timestamp((parsed.data as { ts: number | string }).ts, now);
    if ('reason' in ts) return { readings: [], rejections: [ts] };
    return { readings: [build(parsed.data, ts.ms)], rejections: [] };
  }

  private sweep(body: unknown, now: number): ValidationResult {
    const parsed = sweepDcrPayload.safeParse(body);
    if (!parsed.success) return reject('schema', describeZod(parsed.error.issues));
    const ts = this.timestamp(parsed.data.ts, now);
    if ('reason' in ts) return { readings: [], rejections: [ts] };
    const out: ValidationResult = { readings: [], rejections: [] };
    const window = parsed.data.window_s;
    for (const [pmt, value] of Object.entries(parsed.data.rates_hz)) {
      if (!this.detector.pmt(pmt)) {
        out.rejections.push({ reason: 'unknown_pmt', detail: `rates_hz.${pmt}: unknown PMT` });
      } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        out.rejections.push({
          reason: 'schema',
          detail: `rates_hz.${pmt}: expected a rate >= 0, got ${JSON.stringify(value)}`,
        });
      } else {
        out.readings.push(
          reading('dcr', pmt, ts.ms, { rate_hz: value, ...(window !== undefined && { window_s: window }) }),
        );
      }
    }
    return out;
  }

  private timestamp(ts: number | string, now: number): { ms: number } | Rejection {
    const ms = typeof ts === 'number' ? ts : /^\d{4}-\d{2}-\d{2}T/.test(ts) ? Date.parse(ts) : NaN;
    if (!Number.isFinite(ms))
      return { reason: 'bad_timestamp', detail: `ts: not epoch ms or ISO-8601: ${JSON.stringify(ts)}` };
    if (ms > now + this.limits.maxFutureSkewMs) {
      return {
        reason: 'future_timestamp',
        detail: `ts: ${new Date(ms).toISOString()} is ${Math.round((ms - now) / 1000)} s in the future`,
      };
    }
    if (ms < now - this.limits.maxAgeMs) {
      return {
        reason: 'too_old',
        detail: `ts: ${new Date(ms).toISOString()} is older than ${this.limits.maxAgeMs / 3600_000} h`,
      };
    }
    return { ms: Math.round(ms) };
  }
}

type Route =
  | { kind: 'dcr' | 'gain' | 'coincidence'; id: string }
  | { kind: 'sweep' | 'beam' }
  | { kind: 'rejected'; rejection: Rejection };

/** Topics are few; the cap only bounds a publisher inventing topics. */
const ROUTE_CACHE_MAX = 10_000;

function routeOf(topic: string, detector: Detector): Route {
  let m: RegExpMatchArray | null;
  if ((m = topic.match(PMT_TOPIC))) {
    const pmt = m[1];
    if (!detector.pmt(pmt))
      return {
        kind: 'rejected',
        rejection: { reason: 'unknown_pmt', detail: `unknown PMT "${pmt}" in topic` },
      };
    return { kind: m[2] === 'dcr' ? 'dcr' : 'gain', id: pmt };
  }
  if ((m = topic.match(COINC_TOPIC))) {
    const crystal = m[1];
    if (!detector.isCrystal(crystal)) {
      const detail = `unknown crystal "${crystal}" in topic`;
      return { kind: 'rejected', rejection: { reason: 'unknown_crystal', detail } };
    }
    return { kind: 'coincidence', id: crystal };
  }
  if (topic === 'cicenns/daq/dcr') return { kind: 'sweep' };
  if (topic === 'cicenns/beam/status') return { kind: 'beam' };
  const detail = `no DAQ message is defined for topic ${topic}`;
  return { kind: 'rejected', rejection: { reason: 'unknown_topic', detail } };
}

function reading(m: Reading['m'], id: string, ts: number, fields: Reading['fields']): Reading {
  return { m, id, ts, quality: 'good', fields, source: 'daq' };
}

function reject(reason: RejectReason, detail: string): ValidationResult {
  return { readings: [], rejections: [{ reason, detail }] };
}

function describeZod(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(payload)'}: ${i.message}`)
    .join('; ');
}
