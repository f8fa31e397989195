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
      tubeSpread: 1,
      hvStart: 'on',
      dcrSettleAmplitude: 0.5,
      dcrSettleTauS: 20,
      daqBusyWhenBeam: false,
    });
    expect(Number.isInteger(s.seed)).toBe(true);
  });

  it('reads the variables', () => {
    const s = loadSimSettings({
      SIM_HTTP_PORT: '0',
      SIM_DCR_PERIOD_MS: '500',
      SIM_DCR_FORM: 'sweep',
      SIM_SEED: '42',
      SIM_TUBE_SPREAD: '0',
      SIM_HV_START: 'off',
      SIM_DCR_SETTLE_AMPLITUDE: '2',
      SIM_DCR_SETTLE_TAU_S: '0.5',
      SIM_DAQ_BUSY_WHEN_BEAM: 'true',
    });
    expect(s).toMatchObject({ httpPort: 0, dcrPeriodMs: 500, dcrForm: 'sweep', seed: 42 });
    expect(s).toMatchObject({
      tubeSpread: 0,
      hvStart: 'off',
      dcrSettleAmplitude: 2,
      dcrSettleTauS: 0.5,
      daqBusyWhenBeam: true,
    });
  });

  it.each([
    ['SIM_HTTP_PORT', 'eighty'],
    ['SIM_HTTP_PORT', '70000'],
    ['SIM_DCR_PERIOD_MS', '-5'],
    ['SIM_TICK_MS', '1.5'],
    ['SIM_DCR_FORM', 'sometimes'],
    ['SIM_TUBE_SPREAD', '-1'],
    ['SIM_HV_START', 'maybe'],
    ['SIM_DCR_SETTLE_AMPLITUDE', 'big'],
    ['SIM_DCR_SETTLE_TAU_S', '0'],
    ['SIM_DAQ_BUSY_WHEN_BEAM', 'yes'],
  ])('%s=%s stops start-up naming the variable', (name, value) => {
    expect(() => loadSimSettings({ [name]: value })).toThrow(SimSettingsError);
    expect(() => loadSimSettings({ [name]: value })).toThrow(
      new RegExp(`^environment: ${name}: .*got "${value}"`),
    );
  });
});
