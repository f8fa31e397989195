import type { DeviceProfile, RegisterSpec } from '@cicenns/model';
import { registerCount } from './codec';

export type Table = 'holding' | 'input';

/** One register value wanted from the device. */
export interface PlannedItem {
  channel: number;
  name: string;
  spec: RegisterSpec;
  unitId: number;
  table: Table;
  address: number;
  count: number;
}

/** One Modbus read transaction covering several items. */
export interface ReadBlock {
  unitId: number;
  table: Table;
  start: number;
  count: number;
  items: PlannedItem[];
}

/** Where a channel's register lives: unit id and absolute address. */
export function locate(
  profile: DeviceProfile,
  deviceUnitId: number,
  channel: number,
  spec: RegisterSpec,
): { unitId: number; address: number } {
  const a = profile.addressing;
  if (a.unitIdPerChannel) return { unitId: deviceUnitId + channel, address: a.base + spec.offset };
  return { unitId: deviceUnitId, address: a.base + channel * (a.stride ?? 0) + spec.offset };
}

export function plannedItems(
  profile: DeviceProfile,
  deviceUnitId: number,
  channels: readonly number[],
  names: readonly string[] = profile.poll,
): PlannedItem[] {
  const items: PlannedItem[] = [];
  for (const channel of channels) {
    for (const name of names) {
      const spec = profile.registers[name];
      const { unitId, address } = locate(profile, deviceUnitId, channel, spec);
      items.push({
        channel,
        name,
        spec,
        unitId,
        table: spec.table,
        address,
        count: registerCount(spec.type),
      });
    }
  }
  return items;
}

/**
 * Merge items into the fewest reads: per unit id and table, sorted by address, a read grows
 * while it stays within the device's read limit and the gap to bridge is at most maxGap
 * registers (reading a few unused registers is cheaper than another round trip).
 * With maxGap = Infinity this greedy cover is the minimum number of reads.
 */
export function planReads(items: readonly PlannedItem[], maxRead: number, maxGap: number): ReadBlock[] {
  const groups = new Map<string, PlannedItem[]>();
  for (const it of items) {
    const key = `${it.unitId}/${it.table}`;
    const g = groups.get(key) ?? [];
    g.push(it);
    groups.set(key, g);
  }
  const blocks: ReadBlock[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => a.address - b.address);
    let cur: ReadBlock | undefined;
    for (const it of group) {
      const end = cur ? cur.start + cur.count : 0;
      const fits = cur && it.address + it.count - cur.start <= maxRead && it.address - end <= maxGap;
      if (cur && fits) {
        cur.count = Math.max(cur.count, it.address + it.count - cur.start);
        cur.items.push(it);
      } else {
        cur = { unitId: it.unitId, table: it.table, start: it.address, count: it.count, items: [it] };
        blocks.push(cur);
      }
    }
  }
  return blocks;
}

/** The plan for one poll of a device's channels with its profile's settings. */
export function planDevicePoll(
  profile: DeviceProfile,
  deviceUnitId: number,
  channels: readonly number[],
): ReadBlock[] {
  return planReads(
    plannedItems(profile, deviceUnitId, channels),
    profile.maxReadRegisters,
    profile.maxGapRegisters,
  );
}
