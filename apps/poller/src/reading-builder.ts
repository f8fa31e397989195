import type { Reading } from '@cicenns/bus';
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
): Reading[] {
  const m = profile.kind === 'hv' ? 'hv' : 'temperature';
  const readings: Reading[] = [];
  for (const o of outcomes) {
    const id = channelSubject(detector, device, profile.kind, o.channel);
    if (!id) continue;
    const base = { m, id, ts, source: device.id } as const;
    if (o.error) {
      readings.push({ ...base, quality: 'bad', fields: {}, error: o.error });
      continue;
    }
    const fields: Record<string, number> = {};
    let error: string | undefined;
    for (const [name, v] of Object.entries(o.values)) {
      const spec = profile.registers[name];
      if (v.value === null) {
        error ??= invalidReason(profile, name, spec, v.raw);
        continue;
      }
      fields[fieldName(profile.kind, name)] = tidy(spec, v.value);
    }
    if (error) readings.push({ ...base, quality: 'bad', fields: {}, error });
    else readings.push({ ...base, quality: 'good', fields });
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
  if (spec.type === 'float32') return Number(value.toPrecision(7));
  if (spec.scale === 1 && spec.add === 0) return value;
  const d = Math.max(decimals(spec.scale), decimals(spec.add));
  return d <= 15 ? Number(value.toFixed(d)) : Number(value.toPrecision(12));
}

function decimals(x: number): number {
  const s = String(x);
  const exp = /e-(\d+)$/.exec(s);
  if (exp) return Number(exp[1]) + (s.split('e')[0].split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
}
