export * from './mqtt-connection';
export * from './reading-publisher';
export * from './health-reporter';
export * from './nest-mqtt-options';
export * from './subscribe';
export * from './historian-session';
export * from './service-instance';
// BusRpc's value lives in '@cicenns/bus/rpc' (it loads Nest); here only its type and errors
export type { BusRpc } from './bus-rpc';
export * from './rpc-errors';
export * from './calibration-feed';
export * from './puback-hold';
