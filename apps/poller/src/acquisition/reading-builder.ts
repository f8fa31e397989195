import type { Reading } from '@cicenns/contracts';
import type { Detector, DeviceConfig, DeviceProfile, RegisterSpec } from '@cicenns/model';
import type { DecodedValue } from '@cicenns/modbus';

/** What one poll learnt about one channel: its decoded registers, or why it could not be read. */
export interface ChannelOutcome {
  channel: number;
  values: Record<string, DecodedValue>;
  /** set when a read covering this channel failed: the channel's reading is bad with this reason */
  error?: string;
}

/** The detector object a device channel feeds, or undefined for a spare channel. */
export function channelSubject(
  detector: Detector,
  device: DeviceConfig,
  kind: DeviceProfile['kind'],
  ch: number,
) {
  return kind === 'hv' ? detector.pmtByHv(device.id, ch)?.id : detector.sensorByChannel(device.id, ch)?.id;
}

/**
 * The subject of each of a device's channels that feeds one (spare channels absent): a device's
 * mapping never changes, so a poller looks it up once rather than per channel per poll.
 */
export function channelSubjects(
  detector: Detector,
  device: DeviceConfig,
  kind: DeviceProfile['kind'],
): Map<number, string> {
  const out = new Map<number, string>();
  for (let ch = 0; ch < device.channels; ch++) {
    const id = channelSubject(detector, device, kind, ch);
    if (id !== undefined) out.set(ch, id);
  }
  return out;
}

/** Field name in the Reading: registers keep their profile names, a temperature's value is value_c. */
export function fieldName(kind: DeviceProfile['kind'], register: string): string {
  return kind === 'temperature' && register === 'value' ? 'value_c' : register;
}

/**
 * The readings of one device poll: one per channel that feeds a PMT (hv) or a sensor
 * (temperature). A channel that could not be read, or whose value is one of the profile's
 * "invalid" raw markers, is still reported, as quality 'bad' with the reason and no fields.
 * The HV status word stays the raw integer: flag names are the profile's business, and the
 * integer is what the historian should keep.
 */
export function buildReadings(
  device: DeviceConfig,
  profile: DeviceProfile,
  detector: Detector,
  outcomes: readonly ChannelOutcome[],
  ts: number,
  /** channelSubjects(detector, device, profile.kind), when the caller keeps it (DevicePoller) */
  subjects: ReadonlyMap<number, string> = channelSubjects(detector, device, profile.kind),
): Reading[] {
  const m = profile.kind === 'hv' ? 'hv' : 'temperature';
  // a sweep builds ~100 readings of ~10 fields: no spreads or Object.entries in this loop
  const names = profile.poll;
  const keys = names.map((n) => fieldName(profile.kind, n));
  const specs = names.map((n) => profile.registers[n]);
  const source = device.id;
  const readings: Reading[] = [];
  for (const o of outcomes) {
    const id = subjects.get(o.channel);
    if (!id) continue;
    let error = o.error;
    const fields: Record<string, number> = {};
    for (let i = 0; i < names.length && !error; i++) {
      const v = o.values[names[i]];
      if (!v) continue;
      if (v.value === null)
        error = v.error ? `${names[i]}: ${v.error}` : invalidReason(profile, names[i], specs[i], v.raw);
      else fields[keys[i]] = tidy(specs[i], v.value);
    }
    readings.push(
      error
        ? { m, id, ts, quality: 'bad', fields: {}, error, source }
        : { m, id, ts, quality: 'good', fields, source },
    );
  }
  return readings;
}

function invalidReason(profile: DeviceProfile, name: string, spec: RegisterSpec, raw: number): string {
  if (spec.invalidRaw.includes(raw)) {
    return profile.kind === 'temperature' ? 'sensor open' : `${name}: invalid raw value ${raw}`;
  }
  return `${name}: not a number (raw ${raw})`;
}

/**
 * Drop the noise that decoding adds: 13998 * 0.1 is 1399.8000000000002, and a float32 of 1399.8
 * reads back as 1399.800048828125. Scaled integers are rounded to the decimals of scale and
 * offset, float32 values to the 7 significant digits a float32 holds.
 */
export function tidy(spec: RegisterSpec, value: number): number {
  if (spec.type === 'float32') return significant(value, 7);
  if (spec.scale === 1 && spec.add === 0) return value;
  let d = decimalsOf.get(spec);
  if (d === undefined) decimalsOf.set(spec, (d = Math.max(decimals(spec.scale), decimals(spec.add))));
  return d <= 15 ? Number(value.toFixed(d)) : significant(value, 12);
}

// per register spec; the hot path of a sweep is ~850 values
const decimalsOf = new WeakMap<RegisterSpec, number>();

/** Round to n significant digits (arithmetic: several times faster than toPrecision). */
function significant(value: number, n: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const e = n - 1 - Math.floor(Math.log10(Math.abs(value)));
  if (e > 300 || e < -300) return Number(value.toPrecision(n));
  // multiply or divide by an exact power of ten so 1399.8 does not become 1399.8000000000002
  return e >= 0 ? Math.round(value * 10 ** e) / 10 ** e : Math.round(value / 10 ** -e) * 10 ** -e;
}

function decimals(x: number): number {
  const s = String(x);
  const exp = /e-(\d+)$/.exec(s);
  if (exp) return Number(exp[1]) + (s.split('e')[0].split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
}
