import { decodeValue, encodeValue } from '@cicenns/modbus';
import { loadSystemConfig } from '@cicenns/model';
import { FaultRegistry } from '../faults/fault-registry';
import { DetectorSim } from '../physics/detector-sim';
import { HvStatus } from '../physics/hv-channel';
import { Random } from '@cicenns/common';
import { ModbusException } from './modbus-exception';
import { SlaveSet } from './slave-set';

function setup(mutate?: (cfg: ReturnType<typeof loadSystemConfig>) => void) {
  const config = loadSystemConfig(undefined, {});
  mutate?.(config);
  const faults = new FaultRegistry(config);
  const sim = new DetectorSim(config, faults, new Random(5), { noise: 0, coincWindowNs: 100 }, Date.now());
  const slaves = new SlaveSet(
    config.app.devices.filter((d) => d.link === 'hv-gw'),
    config.profiles,
    sim,
    faults,
  );
  const profile = config.profiles.get('generic-hv')!;
  return { config, faults, sim, slaves, profile };
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as ModbusException).modbusErrorCode;
  }
  return undefined;
};

describe('SlaveSet (generic-hv)', () => {
  it('serves channel blocks of 16 holding registers with ABCD floats', () => {
    const { slaves, profile, sim } = setup();
    expect(slaves.unitIds()).toEqual([1, 2]);
    const words = slaves.read(1, 'holding', 3 * 16, 16); // channel 3 = CsI02-B
    const dec = (name: string) =>
      decodeValue(profile.registers[name], words.slice(profile.registers[name].offset), 'ABCD').value;
    expect(dec('vset')).toBe(1400);
    expect(dec('vmon')).toBeCloseTo(sim.hvOfPmt('CsI02-B')!.vmon, 3);
    expect(dec('imon')).toBeCloseTo(100, 3);
    expect(dec('status')).toBe(HvStatus.on);
    expect(dec('power')).toBe(1);
    expect(dec('iset')).toBe(150);
    expect(dec('ramp_up')).toBe(20);
    expect(dec('trip_time')).toBeCloseTo(1.0, 6);
    expect(words[8 + 1]).toBe(1); // raw power register
    expect(words[12]).toBe(10); // trip_time raw 10 = 1.0 s
    expect(words.slice(13)).toEqual([0, 0, 0]); // reserved
  });

  it('rejects reads beyond the crate and of unknown units', () => {
    const { slaves } = setup();
    expect(code(() => slaves.read(1, 'holding', 30 * 16, 1))).toBe(2);
    expect(slaves.read(2, 'holding', 63 * 16, 16)).toHaveLength(16);
    expect(code(() => slaves.read(1, 'input', 0, 1))).toBe(2);
    expect(code(() => slaves.read(7, 'holding', 0, 1))).toBe(0x0b);
  });

  it('writes take effect: float vset in two words, power, ramp, read-only rejected', () => {
    const { slaves, profile, sim } = setup();
    const ch = sim.hvChannel('hv-veto', 5)!;
    slaves.write(2, 5 * 16, encodeValue(profile.registers.vset, 950.5, 'ABCD'));
    expect(ch.vset).toBeCloseTo(950.5, 3);
    slaves.write(2, 5 * 16 + 10, [40, 30]);
    expect([ch.rampUp, ch.rampDown]).toEqual([40, 30]);
    slaves.write(2, 5 * 16 + 9, [0]);
    expect(ch.power).toBe(0);
    expect(code(() => slaves.write(2, 5 * 16 + 4, [0, 0]))).toBe(2); // vmon is read-only
    expect(code(() => slaves.write(2, 5 * 16 + 9, [7]))).toBe(3); // power must be 0 or 1
    expect(code(() => slaves.write(2, 5 * 16, encodeValue(profile.registers.vset, 5000, 'ABCD')))).toBe(3);
    expect(ch.vset).toBeCloseTo(950.5, 3); // a rejected write changes nothing
  });

  it('crate-silent / modbus-malformed / modbus-slow apply to the faulted device only', () => {
    const { slaves, faults } = setup();
    faults.add({ type: 'crate-silent', device: 'hv-crystal' });
    faults.add({ type: 'modbus-slow', device: 'hv-veto', delayMs: 250 });
    expect(slaves.behaviour(1)).toEqual({ silent: true, malformed: false, delayMs: 0 });
    expect(slaves.behaviour(2)).toEqual({ silent: false, malformed: false, delayMs: 250 });
    faults.clear();
    faults.add({ type: 'modbus-malformed', device: 'hv-veto' });
    expect(slaves.behaviour(2).malformed).toBe(true);
    expect(slaves.behaviour(1).malformed).toBe(false);
  });

  it('serves another vendor layout when the profile changes (vendor-x-hv: unit per channel, CDAB, scaled ints)', () => {
    const { slaves, config, sim } = setup((cfg) => {
      const d = cfg.app.devices.find((x) => x.id === 'hv-crystal')!;
      d.profile = 'vendor-x-hv';
      d.unitId = 100;
      d.channels = 16;
      const v = cfg.app.devices.find((x) => x.id === 'hv-veto')!;
      v.link = 'elsewhere';
    });
    const p = config.profiles.get('vendor-x-hv')!;
    expect(slaves.unitIds()).toEqual(Array.from({ length: 16 }, (_, i) => 100 + i));
    const input = slaves.read(104, 'input', 0, 4); // channel 4 = CsI03-A
    expect(decodeValue(p.registers.vmon, input.slice(0, 1), 'CDAB').value).toBeCloseTo(
      sim.hvOfPmt('CsI03-A')!.vmon,
      1,
    );
    expect(decodeValue(p.registers.imon, input.slice(1, 3), 'CDAB').value).toBeCloseTo(100, 2);
    expect(slaves.read(104, 'holding', 0, 1)).toEqual([14000]);
    slaves.write(104, 0, [13900]);
    expect(sim.hvOfPmt('CsI03-A')!.vset).toBeCloseTo(1390, 6);
  });
});
