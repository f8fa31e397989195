import { loadSystemConfig } from '@cicenns/model';
import { encodeRaw } from '@cicenns/modbus';
import { FakeTransport } from '../../../../test/support/fakes/fake-transport';
import { ModbusLink } from '../links/modbus-link';
import { DeviceRegisters } from './device-registers';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

function setup() {
  const cfg = loadSystemConfig(undefined, {});
  const transports = new Map<string, FakeTransport>();
  const links = new Map(
    cfg.app.links.map((l) => {
      const t = new FakeTransport();
      transports.set(l.id, t);
      return [l.id, new ModbusLink(l, t, { log: quiet })] as const;
    }),
  );
  const registers = new DeviceRegisters(cfg, links);
  const stop = () => Promise.all([...links.values()].map((l) => l.stop()));
  return { cfg, registers, hv: transports.get('hv-gw')!, stop };
}

describe('DeviceRegisters', () => {
  it('knows each device with its profile and link, in the configuration order', () => {
    const { cfg, registers } = setup();
    expect([...registers.all()].map((d) => d.config.id)).toEqual(cfg.app.devices.map((d) => d.id));
    const veto = registers.get('hv-veto')!;
    expect(veto.profile.name).toBe('generic-hv');
    expect(veto.link.id).toBe('hv-gw');
    expect(registers.get('hv-x')).toBeUndefined();
  });

  it('refuses a device whose profile or link is unknown', () => {
    const cfg = loadSystemConfig(undefined, {});
    expect(() => new DeviceRegisters(cfg, new Map())).toThrow(/unknown profile or link/);
  });

  describe('write (was PollerService.writeRegisters)', () => {
    it('encodes with the profile and writes FC16 at the channel address', async () => {
      const { registers, hv, stop } = setup();
      await registers.write('hv-veto', 3, 'vset', 905.5);
      await registers.write('hv-crystal', 2, 'trip_time', 2.5);
      expect(hv.writes).toEqual([
        { unitId: 2, address: 48, values: encodeRaw(905.5, 'float32', 'ABCD') },
        { unitId: 1, address: 32 + 12, values: [25] },
      ]);
      await stop();
    });

    it('refuses read-only registers, unknown names, devices and channels, and out-of-range values', async () => {
      const { registers, hv, stop } = setup();
      await expect(registers.write('hv-crystal', 0, 'vmon', 1000)).rejects.toThrow('read-only');
      await expect(registers.write('hv-crystal', 0, 'nope', 1)).rejects.toThrow('no register "nope"');
      await expect(registers.write('hv-x', 0, 'vset', 1)).rejects.toThrow('unknown device');
      await expect(registers.write('hv-crystal', 30, 'vset', 1)).rejects.toThrow('no channel 30');
      await expect(registers.write('hv-crystal', 0, 'power', 70000)).rejects.toThrow(RangeError);
      expect(hv.writes).toHaveLength(0);
      await stop();
    });
  });

  describe('read', () => {
    it('reads one register of a channel at its address and decodes it with the profile', async () => {
      const { registers, hv, stop } = setup();
      // hv-veto = unit 2; channel 3's vmon (float32 ABCD) at 3*16+4
      hv.table(2, 'holding').splice(52, 2, ...encodeRaw(901.25, 'float32', 'ABCD'));
      expect(await registers.read('hv-veto', 3, 'vmon')).toBe(901.25);
      expect(hv.reads).toEqual([{ unitId: 2, table: 'holding', address: 52, count: 2 }]);
      await stop();
    });

    it('reads back what write wrote', async () => {
      const { registers, stop } = setup();
      await registers.write('hv-crystal', 2, 'trip_time', 2.5);
      expect(await registers.read('hv-crystal', 2, 'trip_time')).toBe(2.5);
      await stop();
    });

    it('refuses unknown devices, names and channels without a transaction', async () => {
      const { registers, hv, stop } = setup();
      await expect(registers.read('hv-x', 0, 'vmon')).rejects.toThrow('unknown device');
      await expect(registers.read('hv-crystal', 0, 'nope')).rejects.toThrow('no register "nope"');
      await expect(registers.read('hv-crystal', 30, 'vmon')).rejects.toThrow('no channel 30');
      expect(hv.reads).toHaveLength(0);
      await stop();
    });
  });
});
