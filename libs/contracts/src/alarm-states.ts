/** The ISA-18.2 core states, driven by the condition and by acknowledgement. */
export type LatchState = 'normal' | 'active-unack' | 'active-ack' | 'cleared-unack';

/**
 * What a person sees of an alarm: the core state, unless the alarm is taken out of service
 * (disabled by an expert, shelved by the shift) or suppressed because its parent device is down.
 */
export const ALARM_STATES = [
  'normal',
  'active-unack',
  'active-ack',
  'cleared-unack',
  'shelved',
  'disabled',
  'suppressed',
] as const satisfies readonly (LatchState | 'shelved' | 'disabled' | 'suppressed')[];
export type AlarmStateName = (typeof ALARM_STATES)[number];

/**
 * The states that need the shift's attention: raised (acknowledged or not) or cleared but not
 * yet acknowledged. The API lists them first, `cicenns status` and the console count them.
 */
export const NEEDS_ATTENTION: ReadonlySet<AlarmStateName> = new Set<AlarmStateName>([
  'active-unack',
  'active-ack',
  'cleared-unack',
]);

/** Out of service: shelved, suppressed by its parent device, or disabled. */
export const OUT_OF_SERVICE: ReadonlySet<AlarmStateName> = new Set<AlarmStateName>([
  'shelved',
  'suppressed',
  'disabled',
]);
