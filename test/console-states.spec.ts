import {
  HV_ON_FLAG,
  HV_RAMP_FLAGS,
  HV_TRIP_FLAGS,
  MISSING_PARTITIONS_HEADER,
  NEEDS_ATTENTION,
} from '@cicenns/contracts';
import {
  NEEDS_ATTENTION as CONSOLE_NEEDS_ATTENTION,
  HV_DISPLAY_FLAGS as CONSOLE_HV_FLAGS,
  MISSING_PARTITIONS as CONSOLE_MISSING_PARTITIONS,
  missingPartitionsNote,
  servicesNotRunning,
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

describe("the console's journal with the alarm service split", () => {
  it("reads the API's header (contracts MISSING_PARTITIONS_HEADER) and names each missing partition", () => {
    expect(CONSOLE_MISSING_PARTITIONS).toBe(MISSING_PARTITIONS_HEADER);
    expect(missingPartitionsNote(null)).toBeNull();
    expect(missingPartitionsNote('')).toBeNull();
    expect(missingPartitionsNote('b')).toBe(
      "Incomplete: alarm partition b did not answer; its alarms' events are not shown.",
    );
    expect(missingPartitionsNote('b, c')).toMatch(/^Incomplete: alarm partitions b, c did not answer/);
  });
});

describe("the console's health pill with the alarm service split", () => {
  it('names the partition that is down by its instance, not "alarms"', () => {
    const services = {
      'alarms-a': { state: 'running' },
      'alarms-b': { state: 'offline' },
      'alarms-c': { state: 'running' },
    };
    expect(servicesNotRunning(services)).toBe('alarms-b: offline');
    expect(servicesNotRunning({ alarms: { state: 'running' } })).toBe('all services running');
  });
});
