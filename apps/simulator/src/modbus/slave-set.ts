import { encodeRaw, encodeValue, decodeValue, locate, registerCount, type Table } from '@cicenns/modbus';
import type { DeviceConfig, DeviceProfile, RegisterSpec } from '@cicenns/model';
import type { FaultRegistry } from '../faults/fault-registry';
import type { DetectorSim } from '../physics/detector-sim';
import type { HvChannel } from '../physics/hv-channel';
import { ExceptionCode, ModbusException } from './modbus-exception';

interface Entry {
  device: DeviceConfig;
  profile: DeviceProfile;
  channel: number;
  name: string;
  spec: RegisterSpec;
  address: number;
  count: number;
  /** the simulated channel it shows (hv profiles), looked up once: a render was a string key each */
  hv?: HvChannel;
  /** the sensor it shows (temperature profiles); undefined: a spare input, which reads open */
  sensorId?: string;
}

interface Unit {
  deviceId: string;
  /**
   * by address, so a read finds the registers it covers by a binary search (where a profile's
   * registers overlap, which no shipped profile does, the one at the higher address is served)
   */
  entries: Record<Table, Entry[]>;
  /** one past the highest readable address per table; reserved words below it read 0 */
  end: Record<Table, number>;
}

/** How a faulted device behaves on the wire. */
export interface UnitBehaviour {
  silent: boolean;
  malformed: boolean;
  delayMs: number;
}

/**
 * The Modbus slaves on one link: register images rendered from the simulation through each
 * device's profile (so a profile change changes what is served), and writes decoded back into
 * HV settings. Transport-agnostic: the TCP and the RTU-over-TCP servers both use it.
 */
export class SlaveSet {
  private readonly units = new Map<number, Unit>();

  constructor(
    devices: readonly DeviceConfig[],
    profiles: ReadonlyMap<string, DeviceProfile>,
    private readonly sim: DetectorSim,
    private readonly faults: FaultRegistry,
  ) {
    for (const device of devices) {
      const profile = profiles.get(device.profile);
      if (!profile) continue;
      for (let channel = 0; channel < device.channels; channel++) {
        for (const [name, spec] of Object.entries(profile.registers)) {
          const { unitId, address } = locate(profile, device.unitId, channel, spec);
          const unit = this.unit(unitId, device.id);
          const count = registerCount(spec.type);
          const entry: Entry = { device, profile, channel, name, spec, address, count };
          if (profile.kind === 'temperature') {
            entry.sensorId = sim.config.detector.sensorByChannel(device.id, channel)?.id;
          } else entry.hv = sim.hvChannel(device.id, channel);
          unit.entries[spec.table].push(entry);
          unit.end[spec.table] = Math.max(unit.end[spec.table], address + count);
        }
      }
      // A stride layout reserves whole blocks: reading the reserved tail of the last block is fine.
      const a = profile.addressing;
      if (!a.unitIdPerChannel) {
        const unit = this.units.get(device.unitId);
        for (const table of ['holding', 'input'] as const) {
          if (unit && unit.entries[table].length) {
            unit.end[table] = Math.max(unit.end[table], a.base + device.channels * (a.stride ?? 0));
          }
        }
      }
    }
    for (const unit of this.units.values()) {
      for (const table of ['holding', 'input'] as const)
        unit.entries[table].sort((x, y) => x.address - y.address);
    }
  }

  unitIds(): number[] {
    return [...this.units.keys()].sort((a, b) => a - b);
  }

  hasUnit(unitId: number): boolean {
    return this.units.has(unitId);
  }

  deviceOf(unitId: number): string | undefined {
    return this.units.get(unitId)?.deviceId;
  }

  behaviour(unitId: number): UnitBehaviour {
    const device = this.deviceOf(unitId);
    if (!device) return { silent: false, malformed: false, delayMs: 0 };
    const slow = this.faults.on('modbus-slow', device);
    return {
      silent: this.faults.on('crate-silent', device).length > 0,
      malformed: this.faults.on('modbus-malformed', device).length > 0,
      delayMs: slow.length ? Math.max(...slow.map((f) => f.delayMs)) : 0,
    };
  }

  /** Read `count` words; throws ModbusException for an unknown unit or an address out of range. */
  read(unitId: number, table: Table, address: number, count: number): number[] {
    const unit = this.requireUnit(unitId);
    if (count < 1 || count > 125) throw new ModbusException(ExceptionCode.illegalDataValue, `count ${count}`);
    if (address + count > unit.end[table]) {
      throw new ModbusException(
        ExceptionCode.illegalDataAddress,
        `unit ${unitId} ${table} ${address}+${count} beyond ${unit.end[table]}`,
      );
    }
    return this.render(unit, table, address, count);
  }

  /** Write holding registers. All-or-nothing: any bad address or value rejects the whole write. */
  write(unitId: number, address: number, values: readonly number[]): void {
    const unit = this.requireUnit(unitId);
    const end = address + values.length;
    const touched = unit.entries.holding.filter((e) => e.address < end && e.address + e.count > address);
    for (let a = address; a < end; a++) {
      const e = touched.find((x) => a >= x.address && a < x.address + x.count);
      if (!e || e.spec.access !== 'rw') {
        throw new ModbusException(
          ExceptionCode.illegalDataAddress,
          `unit ${unitId} register ${a} is not writable`,
        );
      }
    }
    // Overlay the written words on the current image so a partly written 32-bit value decodes.
    const lo = Math.min(...touched.map((e) => e.address));
    const hi = Math.max(...touched.map((e) => e.address + e.count));
    const image = this.render(unit, 'holding', lo, hi - lo);
    values.forEach((v, i) => (image[address + i - lo] = v & 0xffff));
    const changes = touched.map((e) => {
      const words = image.slice(e.address - lo, e.address - lo + e.count);
      const value = decodeValue(e.spec, words, e.profile.wordOrder).value;
      if (value === null)
        throw new ModbusException(ExceptionCode.illegalDataValue, `${e.name}: invalid value`);
      this.validate(e, value);
      return { e, value };
    });
    for (const { e, value } of changes) this.apply(e, value);
  }

  private requireUnit(unitId: number): Unit {
    const unit = this.units.get(unitId);
    if (!unit) throw new ModbusException(ExceptionCode.gatewayTargetFailed, `no unit ${unitId}`);
    return unit;
  }

  private unit(unitId: number, deviceId: string): Unit {
    let u = this.units.get(unitId);
    if (!u) {
      u = { deviceId, entries: { holding: [], input: [] }, end: { holding: 0, input: 0 } };
      this.units.set(unitId, u);
    }
    return u;
  }

  private render(unit: Unit, table: Table, address: number, count: number): number[] {
    const out = new Array<number>(count).fill(0);
    const entries = unit.entries[table];
    // the first entry that may cover `address`: a register is at most 2 words long
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid].address < address - 1) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < entries.length; k++) {
      const e = entries[k];
      if (e.address >= address + count) break;
      if (e.address + e.count <= address) continue;
      const words = this.encode(e);
      for (let i = 0; i < e.count; i++) {
        const a = e.address + i - address;
        if (a >= 0 && a < count) out[a] = words[i];
      }
    }
    return out;
  }

  private encode(e: Entry): number[] {
    const value = this.valueOf(e);
    const order = e.spec.wordOrder ?? e.profile.wordOrder;
    if (value === null) return encodeRaw(e.spec.invalidRaw[0] ?? -0x8000, e.spec.type, order);
    try {
      return encodeValue(e.spec, value, order);
    } catch {
      // out of the register's range: saturate like a real ADC would
      const max = e.spec.type === 'int16' ? 0x7fff : e.spec.type === 'uint16' ? 0xffff : 0x7fffffff;
      return encodeRaw(value > 0 ? max : e.spec.type.startsWith('u') ? 0 : -max, e.spec.type, order);
    }
  }

  private valueOf(e: Entry): number | null {
    if (e.profile.kind === 'temperature') {
      return e.sensorId !== undefined ? this.sim.temperatureReading(e.sensorId) : null; // spare input: open
    }
    const ch = e.hv;
    if (!ch) return 0;
    switch (e.name) {
      case 'vset':
        return ch.vset;
      case 'iset':
        return ch.iset;
      case 'vmon':
        return ch.vmon;
      case 'imon':
        return ch.imon;
      case 'status':
        return ch.status;
      case 'power':
        return ch.power;
      case 'ramp_up':
        return ch.rampUp;
      case 'ramp_down':
        return ch.rampDown;
      case 'trip_time':
        return ch.tripTimeS;
      default:
        return 0;
    }
  }

  private validate(e: Entry, value: number): void {
    const bad = (why: string) => new ModbusException(ExceptionCode.illegalDataValue, `${e.name}: ${why}`);
    const ch = this.sim.hvChannel(e.device.id, e.channel);
    if (!ch) throw bad('no such channel');
    switch (e.name) {
      case 'vset':
        if (!(value >= 0 && value <= ch.vmax)) throw bad(`${value} V outside 0..${ch.vmax}`);
        break;
      case 'iset':
        if (!(value >= 0 && value <= 10_000)) throw bad(`${value} uA`);
        break;
      case 'power':
        if (value !== 0 && value !== 1) throw bad(`${value} is not 0 or 1`);
        break;
      case 'ramp_up':
      case 'ramp_down':
        if (!(value >= 1 && value <= 1000)) throw bad(`${value} V/s`);
        break;
      case 'trip_time':
        if (!(value >= 0)) throw bad(`${value} s`);
        break;
      default:
        throw bad('not writable in the simulator');
    }
  }

  private apply(e: Entry, value: number): void {
    const ch = this.sim.hvChannel(e.device.id, e.channel)!;
    if (e.name === 'vset') ch.vset = value;
    else if (e.name === 'iset') ch.iset = value;
    else if (e.name === 'power') ch.setPower(value === 1);
    else if (e.name === 'ramp_up') ch.rampUp = value;
    else if (e.name === 'ramp_down') ch.rampDown = value;
    else if (e.name === 'trip_time') ch.tripTimeS = value;
  }
}
