export * from './detector-state';
export * from './hv-actuator';
export * from './daq-client';
