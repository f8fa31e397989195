export * from './alarm-config';
export * from './rule-engine';
export * from './verdict';
export type { RuleSlot, KnownAlarm } from './rule-slots';
