import { hvLimitRefusal, hvRange, withinHvRange } from './hv-limits';

const pmt = { id: 'CsI01-A', limits: { vmax: 1500, imaxUa: 200, rampMaxVps: 50 } };

describe('the HV limit rule', () => {
  it('bounds voltage and current from 0, ramp rates from 1 V/s in whole volts', () => {
    expect(hvRange(pmt.limits, 'vset')).toMatchObject({ min: 0, max: 1500, unit: 'V' });
    expect(hvRange(pmt.limits, 'iset')).toMatchObject({ min: 0, max: 200, unit: 'uA' });
    const ramp = hvRange(pmt.limits, 'ramp_down');
    expect([withinHvRange(ramp, 1), withinHvRange(ramp, 50), withinHvRange(ramp, 0)]).toEqual([
      true,
      true,
      false,
    ]);
    expect([withinHvRange(ramp, 2.5), withinHvRange(ramp, 51), withinHvRange(ramp, NaN)]).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('says which limit a value is outside of', () => {
    expect(hvLimitRefusal(pmt, 'vset', 1500)).toBeUndefined();
    expect(hvLimitRefusal(pmt, 'vset', -1)).toBe('vset -1 V outside 0..1500 V (vmax of CsI01-A)');
    expect(hvLimitRefusal(pmt, 'iset', 201)).toBe('iset 201 uA outside 0..200 uA (imax of CsI01-A)');
    expect(hvLimitRefusal(pmt, 'ramp_up', 51)).toBe(
      'ramp_up 51 V/s outside 1..50 V/s (ramp limit of CsI01-A)',
    );
  });
});
