import type { DeviceConfig, DeviceProfile, RegisterSpec, SystemConfig } from '@cicenns/model';
import { decodeValue, encodeValue, locate, registerCount } from '@cicenns/modbus';
import type { ModbusLink } from '../links/modbus-link';

/** A configured device with what it takes to talk to it: its profile and the link it is on. */
export interface Device {
  readonly config: DeviceConfig;
  readonly profile: DeviceProfile;
  readonly link: ModbusLink;
}

/**
 * Every configured device, looked up once: its profile and its link. Reads and writes one
 * register of one channel by name (`vset` of channel 3 of hv-veto): the profile's encoding and
 * addressing, through the link's queue. Acquisition takes each device's profile and link from
 * here (its block reads are planned per profile, see DevicePoller); HV commands read and write
 * through here.
 */
export class DeviceRegisters {
  private readonly devices = new Map<string, Device>();

  constructor(config: Pick<SystemConfig, 'app' | 'profiles'>, links: ReadonlyMap<string, ModbusLink>) {
    for (const d of config.app.devices) {
      const profile = config.profiles.get(d.profile);
      const link = links.get(d.link);
      // loadSystemConfig has cross-checked both; this guards hand-made configs
      if (!profile || !link) throw new Error(`device ${d.id}: unknown profile or link`);
      this.devices.set(d.id, { config: d, profile, link });
    }
  }

  /** The device, or undefined when none has this id. */
  get(deviceId: string): Device | undefined {
    return this.devices.get(deviceId);
  }

  /** All devices, in the configuration's order. */
  all(): IterableIterator<Device> {
    return this.devices.values();
  }

  /** Read one register of one channel through the link's queue, decoded by the profile. */
  async read(deviceId: string, channel: number, name: string): Promise<number | null> {
    const { device, spec } = this.register(deviceId, channel, name);
    const { unitId, address } = locate(device.profile, device.config.unitId, channel, spec);
    const words = await device.link.read(unitId, spec.table, address, registerCount(spec.type));
    return decodeValue(spec, words, device.profile.wordOrder).value;
  }

  /**
   * Write one register of one channel (FC16), encoded by the profile. Only registers the
   * profile marks 'rw' in a holding table can be written. Goes through the link's queue ahead
   * of queued reads. Range and safety limits of HV values are the caller's job.
   */
  async write(deviceId: string, channel: number, name: string, value: number): Promise<void> {
    const { device, spec } = this.register(deviceId, channel, name, { writable: true });
    if (!Number.isFinite(value)) throw new Error(`${deviceId}/${channel} ${name}: ${value} is not a number`);
    const words = encodeValue(spec, value, device.profile.wordOrder);
    const { unitId, address } = locate(device.profile, device.config.unitId, channel, spec);
    await device.link.write(unitId, address, words);
  }

  /** The device and the register's spec, or an error saying which of the three is wrong. */
  private register(
    deviceId: string,
    channel: number,
    name: string,
    opts: { writable?: boolean } = {},
  ): { device: Device; spec: RegisterSpec } {
    const device = this.devices.get(deviceId);
    if (!device) throw new Error(`unknown device "${deviceId}"`);
    const { profile, config } = device;
    const spec = profile.registers[name];
    if (!spec) throw new Error(`${deviceId}: profile ${profile.name} has no register "${name}"`);
    if (opts.writable && (spec.access !== 'rw' || spec.table !== 'holding')) {
      throw new Error(`${deviceId}: register "${name}" is read-only`);
    }
    if (!Number.isInteger(channel) || channel < 0 || channel >= config.channels) {
      throw new Error(`${deviceId}: no channel ${channel} (device has ${config.channels})`);
    }
    return { device, spec };
  }
}
