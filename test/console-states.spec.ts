import { HV_ON_FLAG, HV_RAMP_FLAGS, HV_TRIP_FLAGS, NEEDS_ATTENTION } from '@cicenns/contracts';
import {
  NEEDS_ATTENTION as CONSOLE_NEEDS_ATTENTION,
  HV_DISPLAY_FLAGS as CONSOLE_HV_FLAGS,
} from '../apps/console/src/format';

// The console keeps copies of these (the browser can import only types from the contracts).
describe("the console's alarm states", () => {
  it('needs attention for exactly the states the contracts say', () => {
    expect([...CONSOLE_NEEDS_ATTENTION].sort()).toEqual([...NEEDS_ATTENTION].sort());
  });
});

describe("the console's HV state", () => {
  it('reads the same flags as trip, ramp and on as the API (contracts HV_*_FLAG[S])', () => {
    expect([...CONSOLE_HV_FLAGS.trip].sort()).toEqual([...HV_TRIP_FLAGS].sort());
    expect([...CONSOLE_HV_FLAGS.ramp].sort()).toEqual([...HV_RAMP_FLAGS].sort());
    expect(CONSOLE_HV_FLAGS.on).toBe(HV_ON_FLAG);
  });
});
