import { anyFlagMask, statusFlagMasks } from './profile-registers';
import type { DeviceProfile } from './schemas';

const profile = {
  statusBits: { '0': 'on', '3': 'tripped', '9': 'interlock', '12': 'ramping_up' },
} as unknown as DeviceProfile;

describe('status flag masks from a profile', () => {
  it("maps each flag name to its bit, by the profile's own numbering", () => {
    const m = statusFlagMasks(profile);
    expect(m.get('on')).toBe(1);
    expect(m.get('tripped')).toBe(1 << 3);
    expect(m.get('interlock')).toBe(1 << 9);
    expect(statusFlagMasks(undefined).size).toBe(0);
  });

  it('ors the bits of several flags, ignoring names the profile lacks', () => {
    const m = statusFlagMasks(profile);
    expect(anyFlagMask(m, ['tripped', 'over_current', 'interlock'])).toBe((1 << 3) | (1 << 9));
    expect(anyFlagMask(m, ['ramping_down'])).toBe(0);
  });
});
