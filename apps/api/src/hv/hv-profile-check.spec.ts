import { loadSystemConfig } from '@cicenns/model';
import { profileRefusals } from './hv-safety';

const cfg = loadSystemConfig(undefined, {});
const generic = cfg.profiles.get('generic-hv')!;
const vendorX = cfg.profiles.get('vendor-x-hv')!;

describe('the HV preview checks the crate profile (what the poller could not write)', () => {
  it('refuses a register the profile lacks, naming register and profile', () => {
    const noIset = { ...vendorX, registers: { ...vendorX.registers } };
    delete (noIset.registers as Record<string, unknown>).iset;
    expect(profileRefusals({ iset: 100 }, 'hv-x', noIset, '/etc/cicenns/profiles/vendor-x-hv.yaml')).toEqual([
      'iset: crate hv-x\'s profile vendor-x-hv (/etc/cicenns/profiles/vendor-x-hv.yaml) has no register "iset"',
    ]);
  });

  it('refuses ramp rates on a crate whose profile has no ramp registers (vendor-x)', () => {
    const r = profileRefusals({ rampUp: 10, vset: 900 }, 'hv-x', vendorX);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatch(/^ramp_up: .*profile vendor-x-hv has no register "ramp_up"/);
  });

  it('refuses a read-only register and a value its type cannot hold', () => {
    const ro = {
      ...generic,
      registers: { ...generic.registers, iset: { ...generic.registers.iset, access: 'r' as const } },
    };
    expect(profileRefusals({ iset: 10 }, 'hv-crystal', ro)[0]).toMatch(
      /"iset" of profile generic-hv is read-only/,
    );
    // vendor-x vset is int16 x 0.1 V: at most 3276.7 V
    expect(profileRefusals({ vset: 4000 }, 'hv-x', vendorX)[0]).toMatch(
      /^vset: 4000 does not fit int16 with scale 0.1/,
    );
  });

  it('allows what the profile can write', () => {
    expect(
      profileRefusals(
        { vset: 1400, iset: 100, rampUp: 10, rampDown: 10, power: 'on' },
        'hv-crystal',
        generic,
      ),
    ).toEqual([]);
    expect(profileRefusals({ vset: 900, iset: 100, power: 'off' }, 'hv-x', vendorX)).toEqual([]);
  });

  it('a crate without a known profile is refused', () => {
    expect(profileRefusals({ vset: 1 }, 'nowhere', undefined)).toEqual([
      'crate nowhere has no known profile',
    ]);
  });
});
