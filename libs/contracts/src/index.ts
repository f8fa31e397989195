// Every message that crosses a process: one zod schema and its type per message, by subject.
// Transport (connections, publishers, subscriptions) is in @cicenns/bus.
export * from './topics';
export * from './reading';
export * from './reading-batch';
export * from './health';
export * from './rejection-notice';
export * from './hv-command';
export * from './hv-display';
export * from './alarm-states';
export * from './alarm-view';
export * from './alarm-journal';
export * from './alarm-commands';
export * from './daq-measurement';
export * from './calibration';
export * from './commissioning';
