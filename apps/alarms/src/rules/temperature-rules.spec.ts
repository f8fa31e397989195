import { RateEstimator, sensorOpen, temperatureRange, temperatureRate } from './temperature-rules';
import { defaultRuleConfig } from '../../../../test/support/fixtures/default-rule-config';

const { rules } = defaultRuleConfig();

describe('temperature-range', () => {
  const p = rules['temperature-range']; // deadband 0.3 degC, alarm 5 degC outside
  const range: [number, number] = [15, 30];
  it('warns outside the sensor range, alarms beyond the margin, either side', () => {
    expect(temperatureRange(29.9, range, p, undefined).severity).toBeUndefined();
    expect(temperatureRange(30.2, range, p, undefined)).toMatchObject({
      severity: 'warning',
      value: 30.2,
      limit: 30,
    });
    expect(temperatureRange(14.5, range, p, undefined)).toMatchObject({ severity: 'warning', limit: 15 });
    expect(temperatureRange(35.5, range, p, undefined)).toMatchObject({ severity: 'alarm', limit: 35 });
    expect(temperatureRange(9.9, range, p, undefined)).toMatchObject({ severity: 'alarm', limit: 10 });
    expect(temperatureRange(30.2, range, p, undefined).message).toBe(
      'temperature 30.2 degC is above its range 15..30 degC',
    );
  });

  it('clears only once back inside by the deadband', () => {
    expect(temperatureRange(29.8, range, p, 'warning').severity).toBe('warning');
    expect(temperatureRange(29.6, range, p, 'warning').severity).toBeUndefined();
    expect(temperatureRange(34.8, range, p, 'alarm').severity).toBe('alarm');
    expect(temperatureRange(34.6, range, p, 'alarm').severity).toBe('warning');
  });
});

describe('temperature-rate', () => {
  const p = rules['temperature-rate']; // warn 5, alarm 10 degC/h, deadband 1, window 10 min
  it('fits the slope over the window through 0.1 degC steps', () => {
    const r = new RateEstimator(p.windowMs);
    const t0 = 1_800_000_000_000;
    for (let s = 0; s <= 600; s += 2) {
      r.add(t0 + s * 1000, Math.round((22 + (6 * s) / 3600) * 10) / 10); // 6 degC/h, quantized
      if (s === 200) expect(r.slopePerHour()).toBeUndefined(); // less than half a window
    }
    expect(r.slopePerHour()!).toBeCloseTo(6, 0);
    const v = temperatureRate(r.slopePerHour()!, p, undefined);
    expect(v).toMatchObject({ severity: 'warning', limit: 5, unit: 'degC/h' });
    expect(temperatureRate(-11, p, undefined)).toMatchObject({ severity: 'alarm', limit: 10 });
    expect(temperatureRate(4.5, p, 'warning').severity).toBe('warning');
    expect(temperatureRate(3.9, p, 'warning').severity).toBeUndefined();
  });
});

describe('sensor-open', () => {
  it('uses the configured severity', () => {
    expect(sensorOpen(true, rules['sensor-open'])).toMatchObject({ severity: 'warning' });
    expect(sensorOpen(false, rules['sensor-open']).severity).toBeUndefined();
  });
});
