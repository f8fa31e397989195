export * from './topics';
export * from './reading';
export * from './health';
export * from './mqtt-connection';
export * from './reading-publisher';
export * from './health-reporter';
export * from './nest-mqtt-options';
export * from './subscribe';
