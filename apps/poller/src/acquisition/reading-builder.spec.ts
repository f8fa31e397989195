import { loadSystemConfig, type DeviceConfig } from '@cicenns/model';
import { decodeValue, encodeValue } from '@cicenns/modbus';
import { buildReadings, tidy, type ChannelOutcome } from './reading-builder';

const cfg = loadSystemConfig(undefined, {});
const device = (id: string, profile: string, unitId: number, channels: number): DeviceConfig => ({
  id,
  link: 'x',
  profile,
  unitId,
  channels,
  pollMs: 1000,
});

/** Encode engineering values with the profile, then decode them as a poll would. */
function outcome(profileName: string, channel: number, values: Record<string, number>): ChannelOutcome {
  const p = cfg.profiles.get(profileName)!;
  const o: ChannelOutcome = { channel, values: {} };
  for (const [name, v] of Object.entries(values)) {
    o.values[name] = decodeValue(
      p.registers[name],
      encodeValue(p.registers[name], v, p.wordOrder),
      p.wordOrder,
    );
  }
  return o;
}

describe('buildReadings', () => {
  it('HV: one reading per PMT channel, every polled register a field, status as the integer', () => {
    const hv = cfg.profiles.get('generic-hv')!;
    const o = outcome('generic-hv', 1, {
      vset: 1400,
      iset: 2.5,
      vmon: 1399.8,
      imon: 1.234,
      status: 0b1000001, // on + tripped
      power: 1,
      ramp_up: 10,
      ramp_down: 20,
      trip_time: 2.5,
    });
    const [r, ...rest] = buildReadings(
      device('hv-crystal', 'generic-hv', 1, 30),
      hv,
      cfg.detector,
      [o],
      1234,
    );
    expect(rest).toHaveLength(0);
    expect(r).toEqual({
      m: 'hv',
      id: 'CsI01-B',
      ts: 1234,
      quality: 'good',
      source: 'hv-crystal',
      fields: {
        vset: 1400,
        iset: 2.5,
        vmon: 1399.8, // float32 1399.800048828125, tidied
        imon: 1.234,
        status: 65,
        power: 1,
        ramp_up: 10,
        ramp_down: 20,
        trip_time: 2.5,
      },
    });
  });

  it('scaled integers and CDAB int32 (vendor-x-hv): x0.1 V, x0.001 uA, negatives', () => {
    const vx = cfg.profiles.get('vendor-x-hv')!;
    // raw words as the crate sends them: vmon int16 13998, imon int32 -1234 low word first
    const o: ChannelOutcome = {
      channel: 0,
      values: {
        vmon: decodeValue(vx.registers.vmon, [13998], vx.wordOrder),
        imon: decodeValue(vx.registers.imon, [0xfb2e, 0xffff], vx.wordOrder),
        status: decodeValue(vx.registers.status, [0x0009], vx.wordOrder),
      },
    };
    const [r] = buildReadings(device('hv-crystal', 'vendor-x-hv', 10, 16), vx, cfg.detector, [o], 1);
    expect(r.id).toBe('CsI01-A');
    expect(r.fields).toEqual({ vmon: 1399.8, imon: -1.234, status: 9 });
  });

  it('temperature: value_c, and the invalid raw 0x8000 is a bad reading "sensor open"', () => {
    const pt = cfg.profiles.get('pt100-8ch')!;
    const spec = pt.registers.value;
    const outcomes: ChannelOutcome[] = [
      { channel: 0, values: { value: decodeValue(spec, [223], 'ABCD') } },
      { channel: 1, values: { value: decodeValue(spec, [0x8000], 'ABCD') } },
      { channel: 2, values: { value: decodeValue(spec, [0xff9c], 'ABCD') } },
    ];
    const dev = device('pt100-1', 'pt100-8ch', 11, 8);
    const rs = buildReadings(dev, pt, cfg.detector, outcomes, 5);
    const sensors = [0, 1, 2].map((ch) => cfg.detector.sensorByChannel('pt100-1', ch)!.id);
    expect(rs).toEqual([
      {
        m: 'temperature',
        id: sensors[0],
        ts: 5,
        source: 'pt100-1',
        quality: 'good',
        fields: { value_c: 22.3 },
      },
      {
        m: 'temperature',
        id: sensors[1],
        ts: 5,
        source: 'pt100-1',
        quality: 'bad',
        fields: {},
        error: 'sensor open',
      },
      {
        m: 'temperature',
        id: sensors[2],
        ts: 5,
        source: 'pt100-1',
        quality: 'good',
        fields: { value_c: -10 },
      },
    ]);
  });

  it('a failed read gives bad readings with the reason; spare channels give none', () => {
    const pt = cfg.profiles.get('pt100-8ch')!;
    const dev = device('pt100-3', 'pt100-8ch', 13, 8);
    const outcomes = Array.from({ length: 8 }, (_, ch) => ({
      channel: ch,
      values: {},
      error: 'timeout after 1000 ms',
    }));
    const rs = buildReadings(dev, pt, cfg.detector, outcomes, 5);
    const mapped = outcomes.filter((o) => cfg.detector.sensorByChannel('pt100-3', o.channel));
    expect(rs).toHaveLength(mapped.length);
    for (const r of rs)
      expect(r).toMatchObject({ quality: 'bad', fields: {}, error: 'timeout after 1000 ms' });
  });

  it('a NaN float is a bad reading naming the register', () => {
    const hv = cfg.profiles.get('generic-hv')!;
    const o: ChannelOutcome = {
      channel: 0,
      values: { vmon: decodeValue(hv.registers.vmon, [0x7fc0, 0], 'ABCD') },
    };
    const [r] = buildReadings(device('hv-crystal', 'generic-hv', 1, 30), hv, cfg.detector, [o], 1);
    expect(r).toMatchObject({ quality: 'bad', fields: {} });
    expect(r.error).toMatch(/^vmon: not a number/);
  });

  it('tidy rounds to the decimals of the scale', () => {
    const spec = cfg.profiles.get('vendor-x-hv')!.registers.imon;
    expect(tidy(spec, 70000.50000000001)).toBe(70000.5);
    expect(tidy({ ...spec, scale: 1e-7 }, 12345 * 1e-7)).toBe(0.0012345);
  });
});
