import { flag, hvDeviation, hvOff, hvStatusBit, isOn, isRamping, statusMasks, type HvView } from './hv-rules';
import { defaultRuleConfig } from '../../../../test/support/fixtures/default-rule-config';

const { rules, systemConfig } = defaultRuleConfig();

const generic = statusMasks(systemConfig.profiles.get('generic-hv'));
const vendorX = statusMasks(systemConfig.profiles.get('vendor-x-hv'));
const ON = 1 << 0;
const RAMP_UP = 1 << 1;
const OVER_CURRENT = 1 << 3;
const TRIPPED = 1 << 6;
const INTERLOCK = 1 << 8;

function view(over: Partial<HvView> = {}): HvView {
  return { vmon: 1400, vset: 1400, power: 1, status: ON, masks: generic, ...over };
}

describe('status bits from the profile', () => {
  it('reads flag names, not hard-coded bit numbers', () => {
    expect(generic.get('tripped')).toBe(TRIPPED);
    expect(generic.get('interlock')).toBe(INTERLOCK);
    expect(flag(view({ status: ON | TRIPPED }), 'tripped')).toBe(true);
    // vendor-x has no interlock bit: unknown, not false
    expect(flag(view({ masks: vendorX, status: 0xffff }), 'interlock')).toBeUndefined();
    expect(isRamping(view({ status: ON | RAMP_UP }))).toBe(true);
    expect(isOn(view({ power: 0, status: 0 }))).toBe(false);
    expect(isOn(view({ status: 0 }))).toBe(false); // asked on, crate says off
  });
});

describe('hv-deviation', () => {
  const p = rules['hv-deviation']; // warn 5 V, alarm 20 V, deadband 1 V
  it('compares VMon with VSet while on and settled', () => {
    expect(hvDeviation(view({ vmon: 1396 }), p, undefined).severity).toBeUndefined();
    const w = hvDeviation(view({ vmon: 1393.5 }), p, undefined);
    expect(w).toMatchObject({ severity: 'warning', value: -6.5, limit: 5, unit: 'V' });
    expect(w.message).toBe('VMon 1393.5 V is 6.5 V below VSet 1400 V (limit 5 V)');
    expect(hvDeviation(view({ vmon: 1425 }), p, undefined).severity).toBe('alarm');
    expect(hvDeviation(view({ vmon: 1395.5 }), p, 'warning').severity).toBe('warning'); // 4.5 > 5 - 1
    expect(hvDeviation(view({ vmon: 1396.5 }), p, 'warning').severity).toBeUndefined();
  });

  it('is quiet while ramping or off', () => {
    expect(hvDeviation(view({ vmon: 700, status: ON | RAMP_UP }), p, undefined).severity).toBeUndefined();
    expect(hvDeviation(view({ vmon: 0, power: 0, status: 0 }), p, 'warning').severity).toBeUndefined();
  });
});

describe('hv status bit rules', () => {
  it('raise with the configured severity while the bit is set', () => {
    expect(hvStatusBit(view({ status: ON | OVER_CURRENT }), rules['hv-over-current'])).toMatchObject({
      severity: 'alarm',
      message: 'HV channel reports over-current (status 0x9)',
    });
    expect(hvStatusBit(view({ status: TRIPPED }), rules['hv-trip']).severity).toBe('alarm');
    expect(hvStatusBit(view({ status: INTERLOCK }), rules['hv-interlock']).severity).toBe('alarm');
    expect(hvStatusBit(view({ status: 1 << 9 }), rules['hv-temperature-error']).severity).toBe('alarm');
    expect(hvStatusBit(view(), rules['hv-trip']).severity).toBeUndefined();
  });
});

describe('hv-off', () => {
  const p = rules['hv-off'];
  it('raises for a channel that is off but should be on', () => {
    const v = hvOff(view({ power: 0, status: 0, vmon: 0 }), 1400, false, p);
    expect(v).toMatchObject({ severity: 'alarm', value: 0, limit: 1400 });
    expect(v.message).toBe('HV channel is off (VMon 0 V) but should be at 1400 V');
    expect(hvOff(view(), 1400, false, p).severity).toBeUndefined();
  });

  it('not for a channel expected off, nor one that tripped or is interlocked (their own alarms)', () => {
    expect(hvOff(view({ power: 0, status: 0 }), 1400, true, p).severity).toBeUndefined();
    expect(hvOff(view({ power: 0, status: TRIPPED }), 1400, false, p).severity).toBeUndefined();
    expect(hvOff(view({ power: 1, status: INTERLOCK }), 1400, false, p).severity).toBeUndefined();
  });
});
