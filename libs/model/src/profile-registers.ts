import type { DeviceProfile } from './schemas';
import type { SystemConfig } from './load-config';
import { deviceById } from './device-index';

/** Registers of an HV profile the system acts on (preview, alarms, the PMT view's own fields). */
export const HV_CORE_REGISTERS = ['vset', 'iset', 'vmon', 'imon', 'status', 'power', 'ramp_up', 'ramp_down'];
/** The one register of a temperature profile the system reads (published as value_c). */
export const TEMPERATURE_CORE_REGISTERS = ['value'];

/**
 * A profile's extra registers: polled, so stored (field = register name), but not one the system
 * acts on; e.g. a board temperature or a trip time. Name -> unit ('' when the profile gives none).
 */
export function extraRegisters(profile: DeviceProfile | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!profile) return out;
  const core = profile.kind === 'hv' ? HV_CORE_REGISTERS : TEMPERATURE_CORE_REGISTERS;
  for (const name of profile.poll) if (!core.includes(name)) out[name] = profile.registers[name].unit ?? '';
  return out;
}

/** The profile of the HV device that feeds a PMT. */
export function hvProfileOf(cfg: Pick<SystemConfig, 'app' | 'profiles' | 'detector'>, pmtId: string) {
  const p = cfg.detector.pmt(pmtId);
  const device = p && deviceById(cfg.app.devices, p.hv.device);
  return device && cfg.profiles.get(device.profile);
}

/**
 * A profile's status flags as bit masks of the `status` register: flag name -> mask, from its
 * statusBits (never hard-coded: each vendor numbers its bits its own way).
 */
export function statusFlagMasks(profile: DeviceProfile | undefined): Map<string, number> {
  const masks = new Map<string, number>();
  for (const [bit, name] of Object.entries(profile?.statusBits ?? {}))
    masks.set(name, (masks.get(name) ?? 0) | (1 << Number(bit)));
  return masks;
}

/** The bits of any of these flags (0 when the profile defines none of them). */
export function anyFlagMask(masks: ReadonlyMap<string, number>, names: readonly string[]): number {
  let mask = 0;
  for (const n of names) mask |= masks.get(n) ?? 0;
  return mask;
}

/**
 * The HV set values: the registers of the HV profiles the control writes (`access: rw`: vset,
 * iset, power, ramp_up, ramp_down, trip_time in the repository's). They change only on a command,
 * so the historian stores them on change and at least every influx.setValuesKeyframeMs
 * (docs/DATA.md), and whoever reads them from InfluxDB fills the gaps with the previous value.
 */
export function hvSetValueFields(profiles: Iterable<DeviceProfile>): Set<string> {
  const fields = new Set<string>();
  for (const p of profiles)
    if (p.kind === 'hv')
      for (const [name, reg] of Object.entries(p.registers)) if (reg.access === 'rw') fields.add(name);
  return fields;
}

/**
 * The HV fields the historian stores with every reading: the registers the HV profiles poll that
 * the control does not write (vmon, imon, status and extras such as board_temp). With
 * hvSetValueFields, what the aggregate tier's hv query names (apps/historian retention-setup.ts).
 */
export function hvMeasuredFields(profiles: Iterable<DeviceProfile>): Set<string> {
  const fields = new Set<string>();
  for (const p of profiles)
    if (p.kind === 'hv') for (const name of p.poll) if (p.registers[name].access !== 'rw') fields.add(name);
  return fields;
}
