export * from './mqtt-connection';
export * from './reading-publisher';
export * from './health-reporter';
export * from './nest-mqtt-options';
export * from './subscribe';
export * from './historian-session';
export * from './bus-rpc';
export * from './calibration-feed';
