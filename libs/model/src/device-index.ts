import type { DeviceConfig } from './schemas';

// one index per devices array (the configuration is loaded once and not changed afterwards)
const indexes = new WeakMap<readonly DeviceConfig[], Map<string, DeviceConfig>>();

/**
 * A device of `cicenns.yaml` by id, through a map built once per devices list: asked for every
 * PMT (its crate's poll period, profile, status bits), a find over 700 crates for each of 45,000
 * PMTs is 30 million comparisons per /api/pmts.
 */
export function deviceById(devices: readonly DeviceConfig[], id: string): DeviceConfig | undefined {
  let index = indexes.get(devices);
  if (!index) {
    index = new Map();
    for (const d of devices) if (!index.has(d.id)) index.set(d.id, d);
    indexes.set(devices, index);
  }
  return index.get(id);
}
