export * from './topics';
export * from './reading';
export * from './health';
export * from './mqtt-connection';
