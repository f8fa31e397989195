import { loadSystemConfig } from '@cicenns/model';
import { LineEncoder } from './line-protocol';

const { detector } = loadSystemConfig(undefined, {});
const encoder = new LineEncoder(detector);

describe('line protocol', () => {
  it('hv reading: pmt tags, integer status, float voltages, quality', () => {
    expect(
      encoder.encode({
        m: 'hv',
        id: 'CsI01-A',
        ts: 1700000000123,
        quality: 'good',
        source: 'hv-crystal',
        fields: { vmon: 1400, imon: 99.5, status: 1, power: 1 },
      }),
    ).toBe(
      'hv,pmt=CsI01-A,group=crystal,parent=CsI01 vmon=1400,imon=99.5,status=1i,power=1i,quality="good" 1700000000123',
    );
  });

  it('bad reading keeps its error, strings are escaped', () => {
    expect(
      encoder.encode({
        m: 'temperature',
        id: 'T-hall',
        ts: 5,
        quality: 'bad',
        source: 'pt100-2',
        fields: {},
        error: 'sensor "open"',
      }),
    ).toBe('temperature,sensor=T-hall quality="bad",error="sensor \\"open\\"" 5');
  });

  it('beam has no id tag; booleans stay booleans', () => {
    expect(
      encoder.encode({
        m: 'beam',
        id: '',
        ts: 7,
        quality: 'good',
        source: 'daq',
        fields: { on: true, power_kw: 140 },
      }),
    ).toBe('beam on=true,power_kw=140,quality="good" 7');
  });

  it('some fields of a point, without quality (an HV set value held up to its change)', () => {
    expect(encoder.encodeFields('hv', 'CsI01-A', { vset: 1500, power: 1 }, 2000)).toBe(
      'hv,pmt=CsI01-A,group=crystal,parent=CsI01 vset=1500,power=1i 2000',
    );
  });
});
