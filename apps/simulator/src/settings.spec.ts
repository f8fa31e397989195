import { loadSimSettings, SimSettingsError } from './settings';

describe('loadSimSettings', () => {
  it('has the documented defaults', () => {
    const s = loadSimSettings({});
    expect(s).toMatchObject({
      httpHost: '127.0.0.1',
      httpPort: 8090,
      tickMs: 100,
      dcrPeriodMs: 10_000,
      gainPeriodMs: 600_000,
      coincPeriodMs: 10_000,
      beamPeriodMs: 1000,
      dcrForm: 'both',
      coincWindowNs: 100,
      noise: 1,
    });
    expect(Number.isInteger(s.seed)).toBe(true);
  });

  it('reads the variables', () => {
    const s = loadSimSettings({
      SIM_HTTP_PORT: '0',
      SIM_DCR_PERIOD_MS: '500',
      SIM_DCR_FORM: 'sweep',
      SIM_SEED: '42',
    });
    expect(s).toMatchObject({ httpPort: 0, dcrPeriodMs: 500, dcrForm: 'sweep', seed: 42 });
  });

  it.each([
    ['SIM_HTTP_PORT', 'eighty'],
    ['SIM_HTTP_PORT', '70000'],
    ['SIM_DCR_PERIOD_MS', '-5'],
    ['SIM_TICK_MS', '1.5'],
    ['SIM_DCR_FORM', 'sometimes'],
  ])('%s=%s stops start-up naming the variable', (name, value) => {
    expect(() => loadSimSettings({ [name]: value })).toThrow(SimSettingsError);
    expect(() => loadSimSettings({ [name]: value })).toThrow(
      new RegExp(`^environment: ${name}: .*got "${value}"`),
    );
  });
});
