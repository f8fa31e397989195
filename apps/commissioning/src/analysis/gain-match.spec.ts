import { gainMatch } from './gain-match';

describe('gainMatch', () => {
  const target = 3.6e6;
  it('matches two tubes within tolerance of the target and of each other', () => {
    const m = gainMatch(
      { pmt: 'CsI03-A', gain: 3.58e6, gainErr: 5e4 },
      { pmt: 'CsI03-B', gain: 3.63e6 },
      target,
      5,
    );
    expect(m.matched).toBe(true);
    expect(m.reason).toBe(
      'CsI03-A 3.58e6 ± 5e4 and CsI03-B 3.63e6 are within 5.0 % of the target 3.6e6 and 1.4 % apart',
    );
  });

  it('names the tube off the target, its gain, the offset and the limit', () => {
    const m = gainMatch({ pmt: 'CsI03-A', gain: 3.6e6 }, { pmt: 'CsI03-B', gain: 3.9e6 }, target, 5);
    expect(m).toEqual({
      matched: false,
      reason: 'CsI03-B gain 3.9e6 is 8.3 % from the target 3.6e6 (limit 5.0 %)',
    });
  });

  it('fails two tubes each within tolerance of the target but too far apart', () => {
    const m = gainMatch({ pmt: 'CsI03-A', gain: 3.45e6 }, { pmt: 'CsI03-B', gain: 3.75e6 }, target, 5);
    expect(m).toEqual({
      matched: false,
      reason: 'CsI03-A and CsI03-B differ by 8.3 % (3.45e6 vs 3.75e6, limit 5.0 %)',
    });
  });

  it('names the tube with no operating voltage and its failure', () => {
    const failed = "target gain 3.6e6 needs 1623 ± 12 V, above the channel's vmax 1500 V";
    expect(gainMatch({ pmt: 'CsI03-A', gain: 3.6e6 }, { pmt: 'CsI03-B', failed }, target, 5)).toEqual({
      matched: false,
      reason: `CsI03-B has no operating voltage: ${failed}`,
    });
    expect(gainMatch({ pmt: 'CsI03-A' }, { pmt: 'CsI03-B', gain: 3.6e6 }, target, 5).reason).toBe(
      'CsI03-A has no operating voltage: no gain measured',
    );
  });
});
