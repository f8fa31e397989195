import { expectedGain, gainDrift, gainFromHv } from './gain-rules';
import { defaultRuleConfig } from '../../../../test/support/fixtures/default-rule-config';

const { calibrationOf, rules } = defaultRuleConfig();

const p = rules['gain-drift']; // warn 5 %, alarm 10 %, deadband 1 %
const cal = calibrationOf('CsI01-A'); // 3.6e6 at 1400 V, beta 7, -0.3 %/degC around 22 degC

describe('gain-drift', () => {
  it('raises a warning above 5 % and an alarm above 10 %, either direction', () => {
    expect(gainDrift(1.04e6, 1e6, p, undefined).severity).toBeUndefined();
    const w = gainDrift(1.062e6, 1e6, p, undefined);
    expect(w).toMatchObject({ severity: 'warning', limit: 5, unit: '%' });
    expect(w.value).toBeCloseTo(6.2, 6);
    expect(w.message).toBe('SPE gain 1.06e+6 is 6.2 % above calibration 1.00e+6 (limit 5 %)');
    expect(gainDrift(0.94e6, 1e6, p, undefined)).toMatchObject({ severity: 'warning' });
    expect(gainDrift(1.105e6, 1e6, p, undefined)).toMatchObject({ severity: 'alarm', limit: 10 });
    expect(gainDrift(0.89e6, 1e6, p, undefined)).toMatchObject({ severity: 'alarm' });
  });

  it('clears and de-escalates only past the deadband', () => {
    expect(gainDrift(1.095e6, 1e6, p, 'alarm').severity).toBe('alarm'); // 9.5 > 10 - 1
    expect(gainDrift(1.089e6, 1e6, p, 'alarm').severity).toBe('warning');
    expect(gainDrift(1.045e6, 1e6, p, 'warning').severity).toBe('warning'); // 4.5 > 5 - 1
    expect(gainDrift(1.039e6, 1e6, p, 'warning').severity).toBeUndefined();
    expect(gainDrift(1.045e6, 1e6, p, undefined).severity).toBeUndefined(); // not raised from below
  });

  it('expects the calibrated gain corrected to the temperature', () => {
    expect(expectedGain(cal, 22)).toBe(3.6e6);
    expect(expectedGain(cal, 25)).toBeCloseTo(3.6e6 * (1 - 0.009), 0);
    expect(expectedGain(cal, undefined)).toBe(3.6e6);
  });
});

describe('gain-hv', () => {
  const hp = rules['gain-hv']; // warn 5 %, alarm 10 %, deadband 0.5 %
  it('predicts the gain from VMon by the power law: +1 % HV is ~+7 % gain', () => {
    const v = gainFromHv(1414, cal, hp, undefined);
    expect(v.value).toBeCloseTo((Math.pow(1.01, 7) - 1) * 100, 6);
    expect(v).toMatchObject({ severity: 'warning', limit: 5 });
    expect(gainFromHv(1400.5, cal, hp, undefined).severity).toBeUndefined();
    expect(gainFromHv(1375, cal, hp, undefined)).toMatchObject({ severity: 'alarm' }); // -11.8 %
  });

  it('holds a warning until the deviation is 0.5 % below the level', () => {
    // 4.7 % in gain: inside the 0.5 % deadband of the 5 % level
    const v = Math.pow(1.047, 1 / 7) * 1400;
    expect(gainFromHv(v, cal, hp, 'warning').severity).toBe('warning');
    expect(gainFromHv(Math.pow(1.044, 1 / 7) * 1400, cal, hp, 'warning').severity).toBeUndefined();
  });
});
