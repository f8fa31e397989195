import { encodeValue } from '@cicenns/modbus';
import { hvRange, withinHvRange, type DeviceProfile, type HvLimitedRegister, type Pmt } from '@cicenns/model';
import type { HvRegister } from '@cicenns/contracts';
import type { HvSet } from './hv-dto';

/** What the API knows of a channel right now (from the live cache). */
export interface ChannelNow {
  /** quality of its latest HV reading */
  quality: 'good' | 'stale' | 'bad' | 'none';
  error?: string;
  /** status flags by the profile's names, e.g. ['on', 'interlock'] */
  flags: string[];
}

/** The fields of a change that the PMT's limits bound, with the register each is written to. */
const LIMITED_FIELDS = [
  ['vset', 'vset'],
  ['iset', 'iset'],
  ['rampUp', 'ramp_up'],
  ['rampDown', 'ramp_down'],
] as const satisfies readonly (readonly [keyof HvSet, HvLimitedRegister])[];

/**
 * Why this change may not be made on this PMT (empty: allowed). The poller checks the limits
 * and the interlock again before it writes; this check is for the operator's preview.
 */
export function hvRefusals(pmt: Pmt, set: HvSet, now: ChannelNow): string[] {
  const out: string[] = [];
  for (const [field, register] of LIMITED_FIELDS) {
    const v = set[field];
    if (v === undefined) continue;
    const r = hvRange(pmt.limits, register);
    // hvSetSchema has checked the form (>= 0, whole ramp rates): a value outside is above the top
    if (!withinHvRange(r, v))
      out.push(
        `${field} ${v} ${r.unit} above ${r.limit === 'ramp limit' ? 'the ramp limit' : r.limit} ${r.max} ${r.unit}`,
      );
  }
  // switching a channel off is always allowed: safe, and what one wants in trouble
  const onlyOff = set.power === 'off' && Object.keys(set).every((k) => k === 'power');
  if (!onlyOff) {
    if (now.flags.includes('interlock')) out.push('its crate reports an interlock');
    if (now.quality !== 'good')
      out.push(`no recent good reading (${now.quality}${now.error ? `: ${now.error}` : ''})`);
  }
  return out;
}

/**
 * The register writes of a change, in a safe order: current limit and ramp rates first, so the
 * new voltage ramps at the new rate under the new limit; power last, so it switches on to the
 * new voltage.
 */
export function hvWrites(set: HvSet): { register: HvRegister; value: number }[] {
  const w: { register: HvRegister; value: number }[] = [];
  if (set.iset !== undefined) w.push({ register: 'iset', value: set.iset });
  if (set.rampUp !== undefined) w.push({ register: 'ramp_up', value: set.rampUp });
  if (set.rampDown !== undefined) w.push({ register: 'ramp_down', value: set.rampDown });
  if (set.vset !== undefined) w.push({ register: 'vset', value: set.vset });
  if (set.power !== undefined) w.push({ register: 'power', value: set.power === 'on' ? 1 : 0 });
  return w;
}

/**
 * Why the crate's profile cannot take these writes: a register it does not have, one it only
 * reads, or a value its register type cannot hold. Without this the preview approves what the
 * poller then fails to write.
 */
export function profileRefusals(
  set: HvSet,
  device: string,
  profile: DeviceProfile | undefined,
  profileFile?: string,
): string[] {
  const where = profile ? `profile ${profile.name}${profileFile ? ` (${profileFile})` : ''}` : '';
  if (!profile) return [`crate ${device} has no known profile`];
  const out: string[] = [];
  for (const w of hvWrites(set)) {
    const spec = profile.registers[w.register];
    if (!spec) {
      out.push(`${w.register}: crate ${device}'s ${where} has no register "${w.register}"`);
      continue;
    }
    if (spec.access !== 'rw') {
      out.push(`${w.register}: register "${w.register}" of ${where} is read-only (access: ${spec.access})`);
      continue;
    }
    try {
      encodeValue(spec, w.value, profile.wordOrder);
    } catch (err) {
      out.push(`${w.register}: ${(err as Error).message} (${where})`);
    }
  }
  return out;
}
