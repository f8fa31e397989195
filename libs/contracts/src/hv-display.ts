/**
 * How an HV channel's status flags (the names a device profile gives its status bits) read to
 * the crew: the one rule behind the console's HV state and the API's per-PMT state and group
 * counts. A trip, over-current or interlock shows as TRIP before a ramp, a ramp before on.
 * (The alarm rules read the same flags for their own purposes: apps/alarms hv-rules.ts.)
 */
export const HV_TRIP_FLAGS: readonly string[] = ['tripped', 'over_current', 'interlock'];
export const HV_RAMP_FLAGS: readonly string[] = ['ramping_up', 'ramping_down'];
export const HV_ON_FLAG = 'on';
