import type { SystemConfig } from '@cicenns/model';
import type { AlarmConfig } from './alarm-config';

/** HV rules that fire on one status flag, by the name alarms.yaml gives that flag. */
const STATUS_BIT_RULES = ['hv-over-current', 'hv-trip', 'hv-interlock', 'hv-temperature-error'] as const;
/** flags the HV rules read to tell on/off and ramping (hv-rules.ts) */
const STATE_FLAGS = ['on', 'ramping_up', 'ramping_down'];
/** flags shown to the crew (console, /api/pmts) that no rule needs */
const DISPLAY_FLAGS = ['over_voltage', 'under_voltage', 'at_max_v'];

/**
 * Status flag names in the HV profiles in use that no alarm rule knows: `trip` where the rules
 * read `tripped` is accepted by the schema, and the trip alarm would then never fire. One
 * warning per flag, naming the profile file, the bit and the known names.
 */
export function unknownStatusBits(cfg: SystemConfig, alarms: AlarmConfig): string[] {
  const known = new Set([
    ...STATE_FLAGS,
    ...STATUS_BIT_RULES.map((r) => alarms.rules[r].statusBit),
    ...DISPLAY_FLAGS,
  ]);
  const used = new Set(cfg.app.devices.map((d) => d.profile));
  const out: string[] = [];
  for (const [name, profile] of cfg.profiles) {
    if (profile.kind !== 'hv' || !used.has(name)) continue;
    const file = cfg.profileFiles?.get(name) ?? `profile ${name}`;
    for (const [bit, flag] of Object.entries(profile.statusBits)) {
      if (known.has(flag)) continue;
      out.push(
        `${file}: statusBits.${bit}: "${flag}" is a flag no alarm rule knows, so no alarm fires on it ` +
          `(known: ${[...known].join(', ')})`,
      );
    }
  }
  return out;
}
