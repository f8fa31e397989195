import { accidentalRate } from '@cicenns/model';
import { coincidenceExcess, RatioWindow } from './coincidence-rules';
import { defaultRuleConfig } from '../../../../test/support/fixtures/default-rule-config';

const { rules } = defaultRuleConfig();

const p = rules['coincidence-excess']; // warn 3x, alarm 10x, deadband 0.5, 6 readings
const accidental = accidentalRate(2900, 2900, 100); // 1.68 Hz

describe('coincidence-excess', () => {
  it('compares the measured rate with 2 tau R1 R2', () => {
    expect(accidental).toBeCloseTo(1.682, 3);
    expect(coincidenceExcess(4.5, accidental, p, undefined).severity).toBeUndefined(); // 2.7x
    const w = coincidenceExcess(6, accidental, p, undefined);
    expect(w).toMatchObject({ severity: 'warning', limit: 3, unit: 'x accidental' });
    expect(w.value).toBeCloseTo(6 / accidental, 6);
    expect(coincidenceExcess(20, accidental, p, undefined).severity).toBe('alarm');
    expect(coincidenceExcess(4.3, accidental, p, 'warning').severity).toBe('warning'); // 2.56x > 2.5
    expect(coincidenceExcess(4.1, accidental, p, 'warning').severity).toBeUndefined();
  });

  it('averages the last n readings', () => {
    const w = new RatioWindow(3);
    w.add(10, 1);
    w.add(1, 1);
    expect(w.add(1, 1)).toEqual({ measured: 4, expected: 1 });
    expect(w.add(1, 2)).toEqual({ measured: 1, expected: 4 / 3 });
  });
});
