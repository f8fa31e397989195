import { loadSystemConfig } from '@cicenns/model';
import { hvRefusals, hvWrites } from './hv-safety';

const cfg = loadSystemConfig(undefined, {});
const csi = cfg.detector.pmt('CsI01-A')!; // vmax 1500, imax 200 uA, ramp 50 V/s
const good = { quality: 'good' as const, flags: ['on'] };

describe('hvRefusals (the preview check)', () => {
  it('allows a change within the limits on a channel with a good reading', () => {
    expect(hvRefusals(csi, { vset: 1500, iset: 200, rampUp: 50, rampDown: 1, power: 'on' }, good)).toEqual(
      [],
    );
  });

  it('refuses above vmax, imax and the ramp limit, with every reason', () => {
    expect(hvRefusals(csi, { vset: 1501, iset: 201, rampUp: 51, rampDown: 60 }, good)).toEqual([
      'vset 1501 V above vmax 1500 V',
      'iset 201 uA above imax 200 uA',
      'rampUp 51 V/s above the ramp limit 50 V/s',
      'rampDown 60 V/s above the ramp limit 50 V/s',
    ]);
  });

  it('refuses a channel whose crate reports an interlock, except switching it off', () => {
    const interlocked = { quality: 'good' as const, flags: ['on', 'interlock'] };
    expect(hvRefusals(csi, { vset: 1400 }, interlocked)).toEqual(['its crate reports an interlock']);
    expect(hvRefusals(csi, { power: 'on' }, interlocked)).toEqual(['its crate reports an interlock']);
    expect(hvRefusals(csi, { power: 'off' }, interlocked)).toEqual([]);
  });

  it('refuses without a recent good reading, except switching off', () => {
    expect(hvRefusals(csi, { vset: 1400 }, { quality: 'stale', flags: [] })).toEqual([
      'no recent good reading (stale)',
    ]);
    expect(hvRefusals(csi, { vset: 1400 }, { quality: 'bad', error: 'timeout', flags: [] })).toEqual([
      'no recent good reading (bad: timeout)',
    ]);
    expect(hvRefusals(csi, { power: 'off' }, { quality: 'bad', flags: [] })).toEqual([]);
  });
});

describe('hvWrites', () => {
  it('orders limit and ramps before the voltage, power last', () => {
    expect(hvWrites({ power: 'on', vset: 1400, rampUp: 20, iset: 150, rampDown: 30 })).toEqual([
      { register: 'iset', value: 150 },
      { register: 'ramp_up', value: 20 },
      { register: 'ramp_down', value: 30 },
      { register: 'vset', value: 1400 },
      { register: 'power', value: 1 },
    ]);
    expect(hvWrites({ power: 'off' })).toEqual([{ register: 'power', value: 0 }]);
  });
});
