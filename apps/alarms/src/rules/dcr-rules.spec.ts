import { dcrHigh, DcrBinner, dcrLow, expectedDcr } from './dcr-rules';
import { defaultRuleConfig } from '../../../../test/support/fixtures/default-rule-config';

const { calibrationOf, rules } = defaultRuleConfig();

const cal = calibrationOf('CsI02-A'); // 2900 Hz at 1400 V and 22 degC, +5 %/degC

describe('expected DCR', () => {
  it('follows the temperature exponentially and VMon as a power of beta/2', () => {
    expect(expectedDcr(cal, 22, 1400, 0.5)).toBeCloseTo(2900, 6);
    expect(expectedDcr(cal, 25, 1400, 0.5)).toBeCloseTo(2900 * Math.exp(0.15), 6);
    expect(expectedDcr(cal, 22, 1260, 0.5)).toBeCloseTo(2900 * Math.pow(0.9, 3.5), 6);
    expect(expectedDcr(cal, 22, undefined, 0.5)).toBeCloseTo(2900, 6);
  });
});

describe('dcr-high (jump)', () => {
  const p = rules['dcr-high']; // warn 2x, alarm 5x, deadband 0.2
  it('raises a warning from 2x and an alarm from 5x the expected rate', () => {
    expect(dcrHigh(5600, 2900, p, undefined).severity).toBeUndefined();
    const w = dcrHigh(6090, 2900, p, undefined);
    expect(w).toMatchObject({ severity: 'warning', limit: 2, unit: 'x expected' });
    expect(w.value).toBeCloseTo(2.1, 6);
    expect(w.message).toBe('DCR 6090 Hz is 2.1 x the expected 2900 Hz (limit 2 x)');
    expect(dcrHigh(15000, 2900, p, undefined)).toMatchObject({ severity: 'alarm', limit: 5 });
  });

  it('clears below 2x - 0.2', () => {
    expect(dcrHigh(1.85 * 2900, 2900, p, 'warning').severity).toBe('warning');
    expect(dcrHigh(1.75 * 2900, 2900, p, 'warning').severity).toBeUndefined();
    expect(dcrHigh(4.9 * 2900, 2900, p, 'alarm').severity).toBe('alarm');
    expect(dcrHigh(4.7 * 2900, 2900, p, 'alarm').severity).toBe('warning');
  });
});

describe('dcr-low', () => {
  const p = rules['dcr-low']; // warn below 0.3x, dead at 0 Hz, deadband 0.05
  it('warns below 0.3x, alarms at zero, clears above 0.3x + deadband', () => {
    expect(dcrLow(1000, 2900, p, undefined).severity).toBeUndefined(); // 0.34x
    const w = dcrLow(580, 2900, p, undefined);
    expect(w).toMatchObject({ severity: 'warning', limit: 0.3 });
    expect(w.value).toBeCloseTo(0.2, 6);
    const dead = dcrLow(0, 2900, p, 'warning');
    expect(dead).toMatchObject({ severity: 'alarm', value: 0, limit: 0, unit: 'Hz' });
    expect(dead.message).toMatch(/counts nothing/);
    expect(dcrLow(0.32 * 2900, 2900, p, 'alarm').severity).toBe('warning');
    expect(dcrLow(0.36 * 2900, 2900, p, 'warning').severity).toBeUndefined();
  });
});

describe('DcrBinner', () => {
  it('sums counts per time bin and reports the residual with its Poisson error', () => {
    const b = new DcrBinner(60_000);
    const t0 = 1_800_000_000_000 - (1_800_000_000_000 % 60_000);
    for (let i = 0; i < 6; i++) expect(b.add(t0 + i * 10_000, 3000, 2900, 10)).toBeUndefined();
    const bin = b.add(t0 + 60_000, 2900, 2900, 10)!;
    expect(bin.residual).toBeCloseTo(3000 / 2900 - 1, 9);
    expect(bin.poissonSigma).toBeCloseTo(1 / Math.sqrt(2900 * 60), 9);
  });
});
